/*
 * The ThingWorx C SDK SteamSensor value model (docs/protocol.md §11, SteamThing.c), one draw per value
 * from an injected source of uniform numbers in [0, 1) (Math.random on a device, a seeded generator
 * in tests). Units are the C SDK's: none are stated there, so the numbers are reproduced as they are.
 *
 * - Pressure    = 18 + 5·r          (C: 18 + rand()/(RAND_MAX/5.0))   in [18, 23)
 * - Temperature = 400 + ⌊40·r⌋      (C: 400 + rand()/(RAND_MAX/40), integer division) in 400..439
 *   (the C expression reaches 440 only for the top 8 of 2^31 rand() values; that sliver is not modelled)
 * - TotalFlow   = 10·r              (C: rand()/(RAND_MAX/10.0))        in [0, 10): a fresh draw each
 *   cycle, not a running total. The C model has no flow rate, so `flow` stays 0.
 * Draw order within a cycle follows the C code: TotalFlow, Pressure, Temperature.
 */
import type { ClimateSample, FlowSample } from "../index";

/** Uniform numbers in [0, 1). */
export type RandomSource = () => number;

export class SimulatedClimate {
	readonly #random: RandomSource;
	readonly #sample: ClimateSample = { temperature: 0, pressure: 0 };

	constructor(random: RandomSource) {
		this.#random = random;
	}

	sample(): ClimateSample {
		const sample = this.#sample;
		sample.pressure = 18 + 5 * this.#random();
		sample.temperature = 400 + Math.floor(40 * this.#random());
		return sample;
	}

	close(): void {}
}

export class SimulatedFlowMeter {
	readonly #random: RandomSource;
	readonly #sample: FlowSample = { flow: 0, total: 0 };

	constructor(random: RandomSource) {
		this.#random = random;
	}

	sample(): FlowSample {
		this.#sample.total = 10 * this.#random();
		return this.#sample;
	}

	close(): void {}
}
