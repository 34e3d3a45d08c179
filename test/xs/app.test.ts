/*
 * The shipped SteamSensor bundle on the real XS engine: build/dist/steamsensor.js, minified and
 * unchanged, imported as the module "steamsensor" by a small starter (test/xs/suites/app-start.ts) in
 * an xsnap worker, on hal/xs (Node does the TCP), against the emulator running in this process.
 * The virtual clock is moved by hand, so 5 s scan cycles take milliseconds and the device's
 * timestamps are exact: scan k happens at NOW + 5000 k.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { XsHalBridge } from "../../hal/xs/bridge";
import { startEmulator, type Emulator, type Vtq } from "../../emulator/index";
import { seeded } from "../support/seeded";
import { deviceBundle, xsBundle } from "./bundles";
import { DEADLINE_MS } from "../support/deadline";

const KEY = "xs-app-Key-7d3e1b20-secret";
/** The device's wall clock at virtual time 0 (2026-03-01T00:00:00Z). */
const NOW = Date.UTC(2026, 2, 1);
const SCAN_MS = 5000;
const SEED = 7;
const THING = "SteamSensor";
/** What every scan after the first sets, hence pushes (TemperatureLimit and Logfile are set once; FaultStatus when it changes). */
const SCANNED = ["InletValve", "Location", "Pressure", "Temperature", "TotalFlow"];

let emu: Emulator;
let bridge: XsHalBridge;
const emulatorLines: string[] = [];

before(async () => {
	emu = await startEmulator({ port: 0, appKeys: [KEY], log: (level, message) => emulatorLines.push(level + " " + message), logLevel: "debug", historySize: 1000 });
	bridge = new XsHalBridge({ now: NOW, store: { appKey: KEY }, worker: { name: "steamsensor" } });
	await bridge.loadBundle({ name: "app", source: await xsBundle("xs-app-start"), modules: { steamsensor: deviceBundle("steamsensor") } });
	await bridge.worker.evaluate(`bundles.app.start(${JSON.stringify({ host: "127.0.0.1", port: emu.port, seed: SEED })})`);
});

after(async () => {
	await bridge?.close();
	await emu?.close();
});

function history(property: string): Vtq[] {
	return emu.store.get(THING)?.properties.get(property)?.history.toArray() ?? [];
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = DEADLINE_MS): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await condition())) {
		if (bridge.errors.length) throw bridge.errors[0];
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; device log: ${bridge.logs.slice(-5).map((l) => l.message).join(" | ")}`);
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}

async function stats(): Promise<Record<string, any>> {
	return JSON.parse((await bridge.worker.evaluateJson<string>("bundles.app.stats()")).value);
}

/** The C SDK's value model (docs/protocol.md §11) on the same random draws: TotalFlow, Pressure, Temperature per scan. */
function expectedScans(count: number): Array<{ TotalFlow: number; Pressure: number; Temperature: number }> {
	const random = seeded(SEED);
	const scans = [];
	for (let i = 0; i < count; i++) {
		const TotalFlow = 10 * random();
		const Pressure = 18 + 5 * random();
		scans.push({ TotalFlow, Pressure, Temperature: 400 + Math.floor(40 * random()) });
	}
	return scans;
}

test("XS: connected, authenticated, bound, synchronized (the emulator agrees); the first values pushed", async () => {
	await bridge.waitForLog("app: synchronized SteamSensor", DEADLINE_MS);
	const sequence = bridge.logs.map((l) => l.message).filter((m) => m.startsWith("app: ") && !m.startsWith("app: error"));
	assert.deepEqual(sequence, [
		"app: state connecting", "app: state authenticating", "app: authenticated appKey", "app: state binding",
		"app: state connected", "app: bound SteamSensor", "app: synchronized SteamSensor",
	]);
	await until("the first push stored", () => history("Temperature").length === 1);
	const thing = emu.store.get(THING)!;
	assert.equal(thing.isConnected, true);
	assert.equal(thing.synchronized, true, "GetPropertySubscriptions answered");
	assert.ok(thing.metadata?.services.has("AddNumbers"), "the emulator read the edge's metadata");
	// The first push holds the scan made at start (virtual time 0) and the once-set properties.
	const [first] = expectedScans(1);
	const value = (name: string) => history(name)[0]?.value;
	assert.deepEqual(value("TotalFlow"), { type: "NUMBER", value: first!.TotalFlow });
	assert.deepEqual(value("Pressure"), { type: "NUMBER", value: first!.Pressure });
	assert.deepEqual(value("Temperature"), { type: "NUMBER", value: first!.Temperature });
	assert.deepEqual(value("TemperatureLimit"), { type: "NUMBER", value: 435 });
	assert.deepEqual(value("Logfile"), { type: "STRING", value: "/logs/SteamSensor-log.txt" });
	for (const name of SCANNED) assert.equal(history(name)[0]!.time, NOW, `${name} stamped with the device's clock`);
	assert.ok(history("TotalFlow").every((v) => v.quality === "GOOD"));
	await until("the first push answered in XS", async () => (await stats()).pushesAcknowledged === 1);
	// TemperatureLimit and Logfile, the scan's values, and FaultStatus when the first temperature is over the limit (435).
	const faulted = first!.Temperature > 435 ? 1 : 0;
	assert.equal((await stats()).rowsAcknowledged, 2 + SCANNED.length + faulted);
	assert.equal(history("FaultStatus").length, faulted);
});

