/*
 * Sensor and actuator drivers, and the set of them an application is given.
 *
 * Drivers follow the ECMA-419 sensor class pattern: `new Driver({sensor: {io, ...}})` where `io` is the
 * IO class (I2C, Digital, PulseCount) and the rest are its constructor options; `sample()` returns the
 * readings; `close()` releases the IO and may be called more than once. Nothing here imports a runtime
 * module: the IO classes are injected, so the same code runs on a device and against fakes in tests.
 *
 * Samples are reused: each driver returns the same object from every `sample()` call, overwritten in
 * place, so sampling allocates nothing. A caller that keeps readings across samples copies the numbers.
 */

/** Temperature in °C, pressure in Pa (ECMA-419 thermometer/barometer units). */
export interface ClimateSample {
	temperature: number;
	pressure: number;
}

/** Flow rate in litres per minute, total volume in litres since the driver started. */
export interface FlowSample {
	flow: number;
	total: number;
}

export interface ValveSample {
	open: boolean;
}

/** Degrees (WGS 84) and metres: the fields of a ThingWorx LOCATION. */
export interface LocationSample {
	latitude: number;
	longitude: number;
	elevation: number;
}

export interface ClimateSensor {
	sample(): ClimateSample;
	close(): void;
}

export interface FlowSensor {
	sample(): FlowSample;
	close(): void;
}

export interface Valve {
	/** Drive the valve open (`true`) or closed. */
	write(open: boolean): void;
	/** The state last commanded. */
	sample(): ValveSample;
	close(): void;
}

export interface LocationSensor {
	sample(): LocationSample;
	close(): void;
}

/** What the SteamSensor application reads and drives; hardware or simulated, chosen by configuration. */
export interface DriverSet {
	climate: ClimateSensor;
	flow: FlowSensor;
	valve: Valve;
	gps: LocationSensor;
}

/** Close every driver of a set (each close is idempotent); all are closed even if one throws, then the first error is thrown. */
export function closeDrivers(drivers: DriverSet): void {
	let failure: unknown = null;
	for (const driver of [drivers.climate, drivers.flow, drivers.valve, drivers.gps]) {
		try {
			driver.close();
		} catch (error) {
			failure ??= error;
		}
	}
	if (failure !== null) throw failure;
}

export { SensorError } from "./errors";
export type { SensorErrorKind } from "./errors";
export type { I2CBus, I2CClass, I2COptions, DigitalPin, DigitalClass, PulseCounter, PulseCounterClass } from "./io";
export { Bmp280, BMP280_CHIP_ID, BME280_CHIP_ID } from "./bmp280";
export type { Bmp280Options } from "./bmp280";
export { PulseFlowMeter } from "./flowmeter";
export type { PulseFlowMeterOptions } from "./flowmeter";
export { EdgeCounter } from "./edgecounter";
export type { EdgeCounterOptions, DigitalInputClass } from "./edgecounter";
export { DigitalValve } from "./valve";
export type { DigitalValveOptions } from "./valve";
export { FixedLocation } from "./location";
export { createSimulatedDrivers } from "./simulated/index";
export type { SimulatedDriverOptions } from "./simulated/index";
