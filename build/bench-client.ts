/*
 * Client figures on the host, against the in-process emulator over loopback (counts and rates from
 * one run; never asserted as times in tests):
 *  - pushes per second: the SteamSensor's 8-value push (set 8 properties, push, wait for SUCCESS),
 *    one at a time; and values per second when values stream in and the client batches them;
 *  - bytes on the wire per pushed value: TCP payload both ways (WebSocket framing, the answers and
 *    pings included) divided by the values the platform acknowledged;
 *  - reconnect time: the emulator is closed, comes back on the same port after 1 s; from its listen
 *    to the thing synchronized again, and the part of it after the back-off delay (the reconnect work).
 * Run: node --import tsx build/bench-client.ts [--quick]
 */
import { createNodeHal } from "../hal/node/index";
import type { Hal, HalSocket } from "../hal/hal";
import { startEmulator, type Emulator } from "../emulator/index";
import { EdgeClient } from "../src/client/index";
import { permessageDeflate } from "../src/ws/deflate";
import { createSteamSensorThing } from "../src/apps/steamsensor/index";
import { Thing } from "../src/thing/index";
import { until } from "./until";

const KEY = "bench-" + Math.random().toString(36).slice(2);
const quick = process.argv.includes("--quick");

interface Wire {
	up: number;
	down: number;
}

/** The Node HAL with every socket's bytes counted. */
function countingHal(wire: Wire): Hal {
	const hal = createNodeHal({ logLevel: "error", logSink: () => {} });
	return {
		...hal,
		timers: hal.timers,
		store: hal.store,
		createSocket(): HalSocket {
			const socket = hal.createSocket();
			const counted: HalSocket = {
				connect: (o) => socket.connect(o),
				write(bytes, offset, length) {
					const n = socket.write(bytes, offset, length);
					wire.up += n;
					return n;
				},
				close: () => socket.close(),
				onConnect: null,
				onData: null,
				onWritable: null,
				onClose: null,
			};
			socket.onConnect = () => counted.onConnect?.();
			socket.onData = (bytes) => {
				wire.down += bytes.length;
				counted.onData?.(bytes);
			};
			socket.onWritable = (free) => counted.onWritable?.(free);
			socket.onClose = (error) => counted.onClose?.(error);
			return counted;
		},
	};
}

/** How long a wait may take before the bench gives up (a hang guard). */
const WAIT_MS = 10000;

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

async function connect(emu: Emulator, thing: Thing, wire: Wire, extra: Partial<ConstructorParameters<typeof EdgeClient>[1]> = {}): Promise<EdgeClient> {
	const client = new EdgeClient(countingHal(wire), {
		host: "127.0.0.1", port: emu.port, tls: false, appKey: () => KEY, things: [thing],
		autoPush: false, pingIntervalMs: 0, queueBytes: 65536, backoffBaseMs: 50, backoffCapMs: 400, ...extra,
	});
	client.start();
	await until(() => client.isSynchronized(thing.name), WAIT_MS);
	return client;
}

/** `deflate`: the client offers permessage-deflate (the emulator accepts it, context takeover both ways). */
async function steamSensorPushes(emu: Emulator, deflate: boolean): Promise<void> {
	const wire: Wire = { up: 0, down: 0 };
	const thing = createSteamSensorThing("SteamSensor", { now: () => Date.now(), setLogging: () => {}, note: () => {} });
	const client = await connect(emu, thing, wire, deflate ? { compression: permessageDeflate } : {});
	const p = ["TemperatureLimit", "Logfile", "TotalFlow", "Pressure", "Location", "Temperature", "InletValve", "FaultStatus"].map((n) => thing.property(n));
	const here = { longitude: -75.67428, latitude: 40.05971, elevation: 0 };
	const logfile = "/opt/steam/logs/SteamSensor-log.txt";
	const pushes = quick ? 2000 : 10000;
	const warm = 200;
	const s = client.stats;
	let started = 0;
	let w0: Wire = { ...wire };
	let rows0 = 0;
	let bytes0 = 0;
	for (let i = 0; i < warm + pushes; i++) {
		if (i === warm) {
			started = performance.now();
			w0 = { ...wire };
			rows0 = s.rowsAcknowledged;
			bytes0 = s.bytesSent;
		}
		const t = Date.now();
		p[0].set(435, t);
		p[1].set(logfile, t);
		p[2].set(Math.random() * 10, t);
		p[3].set(18 + Math.random() * 5, t);
		p[4].set(here, t);
		p[5].set(400 + Math.floor(Math.random() * 40), t);
		p[6].set(false, t);
		p[7].set(false, t);
		const answered = s.pushesAcknowledged + 1;
		client.push();
		await until(() => s.pushesAcknowledged >= answered, WAIT_MS);
	}
	const seconds = (performance.now() - started) / 1000;
	const rows = s.rowsAcknowledged - rows0;
	const up = wire.up - w0.up;
	const down = wire.down - w0.down;
	console.log(`SteamSensor 8-value push, one at a time, each answered before the next (${pushes} pushes${deflate ? ", permessage-deflate" : ""}):`);
	console.log(`  ${(pushes / seconds).toFixed(0)} pushes/s, ${(rows / seconds).toFixed(0)} values/s`);
	console.log(`  AlwaysOn bytes per push ${((s.bytesSent - bytes0) / pushes).toFixed(1)} (${((s.bytesSent - bytes0) / rows).toFixed(1)} per value)`);
	console.log(`  on the wire per value: ${(up / rows).toFixed(1)} B edge->platform + ${(down / rows).toFixed(1)} B platform->edge = ${((up + down) / rows).toFixed(1)} B`);
	await client.stop();
}