test("XS: each 5 s scan cycle pushes one value of every scanned property, with the device's time", async () => {
	const cycles = 4;
	const before = await stats();
	const expected = expectedScans(1 + cycles);
	for (let k = 1; k <= cycles; k++) {
		await bridge.advance(SCAN_MS);
		await until(`scan ${k} stored`, () => SCANNED.every((name) => history(name).length === 1 + k));
		for (const name of SCANNED) assert.equal(history(name)[k]!.time, NOW + k * SCAN_MS, `${name} of scan ${k}`);
		const scan = expected[k]!;
		assert.deepEqual(history("TotalFlow")[k]!.value, { type: "NUMBER", value: scan.TotalFlow });
		assert.deepEqual(history("Pressure")[k]!.value, { type: "NUMBER", value: scan.Pressure });
		assert.deepEqual(history("Temperature")[k]!.value, { type: "NUMBER", value: scan.Temperature });
		const location = history("Location")[k]!.value;
		assert.equal(location.type, "LOCATION");
		assert.notDeepEqual(location.value, history("Location")[k - 1]!.value, "the simulated route moves on every scan");
	}
	await until("every push answered in XS", async () => (await stats()).pushesAcknowledged === before.pushesAcknowledged + cycles);
	const after = await stats();
	assert.equal(after.pushes - before.pushes, cycles, "one push per cycle");
	assert.equal(after.pushesAcknowledged - before.pushesAcknowledged, cycles, "every push answered SUCCESS");
	assert.equal(after.rowsAcknowledged - before.rowsAcknowledged, cycles * SCANNED.length, "5 values acknowledged per cycle");
	assert.equal(after.onPush.rows - before.onPush.rows, cycles * SCANNED.length, "5 values per cycle");
	assert.equal(after.pushFailures, 0);
	assert.equal(after.timeouts, 0);
});

test("XS: AddNumbers invoked from the REST API is answered by the app in XS", async () => {
	const received = (await stats()).messagesReceived;
	const response = await fetch(`${emu.restUrl}/Things/${THING}/Services/AddNumbers`, {
		method: "POST",
		headers: { appKey: KEY, "content-type": "application/json", accept: "application/json" },
		body: JSON.stringify({ a: 1.5, b: 2 }),
	});
	assert.equal(response.status, 200);
	const body = (await response.json()) as { rows: unknown[] };
	assert.deepEqual(body.rows, [{ result: 3.5 }]);
	assert.equal((await stats()).messagesReceived, received + 1, "the request went to the edge");
	const refused = await fetch(`${emu.restUrl}/Things/${THING}/Services/AddNumbers`, {
		method: "POST",
		headers: { appKey: KEY, "content-type": "application/json", accept: "application/json" },
		body: JSON.stringify({ a: "x", b: 2 }),
	});
	assert.ok(refused.status >= 400 && refused.status < 500, `a non-number is refused by the edge (${refused.status})`);
});

