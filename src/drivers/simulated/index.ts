/*
 * The simulated driver set: the C SDK SteamSensor value model behind the same interfaces as the
 * hardware drivers, so the application cannot tell them apart.
 */
import type { DriverSet } from "../index";
import { DigitalValve } from "../valve";
import { SimulatedPin } from "./pin";
import { SimulatedRoute } from "./route";
import { SimulatedClimate, SimulatedFlowMeter } from "./steam";
import type { RandomSource } from "./steam";

export interface SimulatedDriverOptions {
	/** Uniform numbers in [0, 1): Math.random on a device, a seeded generator in tests. */
	random: RandomSource;
}

export function createSimulatedDrivers(options: SimulatedDriverOptions): DriverSet {
	return {
		climate: new SimulatedClimate(options.random),
		flow: new SimulatedFlowMeter(options.random),
		valve: new DigitalValve({ sensor: { io: SimulatedPin, pin: 0 } }),
		gps: new SimulatedRoute(),
	};
}

export type { RandomSource };