async function streamedValues(emu: Emulator): Promise<void> {
	const wire: Wire = { up: 0, down: 0 };
	const thing = new Thing({ name: "Stream", properties: [{ name: "Temperature", baseType: "NUMBER" }] });
	const client = await connect(emu, thing, wire, { autoPush: true });
	const p = thing.property("Temperature");
	const total = quick ? 50000 : 200000;
	const s = client.stats;
	const w0 = { ...wire };
	const rows0 = s.rowsAcknowledged;
	const pushes0 = s.pushesAcknowledged;
	const started = performance.now();
	let sent = 0;
	await new Promise<void>((resolve) => {
		const feed = (): void => {
			// keep about 100 values waiting: the client packs what is queued into each push
			const queued = client.queued("Stream");
			for (let k = 0; k < 200 - queued && sent < total; k++) p.set(sent++);
			client.push();
			if (s.rowsAcknowledged - rows0 >= total) return resolve();
			setImmediate(feed);
		};
		feed();
	});
	const seconds = (performance.now() - started) / 1000;
	const rows = s.rowsAcknowledged - rows0;
	const pushes = s.pushesAcknowledged - pushes0;
	console.log(`Streamed values of one NUMBER property, batched by the client (${total} values):`);
	console.log(`  ${(rows / seconds).toFixed(0)} values/s in ${(pushes / seconds).toFixed(0)} pushes/s (${(rows / pushes).toFixed(1)} values per push)`);
	console.log(`  on the wire per value: ${((wire.up - w0.up + wire.down - w0.down) / rows).toFixed(1)} B (both directions)`);
	await client.stop();
}

async function reconnects(): Promise<void> {
	let emu = await startEmulator({ port: 0, appKeys: [KEY], log: null, historySize: 10 });
	const port = emu.port;
	const wire: Wire = { up: 0, down: 0 };
	const thing = new Thing({ name: "Recon", properties: [{ name: "x", baseType: "NUMBER" }] });
	const client = await connect(emu, thing, wire);
	let lastConnecting = 0;
	let synced = 0;
	client.onStateChange = (state) => {
		if (state === "connecting") lastConnecting = performance.now();
	};
	client.onSynchronized = () => (synced = performance.now());
	const totals: number[] = [];
	const work: number[] = [];
	const runs = quick ? 3 : 7;
	for (let i = 0; i < runs; i++) {
		await sleep(500);
		await emu.close();
		await until(() => client.state === "waiting" || client.state === "connecting", WAIT_MS);
		await sleep(1000);
		synced = 0;
		emu = await startEmulator({ port, appKeys: [KEY], log: null, historySize: 10 });
		const back = performance.now();
		await until(() => synced > 0, 30000);
		totals.push(synced - back);
		work.push(synced - Math.max(back, lastConnecting));
	}
	await client.stop();
	await emu.close();
	const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
	const median = (a: number[]) => sorted(a)[Math.floor(a.length / 2)];
	console.log(`Reconnect after the emulator is back (down 1 s; back-off base 50 ms, cap 400 ms, full jitter; ${runs} runs):`);
	console.log(`  back to synchronized: median ${median(totals).toFixed(0)} ms, max ${Math.max(...totals).toFixed(0)} ms  [${totals.map((t) => t.toFixed(0)).join(", ")}]`);
	console.log(`  of which after the last back-off delay (connect, upgrade, AUTH, BIND, sync): median ${median(work).toFixed(1)} ms, max ${Math.max(...work).toFixed(1)} ms`);
}

const emu = await startEmulator({ port: 0, appKeys: [KEY], log: null, historySize: 10, frameLogSize: 10 });
console.log(`node ${process.version}, ${process.platform}/${process.arch}${quick ? ", --quick" : ""}`);
await steamSensorPushes(emu, false);
await steamSensorPushes(emu, true);
await streamedValues(emu);
await emu.close();
await reconnects();