test("XS: stop() UNBINDs and closes with 1000; the platform sees the thing go", async () => {
	// An UNBIND releases the thing while the connection is still open; without one the platform
	// releases it only when it handles the close, after logging "closed".
	let closedLoggedAtRelease: boolean | null = null;
	const unsubscribe = emu.store.on((change) => {
		if (change.kind === "thing" && change.thing.name === THING && !change.thing.isConnected && closedLoggedAtRelease === null) {
			closedLoggedAtRelease = emulatorLines.some((l) => /: closed /.test(l));
		}
	});
	await bridge.worker.evaluate("bundles.app.stop()");
	await bridge.waitForLog("app: stopped", DEADLINE_MS);
	const tail = bridge.logs.map((l) => l.message).filter((m) => m.startsWith("app: "));
	assert.deepEqual(tail.slice(-4), ["app: state disconnecting", "app: unbound SteamSensor", "app: state stopped", "app: stopped"]);
	assert.equal((await stats()).state, "stopped");
	await until("the platform sees the thing disconnected", () => emu.store.get(THING)!.isConnected === false);
	await until("the close seen by the emulator", () => emulatorLines.some((l) => /closed 1000/.test(l)));
	unsubscribe();
	assert.equal(closedLoggedAtRelease, false, "the thing was released by an UNBIND, before the close");
});

test("XS: no errors in the device or the bridge, and the key never reaches a log line", async () => {
	assert.deepEqual(bridge.errors, []);
	assert.deepEqual(bridge.logs.filter((l) => l.message.startsWith("app: error")), []);
	const everything = [...bridge.logs.map((l) => l.message), ...emulatorLines].join("\n");
	assert.ok(!everything.includes(KEY));
});

// The shipped (minified) bundle, not the sources: a minifier can add allocation the sources do not have
// (terser's reduce_vars once turned single-use functions into per-call closures: 11 slots a property set).
// As shipped: log level info, WebSocket pings on at the client's default interval (a cycle's figure is a
// ping period's, one ping and its pong, divided by its cycles), the app's default configuration.
test("XS: the shipped bundle, as shipped, allocates nothing per scan-and-push cycle (pings on) or per platform GET and PUT, net of the bridge", async (t) => {
	const { measureTraffic } = await import("../../build/bench-xs");
	const { meterWorker, meterWorkerProblem } = await import("../../hal/xs/meter-worker");
	const binary = meterWorker();
	if (!binary) t.diagnostic(`chunk bytes not measured: ${meterWorkerProblem()}`);
	const { cycle, platformGet, platformPut } = await measureTraffic(binary ?? undefined, deviceBundle("steamsensor"));
	assert.ok(cycle.timersFired > 1, "the client's pings woke the device within the runs");
	for (const [what, cost] of [
		["scan-and-push cycle as shipped (log level info, StartLogging on, pings on)", cycle.loggingOn.net],
		["scan-and-push cycle, StopLogging", cycle.loggingOff.net],
		["platform GET", platformGet.net],
		["platform PUT of a NUMBER", platformPut.number.net],
		["platform PUT of a BOOLEAN", platformPut.boolean.net],
	] as const) {
		assert.equal(cost.slots, 0, `slots allocated per ${what}`);
		if (cost.chunks !== null) assert.equal(cost.chunks, 0, `chunk bytes allocated per ${what}`);
	}
});

// The heap budget of issue 9 (24 KB on an ESP32: XS slots of 16 B plus chunk bytes), with the app's
// DEVICE_DEFAULTS, I/O buffers included; and no growth over 400 more scan cycles as shipped (pings on).
test("XS: the shipped app's heap after synchronization fits 24 KB on an ESP32 and stays the same over 400 scan cycles", async (t) => {
	const { measureHeap, STEADY_CYCLES } = await import("../../build/bench-xs");
	const { meterWorker, meterWorkerProblem } = await import("../../hal/xs/meter-worker");
	const binary = meterWorker();
	const { app, steady } = await measureHeap(binary ?? undefined, deviceBundle("steamsensor"));
	assert.ok(STEADY_CYCLES >= 400);
	assert.equal(steady.slots, app.slots, "slots after the cycles");
	if (binary === null) t.diagnostic(`chunk bytes not measured: ${meterWorkerProblem()}`);
	else {
		assert.equal(steady.chunks, app.chunks, "chunk bytes after the cycles");
		assert.ok(app.esp32Bytes! <= 24 * 1024, `ESP32 estimate ${app.esp32Bytes} B (${app.slots} slots + ${app.chunks} B chunks) over 24 KB`);
	}
});
