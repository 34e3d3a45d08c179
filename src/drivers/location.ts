/*
 * A device without a GPS receiver reports where it was installed: a configured, fixed location.
 */
import type { LocationSample } from "./index";

export class FixedLocation {
	readonly #sample: LocationSample;

	constructor(options: LocationSample) {
		const { latitude, longitude, elevation } = options;
		if (!(latitude >= -90 && latitude <= 90)) throw new RangeError(`location: latitude must be within ±90 degrees, not ${latitude}`);
		if (!(longitude >= -180 && longitude <= 180)) throw new RangeError(`location: longitude must be within ±180 degrees, not ${longitude}`);
		if (!Number.isFinite(elevation)) throw new RangeError(`location: elevation must be a finite number of metres, not ${elevation}`);
		this.#sample = { latitude, longitude, elevation };
	}

	sample(): LocationSample {
		return this.#sample;
	}

	close(): void {}
}
