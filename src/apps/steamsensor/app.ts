/*
 * The SteamSensor application (SteamThing.c onSteamSensorProcessScanRequest, docs/protocol.md §11): every
 * scan reads the drivers into TotalFlow, Pressure, Location and Temperature; over TemperatureLimit it
 * sets FaultStatus (never reset here: the operator does that), opens the inlet valve and fires
 * SteamSensorFault; otherwise it closes the valve. Then it pushes, and logs a CSV line at debug level
 * while logging is on (through hal.log: no file system on a device).
 */
import type { Hal, LogLevel, TimerId } from "../../../hal/hal";
import { EdgeClient } from "../../client/client";
import type { EdgeClientConfig } from "../../client/config";
import { DEVICE_DEFAULTS } from "../../client/device-defaults";
import { closeDrivers, type DriverSet } from "../../drivers/index";
import type { Location } from "../../protocol/model";
import type { Property } from "../../thing/property";
import type { Thing } from "../../thing/thing";
import { createSteamSensorThing, type SteamSensorHooks } from "./thing";

/**
 * The per-scan CSV line's level: below the shipped "info", so a scan builds no line. A module constant,
 * not a literal at each use: XS copies a string literal every time it runs one outside a preloaded module.
 */
const SCAN_LOG_LEVEL: LogLevel = "debug";

/** The client settings, over DEVICE_DEFAULTS: the SteamSensor is a device's app, on a host too. */
export interface SteamSensorConfig extends Omit<EdgeClientConfig, "things"> {
	/** Default "SteamSensor". */
	thingName?: string;
	/** Default 5000 ms, as the example. */
	scanRateMs?: number;
	/** Directory shown in the Logfile property. Default "/logs" (the C SDK uses <cwd>/logs). */
	logDirectory?: string;
}

/** Client callbacks to install before the connection starts (so the first state change is seen too). */
export type ClientCallbacks = Partial<Pick<EdgeClient,
	"onStateChange" | "onAuthenticated" | "onBound" | "onUnbound" | "onSynchronized" | "onPush" | "onDropped" | "onError">>;

export interface SteamSensorOptions {
	hal: Hal;
	config: SteamSensorConfig;
	drivers: DriverSet;
	callbacks?: ClientCallbacks;
}

export interface SteamSensor {
	client: EdgeClient;
	thing: Thing;
	/** Stops scanning, UNBINDs and closes, closes the drivers. */
	stop(): Promise<void>;
}

/** `%4.2f` without printf: two decimals, at least four characters. */
export function fixed42(value: number): string {
	const text = value.toFixed(2);
	return text.length < 4 ? "    ".slice(text.length) + text : text;
}

/** Also the thing's hooks (its services call them): methods, not closures made per instance. */
class SteamSensorApp implements SteamSensorHooks {
	readonly thing: Thing;
	readonly client: EdgeClient;
	#hal: Hal;
	#drivers: DriverSet;
	#timer: TimerId | null;
	#logging = true;
	#location: Location = { longitude: 0, latitude: 0, elevation: 0 };
	#totalFlow: Property;
	#pressure: Property;
	#temperature: Property;
	#limit: Property;
	#fault: Property;
	#valve: Property;
	#where: Property;
	#logfile: Property;

	constructor({ hal, config, drivers, callbacks }: SteamSensorOptions) {
		this.#hal = hal;
		this.#drivers = drivers;
		const { thingName, scanRateMs, logDirectory, ...clientConfig } = config;
		const name = thingName ?? "SteamSensor";
		this.thing = createSteamSensorThing(name, this);
		const thing = this.thing;
		this.#totalFlow = thing.property("TotalFlow");
		this.#pressure = thing.property("Pressure");
		this.#temperature = thing.property("Temperature");
		this.#limit = thing.property("TemperatureLimit");
		this.#fault = thing.property("FaultStatus");
		this.#valve = thing.property("InletValve");
		this.#where = thing.property("Location");
		this.#logfile = thing.property("Logfile");
		this.client = new EdgeClient(hal, { ...DEVICE_DEFAULTS, ...clientConfig, things: [thing] });
		if (callbacks) Object.assign(this.client, callbacks);
		this.#limit.set(435);
		this.#logfile.set((logDirectory ?? "/logs") + "/" + name + "-log.txt");
		this.client.start();
		this.scan();
		this.#timer = hal.timers.repeat(this.scan, scanRateMs ?? 5000, this);
	}

	private scan(): void {
		const d = this.#drivers;
		this.#totalFlow.set(d.flow.sample().total); // the C draw order: TotalFlow, Pressure, Temperature
		const climate = d.climate.sample();
		const gps = d.gps.sample();
		const location = this.#location;
		location.latitude = gps.latitude;
		location.longitude = gps.longitude;
		location.elevation = gps.elevation;
		this.#pressure.set(climate.pressure);
		this.#where.set(location);
		this.#temperature.set(climate.temperature);
		const temperature = climate.temperature;
		const limit = this.#limit.value.value as number;
		if (temperature > limit) {
			if (this.#fault.value.value !== true) this.#fault.set(true);
			d.valve.write(true);
			this.#valve.set(d.valve.sample().open);
			const message = this.thing.name + " Temperature " + fixed42(temperature) + " exceeds threshold of " + fixed42(limit);
			this.thing.fireEvent("SteamSensorFault", { message }).then(undefined, this.#eventFailed);
		} else {
			d.valve.write(false);
			this.#valve.set(d.valve.sample().open);
		}
		this.client.push();
		// At debug: as shipped (log level info) the line is never built, so a scan allocates nothing.
		if (this.#logging && this.#hal.logEnabled(SCAN_LOG_LEVEL)) this.#log(temperature);
	}

	now(): number {
		return this.#hal.now();
	}

	setLogging(enabled: boolean): void {
		this.#logging = enabled;
		this.#hal.log("info", this.thing.name + ": logging " + (enabled ? "started" : "stopped"));
	}

	note(message: string): void {
		this.#hal.log("info", this.thing.name + ": " + message + " (nothing to load on this runtime)");
	}

	#eventFailed = (error: Error): void => {
		this.#hal.log("warn", this.thing.name + ": SteamSensorFault not delivered: " + error.message);
	};

	#log(temperature: number): void {
		const l = this.#location;
		this.#hal.log(SCAN_LOG_LEVEL, this.thing.name + " log: " + new Date(this.#hal.now()).toISOString() + "," + this.#totalFlow.get() + "," +
			this.#pressure.get() + "," + temperature + "," + l.latitude + "," + l.longitude + "," + l.elevation);
	}

	async stop(): Promise<void> {
		if (this.#timer !== null) this.#hal.timers.clear(this.#timer);
		this.#timer = null;
		await this.client.stop();
		closeDrivers(this.#drivers);
	}
}

/** Define the SteamSensor, connect it and start scanning. */
export function startSteamSensor(options: SteamSensorOptions): SteamSensor {
	const app = new SteamSensorApp(options);
	return { client: app.client, thing: app.thing, stop: () => app.stop() };
}
