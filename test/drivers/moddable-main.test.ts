// examples/steamsensor/main.ts (the SteamSensor's Moddable entry) on Node with the fake Moddable modules: how mc/config
// values (strings from the mcconfig command line, typed from the manifest) become the SteamSensor's
// configuration and drivers, and that nothing starts, with a log line saying why, when the
// application key or the configuration is missing or wrong. The key never reaches a log line.
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { register } from "node:module";
import type { DriverSet } from "../../src/drivers/index";
import { Bmp280Device } from "./fakes";
import { runtime } from "./moddable/runtime";

register("./moddable/loader.mjs", import.meta.url);

const traced: string[] = [];
(globalThis as unknown as { trace: (text: string) => void }).trace = (text) => void traced.push(text);
const KEY = "6ba5e9a1-0000-4c53-9d4f-key-never-logged";

/** The mode and edge constants of Moddable's embedded:io/digital, for the Digital fakes below. */
class DigitalModes {
	static readonly Input = "in";
	static readonly InputPullUp = "in-up";
	static readonly InputPullDown = "in-down";
	static readonly Output = "out";
	static readonly Rising = 1;
}

let instance = 0;
/** Runs main.ts once (a fresh module instance per call) and returns what it started, if anything. */
async function boot(config: Record<string, unknown>, appKey: string | null = KEY): Promise<{ config: Record<string, unknown>; drivers: DriverSet; hal: unknown } | undefined> {
	Object.assign(runtime.config, config);
	if (appKey !== null) runtime.preferences.set("twx/appKey", appKey);
	await import(new URL(`../../examples/steamsensor/main.ts?boot=${++instance}`, import.meta.url).href);
	for (const line of traced) assert.doesNotMatch(line, /key-never-logged/);
	return runtime.started[0] as never;
}

beforeEach(() => {
	runtime.reset();
	traced.length = 0;
	delete (globalThis as { device?: unknown }).device;
});

test("command-line strings become typed settings; simulated drivers by default; the key comes from the store", async () => {
	const started = await boot({ host: "twx.local", port: "8443", tls: "false", thing: "Boiler7", scanRateMs: "1000" });
	assert.ok(started, traced.join(""));
	const { appKey, ...config } = started.config as { appKey: () => string };
	assert.deepEqual(config, { host: "twx.local", port: 8443, path: "/Thingworx/WS", tls: false, thingName: "Boiler7", scanRateMs: 1000 });
	assert.equal(appKey(), KEY);
	runtime.preferences.set("twx/appKey", "rotated");
	assert.equal(appKey(), "rotated", "read at every AUTH, not copied at start");
	const pressure = started.drivers.climate.sample().pressure;
	assert.ok(pressure >= 18 && pressure < 23, "the C SDK value model");
	assert.deepEqual(traced, ["info SteamSensor Boiler7: ws://twx.local:8443/Thingworx/WS, simulated drivers\n"]);
});

test("chunkSize and maxMessageSize reach the app when configured; left out otherwise, so the app's DEVICE_DEFAULTS apply", async () => {
	const started = await boot({ host: "h", chunkSize: "2048", maxMessageSize: 8192 });
	assert.equal(started?.config.chunkSize, 2048);
	assert.equal(started?.config.maxMessageSize, 8192);
});

test("manifest defaults (typed values): TLS on with certificate checks", async () => {
	const started = await boot({ host: "twx.example.com", port: 443, tls: true, tlsVerify: true, tlsCA: "", drivers: "simulated" });
	assert.deepEqual(started?.config.tls, {});
	assert.match(traced[0], /wss:\/\/twx\.example\.com:443/);
});

test("tlsVerify=false and a DER CA from the resources reach the HAL's TLS options", async () => {
	runtime.resources.set("platform-ca.der", Uint8Array.of(0x30, 0x82, 1, 2));
	const started = await boot({ host: "h", tlsVerify: "false", tlsCA: "platform-ca.der", tlsServerName: "twx.internal" });
	assert.deepEqual(started?.config.tls, { insecure: true, ca: Uint8Array.of(0x30, 0x82, 1, 2), servername: "twx.internal" });
});

