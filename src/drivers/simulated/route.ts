/*
 * The SteamSensor's Location: one step per sample along a 30-step route, wrapping around, as the C SDK
 * does with its gps-route.h table. That table is not public, so this route is our own: a closed loop of
 * 30 points (about 1.1 km east-west by 1.1 km north-south) centred on 40.06 N, 75.68 W, elevation 0.
 */
import type { LocationSample } from "../index";

/** Latitude, longitude pairs, in route order. */
const ROUTE = Object.freeze([
	40.06, -75.6735, 40.06104, -75.673642, 40.062034, -75.674062, 40.062939, -75.674741, 40.063716, -75.675651,
	40.06433, -75.67675, 40.064755, -75.677991, 40.064973, -75.679321, 40.064973, -75.680679, 40.064755, -75.682009,
	40.06433, -75.68325, 40.063716, -75.684349, 40.062939, -75.685259, 40.062034, -75.685938, 40.06104, -75.686358,
	40.06, -75.6865, 40.05896, -75.686358, 40.057966, -75.685938, 40.057061, -75.685259, 40.056284, -75.684349,
	40.05567, -75.68325, 40.055245, -75.682009, 40.055027, -75.680679, 40.055027, -75.679321, 40.055245, -75.677991,
	40.05567, -75.67675, 40.056284, -75.675651, 40.057061, -75.674741, 40.057966, -75.674062, 40.05896, -75.673642,
]);

const ROUTE_STEPS = ROUTE.length / 2;

export class SimulatedRoute {
	#step = 0;
	readonly #sample: LocationSample = { latitude: 0, longitude: 0, elevation: 0 };

	sample(): LocationSample {
		const sample = this.#sample;
		sample.latitude = ROUTE[2 * this.#step];
		sample.longitude = ROUTE[2 * this.#step + 1];
		this.#step = this.#step + 1 === ROUTE_STEPS ? 0 : this.#step + 1;
		return sample;
	}

	close(): void {}
}
