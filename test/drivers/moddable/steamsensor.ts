// The app bundle as main.ts sees it: the real drivers, and a start that records instead of connecting.
import { runtime } from "./runtime";

export { Bmp280, DigitalValve, EdgeCounter, FixedLocation, PulseFlowMeter, closeDrivers, createSimulatedDrivers } from "../../../src/drivers/index";

export function startSteamSensor(options: unknown): unknown {
	runtime.started.push(options);
	return {};
}