test("no application key: nothing starts, and the log says how to provision one", async () => {
	assert.equal(await boot({ host: "h" }, null), undefined);
	assert.equal(traced.length, 1);
	assert.match(traced[0], /^error SteamSensor not started: no application key .*provisioning app/);
});

test("bad configuration values name the key and stop the start", async () => {
	for (const [config, message] of [
		[{ host: "" }, /config host is empty/],
		[{ host: "h", port: "eighty" }, /config port must be a number, not "eighty"/],
		[{ host: "h", port: "70000" }, /config port must be an integer from 1 to 65535/],
		[{ host: "h", tls: "maybe" }, /config tls must be true or false/],
		[{ host: "h", chunkSize: "100" }, /config chunkSize must be an integer from 256 to 65535/],
		[{ host: "h", drivers: "mock" }, /config drivers must be "simulated" or "hardware"/],
		[{ host: "h", tlsCA: "missing.der" }, /config tlsCA: no resource "missing\.der"/],
		[{ host: "h", logLevel: "verbose" }, /config logLevel must be one of trace, debug, info, warn, error, not "verbose"/],
	] as const) {
		runtime.reset();
		traced.length = 0;
		await boot(config);
		assert.equal(runtime.started.length, 0, JSON.stringify(config));
		assert.match(traced.join(""), message);
	}
});

test("hardware drivers need device.io: refused in the simulator instead of pushing made-up values", async () => {
	assert.equal(await boot({ host: "h", drivers: "hardware" }), undefined);
	assert.match(traced[0], /drivers=hardware needs the ECMA-419 IO classes/);
});

test("hardware drivers on device.io: BMP280 at the configured I2C pins/address, edge-counted flow, valve, fixed location", async () => {
	const bmp = new Bmp280Device();
	bmp.conversion = [519888, 415148];
	const pins: Array<{ pin: number; mode: unknown; edge?: number }> = [];
	class Digital extends DigitalModes {
		constructor(options: { pin: number; mode: unknown; edge?: number }) {
			super();
			pins.push({ pin: options.pin, mode: options.mode, edge: options.edge });
		}
		write(): void {}
		read(): 0 | 1 {
			return 0;
		}
		close(): void {}
	}
	(globalThis as { device?: unknown }).device = { io: { I2C: bmp.io, Digital } };
	const started = await boot({ host: "h", drivers: "hardware", i2cData: "18", i2cClock: "19", i2cAddress: "0x77", flowPin: "34", valvePin: "25", latitude: "40.0583", longitude: "-75.6700", elevation: "105" });
	assert.ok(started, traced.join(""));
	assert.deepEqual([bmp.options?.data, bmp.options?.clock, bmp.options?.address], [18, 19, 0x77]);
	assert.deepEqual(pins, [{ pin: 34, mode: "in-up", edge: 1 }, { pin: 25, mode: "out", edge: undefined }]);
	assert.equal(started.drivers.climate.sample().temperature, 25.08);
	assert.deepEqual({ ...started.drivers.gps.sample() }, { latitude: 40.0583, longitude: -75.67, elevation: 105 });
	assert.match(traced[0], /hardware drivers/);
});

test("a hardware driver that fails to open releases the ones opened before it", async () => {
	const bmp = new Bmp280Device();
	let inputs = 0;
	let inputsClosed = 0;
	class Digital extends DigitalModes {
		constructor(options: { mode: unknown }) {
			super();
			if (options.mode === "out") throw new Error("pin in use");
			inputs++;
		}
		write(): void {}
		read(): 0 | 1 {
			return 0;
		}
		close(): void {
			inputsClosed++;
		}
	}
	(globalThis as { device?: unknown }).device = { io: { I2C: bmp.io, Digital } };
	assert.equal(await boot({ host: "h", drivers: "hardware" }), undefined);
	assert.match(traced.join(""), /valve: cannot open pin 26 as a digital output/);
	assert.equal(bmp.closed, 1, "BMP280 released");
	assert.deepEqual([inputs, inputsClosed], [1, 1], "flow input released");
});
