/*
 * The Moddable app entry (manifest.json "main"): runs after setup/network has joined Wi-Fi and set the
 * clock. It reads `mc/config`, takes the application key from Preference (domain "twx", key "appKey",
 * written once by the provisioning app in ./provision), builds the HAL and the driver set the
 * configuration asks for, and starts the SteamSensor.
 *
 * Configuration keys are flat, because `mcconfig ... key=value` sets top-level keys only, as strings;
 * manifest values may be numbers or booleans. Everything is validated here and a bad value stops the
 * start with a log line that names the key.
 */
import config from "mc/config";
import Resource from "Resource";
import Timer from "timer";
import { Bmp280, DigitalValve, EdgeCounter, FixedLocation, PulseFlowMeter, closeDrivers, createSimulatedDrivers, startSteamSensor } from "steamsensor";
import type { Hal, LogLevel, TlsOptions } from "../../hal/hal";
import type { SteamSensorConfig } from "../../src/apps/steamsensor/app";
import type { DigitalClass, DigitalInputClass, DriverSet, I2CClass } from "../../src/drivers/index";
import { createModdableHal } from "hal";

/** The ECMA-419 IO classes the hardware drivers need: `device.io` on ESP32 builds, absent in the simulator. */
interface DeviceIo {
	I2C?: I2CClass;
	Digital?: DigitalClass & DigitalInputClass;
}

const LOG_LEVELS: readonly string[] = Object.freeze(["trace", "debug", "info", "warn", "error"]);
const level: unknown = config.logLevel ?? "info";
const hal = createModdableHal({ logLevel: LOG_LEVELS.includes(level as string) ? (level as LogLevel) : "info" });
try {
	if (!LOG_LEVELS.includes(level as string)) throw new RangeError(`config logLevel must be one of ${LOG_LEVELS.join(", ")}, not "${String(level)}"`);
	const appKey = hal.store.get("appKey");
	if (appKey === undefined || appKey.length === 0)
		throw new Error('no application key in Preference "twx"/"appKey": flash the provisioning app once (README, "Provision the application key")');
	const host = text("host", "");
	if (host.length === 0) throw new RangeError("config host is empty: build with host=<platform host>");
	const thingName = text("thing", "SteamSensor");
	const port = integer("port", 443, 1, 65535);
	const path = text("path", "/Thingworx/WS");
	const tls = tlsOptions();
	const settings: SteamSensorConfig = {
		host,
		port,
		path,
		tls,
		// Read at every AUTH, never kept or logged.
		appKey: () => hal.store.get("appKey") ?? "",
		thingName,
		scanRateMs: integer("scanRateMs", 5000, 100, 86400000),
	};
	// Unset, the app's DEVICE_DEFAULTS apply (1 KB chunks, 16 KB messages): an absent key, not undefined, which would override them.
	const chunkSize = optionalInteger("chunkSize", 256, 65535);
	if (chunkSize !== undefined) settings.chunkSize = chunkSize;
	const maxMessageSize = optionalInteger("maxMessageSize", 256, 1048576);
	if (maxMessageSize !== undefined) settings.maxMessageSize = maxMessageSize;
	// Last, once the rest of the configuration is known to be good: drivers hold pins and the bus.
	const drivers = createDrivers(hal);
	hal.log("info", `SteamSensor ${thingName}: ${tls === false ? "ws" : "wss"}://${host}:${port}${path}, ${text("drivers", "simulated")} drivers`);
	try {
		startSteamSensor({ hal, drivers, config: settings });
	} catch (error) {
		closeDrivers(drivers);
		throw error;
	}
}
catch (error) {
	hal.log("error", `SteamSensor not started: ${(error as Error).message}`);
}

function createDrivers(hal: Hal): DriverSet {
	const kind = text("drivers", "simulated");
	if (kind === "simulated") return createSimulatedDrivers({ random: Math.random });
	if (kind !== "hardware") throw new RangeError(`config drivers must be "simulated" or "hardware", not "${kind}"`);
	// Through unknown: the typings' I2C class omits the close() every ECMA-419 IO class has.
	const io = (globalThis as unknown as { device?: { io?: DeviceIo } }).device?.io;
	if (io?.I2C === undefined || io.Digital === undefined)
		throw new Error("drivers=hardware needs the ECMA-419 IO classes (device.io), which this platform does not provide");
	// A driver that fails to open releases the ones opened before it (pins, the bus).
	const opened: Array<{ close(): void }> = [];
	const open = <T extends { close(): void }>(driver: T): T => {
		opened.push(driver);
		return driver;
	};
	try {
		const climate = open(new Bmp280({
			sensor: { io: io.I2C, data: integer("i2cData", 21, 0, 48), clock: integer("i2cClock", 22, 0, 48), address: integer("i2cAddress", 0x76, 0x08, 0x77) },
			delay: Timer.delay,
		}));
		const flow = open(new PulseFlowMeter({
			sensor: { io: EdgeCounter, signal: integer("flowPin", 27, 0, 48), digital: io.Digital },
			pulsesPerLitre: number("flowPulsesPerLitre", 450),
			ticks: () => hal.ticks(),
		}));
		const valve = open(new DigitalValve({ sensor: { io: io.Digital, pin: integer("valvePin", 26, 0, 48) }, activeLow: flag("valveActiveLow", false) }));
		const gps = new FixedLocation({ latitude: number("latitude", 0), longitude: number("longitude", 0), elevation: number("elevation", 0) });
		return { climate, flow, valve, gps };
	} catch (error) {
		for (const driver of opened) {
			try {
				driver.close();
			} catch (closing) {
				hal.log("error", `closing a driver after a failed start: ${(closing as Error).message}`);
			}
		}
		throw error;
	}
}

/** `tls` (default true); `tlsVerify=false` accepts any certificate (test platforms only); `tlsCA` names a DER resource; `tlsServerName` overrides SNI. */
function tlsOptions(): TlsOptions | false {
	if (!flag("tls", true)) return false;
	const options: TlsOptions = {};
	if (!flag("tlsVerify", true)) options.insecure = true;
	const ca = text("tlsCA", "");
	if (ca.length > 0) {
		if (!Resource.exists(ca)) throw new RangeError(`config tlsCA: no resource "${ca}" in the build (add it to the manifest's resources)`);
		options.ca = new Uint8Array(new Resource(ca).slice(0));
	}
	const servername = text("tlsServerName", "");
	if (servername.length > 0) options.servername = servername;
	return options;
}

function text(key: string, fallback: string): string {
	const value: unknown = config[key];
	if (value === undefined || value === null) return fallback;
	if (typeof value !== "string") throw new RangeError(`config ${key} must be a string`);
	return value;
}

function number(key: string, fallback: number): number {
	const value: unknown = config[key];
	if (value === undefined || value === null || value === "") return fallback;
	const parsed = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
	if (!Number.isFinite(parsed)) throw new RangeError(`config ${key} must be a number, not "${String(value)}"`);
	return parsed;
}

function integer(key: string, fallback: number, min: number, max: number): number {
	const value = number(key, fallback);
	if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`config ${key} must be an integer from ${min} to ${max}, not ${value}`);
	return value;
}

/** An integer setting the configuration may leave out. */
function optionalInteger(key: string, min: number, max: number): number | undefined {
	const value: unknown = config[key];
	return value === undefined || value === null || value === "" ? undefined : integer(key, 0, min, max);
}

function flag(key: string, fallback: boolean): boolean {
	const value: unknown = config[key];
	if (value === undefined || value === null || value === "") return fallback;
	if (value === true || value === "true" || value === "1") return true;
	if (value === false || value === "false" || value === "0") return false;
	throw new RangeError(`config ${key} must be true or false, not "${String(value)}"`);
}
