// The XS section of `npm run bench` (build/bench.ts loads this module and prints `run()`'s rows), also
// runnable alone: `npm run bench:xs` = `node --import tsx build/bench-xs.ts [--callgrind] [--json] [--bundle file.js]`
// (--bundle: measure another build of the app module instead of build/dist/steamsensor.js).
//
// Codec: each figure is the difference between runs of N and 2N messages in one xsnap worker (XS 13.3),
// after a warm-up, in cranks that start with gc() (test/xs/measure.ts):
// - compute: XS's compute meter per message;
// - allocate: xsnap's `allocate` meter per message (the budget's measure; it only moves when a heap grows);
// - allocated: what the message really allocated, slots x 32 B + chunk bytes (chunks from the metering
//   worker, hal/xs/meter-worker.ts), live or garbage.
//
// The SteamSensor app (the XS budgets in README.md): build/dist/steamsensor.js, unchanged, started by
// test/xs/suites/app-start.ts on hal/xs against the emulator in this process (loopback, no TLS):
// - the XS heap after synchronization, after gc(): slots and chunk bytes, I/O buffers included, with the
//   app's DEVICE_DEFAULTS; again after 400 more scan cycles as shipped (pings on): it must not grow;
// - per scan cycle in steady state as shipped (log level info, pings on at the default interval; the
//   virtual clock moved 5 s: the scan sets its values, pushes them, the emulator answers SUCCESS; every
//   11th cycle a ping and its pong): slots, chunk bytes and compute, N vs 2N ping periods, net of what
//   the bridge itself costs for the same traffic (test/xs/suites/app-baseline.ts on a bare HAL socket);
// - the same per platform GET of a property (REST GET with cacheTime -1: the emulator asks the edge)
//   and per platform PUT of a NUMBER and of a BOOLEAN property (REST PUT, forwarded to the edge);
// - minified and gzipped sizes of the app bundle and of the client without the app (build/size.mjs).
// --callgrind adds x86 instructions per push (valgrind's callgrind, whole worker process, N vs 2N):
// the codec's encode alone, and the app's whole scan cycle.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startEmulator, type Emulator } from "../emulator/index";
import { XsHalBridge } from "../hal/xs/bridge";
import { XS_SLOT_SIZE, XsWorker, type XsWorkerOptions } from "../hal/xs/host";
import { meterWorker, meterWorkerProblem } from "../hal/xs/meter-worker";
import { releaseWorker, releaseWorkerProblem } from "../hal/xs/release-worker";
import { deviceBundle, xsBundle } from "../test/xs/bundles";
import { costPerRun, costPerUnit, type UnitCost } from "../test/xs/measure";
import type { BenchRow } from "./bench";

const ENGINE = "xs 13.3 xsnap";
const BUDGET_INSTRUCTIONS = 97963; // budget: the C SDK's build + serialize of one push
const BUDGET_HEAP = 24 * 1024; // budget: XS heap after synchronization, SteamSensor, no TLS
/** Bytes per XS slot on a 32-bit MCU (ESP32: txSlot = next pointer + id/flag/kind + 8-byte value). */
const ESP32_SLOT_SIZE = 16;
const ROOT = fileURLToPath(new URL("../", import.meta.url));

const LOOPS: ReadonlyArray<[what: string, loop: string, n: number]> = [
	["encode (PushWriter, 8 rows)", "bundles.bench.encodePushes(N)", 1000],
	["PUT head (readRequestHead, bytesEqual)", "bundles.bench.readPutHeads(N)", 1000],
	["PUT head + params to the model", "bundles.bench.decodePutParams(N)", 500],
	["decode (decodeMessage, whole model)", "bundles.bench.decodePushes(N)", 200],
];

function note(c: UnitCost): string {
	const n = (x: number) => Math.round(x).toLocaleString("en-US");
	const allocated = c.chunks === null ? `${n(c.slots)} slots (chunk meter unavailable)` : `${n(c.bytes!)} B (${n(c.slots)} slots + ${n(c.chunks)} B chunks)`;
	return `compute ${n(c.compute)}/msg, allocate meter ${n(c.allocate)} B/msg, allocated ${allocated}/msg${c.gcDuringRun ? " [GC inside the loop: lower bounds]" : ""}`;
}

async function codecRows(binary: string | null): Promise<BenchRow[]> {
	const worker = new XsWorker({ name: "bench", binary: binary ?? undefined });
	const rows: BenchRow[] = [];
	try {
		await worker.loadBundle({ name: "bench", source: await xsBundle("xs-codec-bench") });
		for (const [what, loop, n] of LOOPS) {
			const cost = await costPerUnit(worker, loop, n);
			rows.push({ engine: ENGINE, what, nsPerMessage: cost.ns, note: note(cost) });
		}
	} finally {
		await worker.close();
	}
	return rows;
}

// ---------------------------------------------------------------------------------------------------
// The SteamSensor app under XS

const KEY = "bench-xs-Key-0c5e8a41"; // the emulator's application key, provisioned in the HAL store
const THING = "SteamSensor";
const SCAN_MS = 5000;
/** The client's default pingIntervalMs, which the app ships with (checked: one ping per period, counted by the emulator). */
const PING_MS = 55000;
/**
 * Pings are set going this far into a scan period (the clock moves while the connection opens), so a
 * ping and a scan never share a crank: their answers would arrive in one bridge event or two, by
 * chance, and the bridge's own cost would vary from run to run.
 */
const PING_PHASE_MS = SCAN_MS / 2;
/** Scan cycles per ping: the unit of the steady-state runs, so that each unit carries the same traffic. */
const CYCLES_PER_PING = PING_MS / SCAN_MS;
const PERIODS = 2; // N of the N / 2N / N runs, in ping periods (22 cycles)
const REQUESTS = 20; // N of the N / 2N / N runs of platform GETs and PUTs
/** Client settings over the app's defaults (test/xs/suites/app-start.ts StartOptions.client). */
type StartClient = { pingIntervalMs?: number; chunkSize?: number; queueBytes?: number; requestQueueBytes?: number; requestQueueLength?: number; maxPending?: number };
/** The client's own (host) sizes, to weigh next to the app's DEVICE_DEFAULTS (src/client/device-defaults.ts). */
const HOST_BUFFERS: StartClient = Object.freeze({ chunkSize: 8192, queueBytes: 4096, requestQueueBytes: 2048, requestQueueLength: 16, maxPending: 8 });
/** Scan cycles after synchronization, as shipped (pings on), before the heap is measured again: it must not have grown. */
export const STEADY_CYCLES = 400;

/** Slots and chunk bytes in use, measured right after a gc(). */
interface Heap {
	slots: number;
	chunks: number | null;
}

/** A heap (or a difference of two) in xsnap's bytes and as an ESP32 estimate. */
export interface HeapFigure extends Heap {
	/** slots x 32 + chunks: what xsnap (x86-64) holds. */
	xsnapBytes: number | null;
	/** slots x 16 + chunks: the same objects on a 32-bit MCU; the chunk part is an upper bound (see HEAP_NOTE). */
	esp32Bytes: number | null;
}

export interface TrafficCost {
	/** Per unit (scan cycle, GET or PUT), net of the bridge baseline: what the app, the client and the WebSocket did. */
	net: { slots: number; chunks: number | null; bytes: number | null; compute: number };
	/** Per unit, as measured (app + bridge). */
	gross: UnitCost;
	/** Per unit, the bridge alone for the same traffic (bare HAL socket). */
	bridge: UnitCost;
	/** Bridge crossings per unit, from the bridge's counts (the same in the baseline). */
	traffic: { events: number; dataEvents: number; requests: number; bytesOut: number; bytesIn: number };
}

export interface AppBudget {
	engine: string;
	slotSize: { xsnap: number; esp32: number };
	heap: {
		/** Modules evaluated: the bundle's bytecode (in flash on a device) and module-level objects (in flash when preloaded); not budgeted. */
		modules: HeapFigure;
		/** hal/xs's own state (the bridge HAL of this harness, not part of a device build). */
		hal: HeapFigure;
		/** startSteamSensor to synchronized and the first push answered: the budgeted figure. */
		app: HeapFigure;
		/** The same after STEADY_CYCLES more scan cycles (pings on, as shipped). */
		steady: HeapFigure;
		/** The same with the client's host sizes (HOST_BUFFERS), for comparison. */
		hostBuffers: HeapFigure;
		budget: number;
	};
	/**
	 * XS stack depth in slots (the metering worker paints the stack before each crank; null without it).
	 * `idle`: xsnap's own floor (a crank that evaluates 0); `load`: the crank that loads the starter and the
	 * app module; `loadStub`: the same with a stub "steamsensor" (so `load - loadStub` is the app module's
	 * own: its top-level bindings and what its body pushes); `sync`: the deepest crank from createHal()
	 * until synchronized and the first push answered.
	 */
	stack: { idle: number | null; load: number | null; loadStub: number | null; sync: number | null };
	/** Values one steady-state push carries (the scan's 5 settings; TemperatureLimit and Logfile are set once). */
	valuesPerPush: number;
	/**
	 * Scan cycles in steady state, pings on (as shipped), averaged over a ping period (CYCLES_PER_PING cycles,
	 * one ping and its pong): StartLogging on (as shipped; its CSV line is at debug, below the shipped level)
	 * and off (StopLogging). `timersFired`: timer callbacks per cycle, the app's scan timer included (the
	 * client's own wake-ups are the rest: its pings). `pingMs`: the ping interval measured.
	 */
	cycle: { loggingOn: TrafficCost; loggingOff: TrafficCost; scanCrankCompute: number; timersFired: number; pingMs: number };
	platformGet: TrafficCost;
	/** Platform PUTs through the client: a NUMBER (TemperatureLimit) and a BOOLEAN (FaultStatus), each decoded, set and answered. */
	platformPut: { number: TrafficCost; boolean: TrafficCost };
	callgrind?: { encodePerPush: number | string; cyclePerPush: number | string; budget: number; build: string };
	/** Per device bundle: XS bytecode (.xsb bytes, build/xsb-size.mjs; null without a C compiler), minified and gzipped bytes. */
	sizes: Record<string, { bytecode: number | null; minified: number; gzip: number }>;
}

function heapFigure(h: Heap): HeapFigure {
	return {
		...h,
		xsnapBytes: h.chunks === null ? null : h.slots * XS_SLOT_SIZE + h.chunks,
		esp32Bytes: h.chunks === null ? null : h.slots * ESP32_SLOT_SIZE + h.chunks,
	};
}

function heapDelta(from: Heap, to: Heap): HeapFigure {
	return heapFigure({ slots: to.slots - from.slots, chunks: from.chunks === null || to.chunks === null ? null : to.chunks - from.chunks });
}

/** `to - from` less what the `scripts` evaluated in between left (xsnap keeps `perScript` of each: the harness's, not the app's). */
function heapNet(from: Heap, to: Heap, scripts: number, perScript: Heap): HeapFigure {
	const d = heapDelta(from, to);
	return heapFigure({ slots: d.slots - scripts * perScript.slots, chunks: d.chunks === null || perScript.chunks === null ? null : d.chunks - scripts * perScript.chunks });
}

async function heapNow(worker: XsWorker): Promise<Heap> {
	const { meters } = await worker.evaluate("gc()");
	return { slots: meters.currentHeapCount, chunks: meters.chunks };
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until the bridge has delivered `dataEvents` DATA events in all and every event they caused has run. */
async function settle(bridge: XsHalBridge, dataEvents: number): Promise<void> {
	for (const deadline = Date.now() + 10000; bridge.counts.dataEvents < dataEvents; await sleep(1)) {
		if (bridge.errors.length) throw bridge.errors[0];
		if (Date.now() > deadline) throw new Error(`no answer from the peer within 10 s; device log: ${bridge.logs.slice(-3).map((l) => l.message).join(" | ")}`);
	}
	// A flush notice for the last write may still be on its way: let it land in this unit.
	await bridge.idle();
	await sleep(2);
	await bridge.idle();
}

/**
 * Moves the clock `ms` (the timers due fire in that crank); when the crank wrote, waits for the
 * peer's one answer (a push's SUCCESS, a ping's pong). The crank's compute.
 */
async function step(bridge: XsHalBridge, ms: number): Promise<Exchange & { compute: number }> {
	const { writes, dataEvents, bytesFromXs, bytesToXs } = bridge.counts;
	const { meters } = await bridge.advance(ms);
	await settle(bridge, bridge.counts.writes > writes ? dataEvents + 1 : dataEvents);
	return { compute: meters.compute, out: bridge.counts.bytesFromXs - bytesFromXs, in: bridge.counts.bytesToXs - bytesToXs };
}

/** Bytes a step wrote to the peer and got back. */
interface Exchange {
	out: number;
	in: number;
}

/** Runs `unit` N, 2N, N times (after a warm-up) between gc()s; `unit` may span many cranks. */
async function perUnit(bridge: XsHalBridge, unit: () => Promise<void>, n: number): Promise<{ cost: UnitCost; traffic: TrafficCost["traffic"] }> {
	const worker = bridge.worker;
	const before = { ...bridge.counts };
	let units = 0;
	const cost = await costPerRun(worker, async (start) => {
		const { reply } = await worker.evaluate(`${start} new TextEncoder().encode(String(N)).buffer`);
		const count = Number(Buffer.from(reply).toString("utf8"));
		for (let i = 0; i < count; i++) await unit();
		units += count;
	}, n);
	const c = bridge.counts;
	return {
		cost,
		traffic: {
			events: (c.events - before.events) / units,
			dataEvents: (c.dataEvents - before.dataEvents) / units,
			requests: (c.requests - before.requests) / units,
			bytesOut: (c.bytesFromXs - before.bytesFromXs) / units,
			bytesIn: (c.bytesToXs - before.bytesToXs) / units,
		},
	};
}

function netOf(gross: UnitCost, bridge: UnitCost): TrafficCost["net"] {
	const chunks = gross.chunks === null || bridge.chunks === null ? null : gross.chunks - bridge.chunks;
	const slots = gross.slots - bridge.slots;
	return { slots, chunks, bytes: chunks === null ? null : slots * XS_SLOT_SIZE + chunks, compute: gross.compute - bridge.compute };
}

/** The SteamSensor app in one xsnap worker against an emulator of its own. */
class AppSession {
	readonly emu: Emulator;
	readonly bridge: XsHalBridge;
	/** The text of the module "steamsensor". */
	#app: string;
	/** What every scan step (push, SUCCESS) and every ping step with a ping (ping, pong) exchanged: the baseline replays them. */
	readonly exchanges: { push: Exchange | null; ping: Exchange | null } = { push: null, ping: null };

	private constructor(emu: Emulator, bridge: XsHalBridge, app: string) {
		this.emu = emu;
		this.bridge = bridge;
		this.#app = app;
	}

	static async open(worker: Omit<XsWorkerOptions, "handleCommand">, app: string): Promise<AppSession> {
		const emu = await startEmulator({ port: 0, appKeys: [KEY], log: null, historySize: 50 });
		const bridge = new XsHalBridge({ now: Date.UTC(2026, 2, 1), seed: [1, 2, 3, 4], store: { appKey: KEY }, worker });
		return new AppSession(emu, bridge, app);
	}

	/** Loads the starter and the app module; the crank's stack depth (slots; null without the metering worker). */
	async load(): Promise<number | null> {
		return (await this.bridge.loadBundle({ name: "app", source: await xsBundle("xs-app-start"), modules: { steamsensor: this.#app } })).meters.stack;
	}

	async createHal(): Promise<void> {
		await this.bridge.worker.evaluate("bundles.app.createHal()");
	}

	/**
	 * Starts the app and resolves once it is synchronized and its first push is answered. The clock
	 * moves PING_PHASE_MS in a crank queued with the start, before the connection can open: the scan
	 * timer starts at 0, the WebSocket's ping timer at PING_PHASE_MS.
	 */
	async start(client: StartClient = {}): Promise<void> {
		const started = this.bridge.worker.evaluate(`bundles.app.start(${JSON.stringify({ host: "127.0.0.1", port: this.emu.port, seed: 7, client })})`);
		const shifted = this.bridge.advance(PING_PHASE_MS);
		await started;
		await shifted;
		await this.bridge.waitForLog("app: synchronized SteamSensor", 10000);
		await this.until("the first push answered", async () => (await this.stats()).pushesAcknowledged >= 1);
		await settle(this.bridge, 0);
	}

	/** Steady state: no fault events (TemperatureLimit above every simulated temperature); logging as asked. */
	async steady(logging: boolean): Promise<void> {
		const put = await this.rest("PUT", `/Things/${THING}/Properties/TemperatureLimit`, { TemperatureLimit: 1000 });
		if (put.status !== 200) throw new Error(`PUT TemperatureLimit: ${put.status}`);
		const service = await this.rest("POST", `/Things/${THING}/Services/${logging ? "StartLogging" : "StopLogging"}`, {});
		if (service.status !== 200) throw new Error(`logging: ${service.status}`);
		await this.cycle(false); // the new limit pushed back: one longer push, outside the runs
		await this.cycle(false);
	}

	/**
	 * One scan cycle, 5 s of virtual time in two steps: to the scan (its push, the SUCCESS answered), then
	 * to PING_PHASE_MS past it (a ping when one is due, its pong answered). The scan crank's compute.
	 * `record`: the exchanges are those of the steady state (see `exchanges`).
	 */
	async cycle(record = true): Promise<number> {
		const scan = await step(this.bridge, SCAN_MS - PING_PHASE_MS);
		if (record) this.#record("push", scan);
		const ping = await step(this.bridge, PING_PHASE_MS);
		if (record && ping.out > 0) this.#record("ping", ping);
		return scan.compute;
	}

	/** Keeps the first exchange of a kind; a later one of other sizes would make the baseline unfair. */
	#record(kind: "push" | "ping", exchange: Exchange): void {
		const seen = this.exchanges[kind];
		if (seen === null) this.exchanges[kind] = { out: exchange.out, in: exchange.in };
		else if (seen.out !== exchange.out || seen.in !== exchange.in) {
			throw new Error(`a ${kind} exchanged ${exchange.out} B out / ${exchange.in} B in, an earlier one ${seen.out} / ${seen.in}: no fair baseline`);
		}
	}

	/** One ping period of scan cycles (the unit of the steady-state runs). */
	async pingPeriod(): Promise<void> {
		for (let i = 0; i < CYCLES_PER_PING; i++) await this.cycle();
	}

	/** A platform GET of Temperature, triggered by a REST read (the binding's cacheTime -1 sends every read to the edge). */
	async platformGet(): Promise<void> {
		const response = await this.rest("GET", `/Things/${THING}/Properties/Temperature`);
		if (response.status !== 200) throw new Error(`REST GET Temperature: ${response.status}`);
		await settle(this.bridge, 0);
	}

	/** A platform PUT of `name`, triggered by a REST write (forwarded to the edge, which sets it and answers). */
	async platformPut(name: string, value: number | boolean): Promise<void> {
		const response = await this.rest("PUT", `/Things/${THING}/Properties/${name}`, { [name]: value });
		if (response.status !== 200) throw new Error(`REST PUT ${name}: ${response.status}`);
		await settle(this.bridge, 0);
	}

	async readsFromEdge(): Promise<void> {
		const syncs = this.bridge.logs.filter((l) => l.message === "app: synchronized SteamSensor").length;
		const set = await this.rest("POST", `/Things/${THING}/Services/SetRemotePropertyBinding`, { propertyName: "Temperature", cacheTime: -1 });
		if (set.status !== 200) throw new Error(`SetRemotePropertyBinding: ${set.status}`);
		await this.until("re-synchronized", async () => this.bridge.logs.filter((l) => l.message === "app: synchronized SteamSensor").length > syncs);
		await settle(this.bridge, 0);
	}

	async stats(): Promise<Record<string, any>> {
		return JSON.parse((await this.bridge.worker.evaluateJson<string>("bundles.app.stats()")).value);
	}

	async rest(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
		const response = await fetch(this.emu.restUrl + path, {
			method,
			headers: { appKey: KEY, "content-type": "application/json", accept: "application/json" },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		return { status: response.status, text: await response.text() };
	}

	async until(what: string, condition: () => Promise<boolean>): Promise<void> {
		for (const deadline = Date.now() + 10000; !(await condition()); await sleep(2)) {
			if (this.bridge.errors.length) throw this.bridge.errors[0];
			if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		}
	}

	/** Stops the app (UNBIND, close) and ends the worker; `graceMs` as XsWorker.close (a wrapper such as valgrind needs long). */
	async close(graceMs?: number): Promise<void> {
		try {
			if (!this.bridge.errors.length) {
				await this.bridge.worker.evaluate("bundles.app.stop()");
				await this.bridge.waitForLog("app: stopped", 30000);
				await settle(this.bridge, 0); // a crank still running at close would be killed, and callgrind's total lost
			}
		} finally {
			await this.bridge.close(graceMs);
			await this.emu.close();
		}
	}
}

/** A TCP peer for the baseline: answers what it receives by its size (a push, a ping), or sends `request` bytes and waits for `reply` bytes. */
class BaselinePeer {
	readonly server: net.Server;
	#socket: net.Socket | null = null;
	/** Bytes received -> bytes to answer with. */
	#answers = new Map<number, Buffer>();
	#pending = 0;
	#reply = 0;
	#received = 0;
	#replied: (() => void) | null = null;

	constructor() {
		this.server = net.createServer((socket) => {
			this.#socket = socket;
			socket.setNoDelay(true);
			socket.on("error", () => {});
			socket.on("data", (bytes) => {
				if (this.#reply > 0) {
					this.#received += bytes.length;
					if (this.#received >= this.#reply) {
						this.#received -= this.#reply;
						this.#replied?.();
					}
					return;
				}
				this.#pending += bytes.length;
				const answer = this.#answers.get(this.#pending);
				if (answer === undefined) return;
				this.#pending = 0;
				socket.write(answer);
			});
		});
	}

	async listen(): Promise<number> {
		await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
		return (this.server.address() as net.AddressInfo).port;
	}

	/** Answers every `exchange.out` bytes received with `exchange.in` bytes (the device's steps never overlap). */
	answer(exchange: Exchange): void {
		this.#answers.set(exchange.out, Buffer.alloc(exchange.in));
	}

	/** Sends `request` bytes; resolves when `reply` bytes came back. */
	ask(request: number, reply: number): Promise<void> {
		this.#reply = reply;
		return new Promise((resolve) => {
			this.#replied = resolve;
			this.#socket!.write(Buffer.alloc(request));
		});
	}

	async close(): Promise<void> {
		this.#socket?.destroy();
		await new Promise((resolve) => this.server.close(resolve));
	}
}

/** Per-unit traffic crossed the bridge the same way in the app's runs and the baseline's. */
function sameTraffic(what: string, app: TrafficCost["traffic"], base: TrafficCost["traffic"]): void {
	if (app.events !== base.events || app.dataEvents !== base.dataEvents || app.requests !== base.requests || app.bytesOut !== base.bytesOut || app.bytesIn !== base.bytesIn) {
		throw new Error(`baseline ${what} crossed the bridge differently: app ${JSON.stringify(app)}, baseline ${JSON.stringify(base)}`);
	}
}

/**
 * What the bridge alone costs for the app's traffic: per ping period of scan cycles (the pushes and
 * the ping as `exchanges` recorded them, on the same clock steps) and per platform request (`requests`:
 * each one's traffic per unit, from the app's runs).
 */
async function bridgeBaseline(binary: string | undefined, exchanges: AppSession["exchanges"], period: TrafficCost["traffic"], requests: ReadonlyArray<TrafficCost["traffic"]>): Promise<{ period: UnitCost; requests: UnitCost[] }> {
	const { push, ping } = exchanges;
	if (push === null || ping === null) throw new Error(`no ${push === null ? "push" : "ping"} in the app's runs: no baseline`);
	for (const t of requests) {
		if (!Number.isInteger(t.bytesOut) || !Number.isInteger(t.bytesIn) || t.dataEvents !== 1) throw new Error(`a platform request's traffic is not the same in every unit (${JSON.stringify(t)}): no fair baseline`);
	}
	const peer = new BaselinePeer();
	const port = await peer.listen();
	const bridge = new XsHalBridge({ now: 0, seed: [1, 2, 3, 4], worker: { name: "baseline", binary } });
	try {
		await bridge.loadBundle({ name: "baseline", source: await xsBundle("xs-app-baseline") });
		await bridge.worker.evaluate(`bundles.baseline.open(${port})`);
		await bridge.waitForLog("baseline open");
		peer.answer(push);
		peer.answer(ping);
		// The app's timers: the scan from 0, the ping from PING_PHASE_MS; then the same steps as AppSession.cycle.
		await bridge.worker.evaluate(`bundles.baseline.every(${push.out}, ${SCAN_MS})`);
		await bridge.advance(PING_PHASE_MS);
		await bridge.worker.evaluate(`bundles.baseline.every(${ping.out}, ${PING_MS})`);
		const periodCost = await perUnit(bridge, async () => {
			for (let i = 0; i < CYCLES_PER_PING; i++) {
				await step(bridge, SCAN_MS - PING_PHASE_MS);
				await step(bridge, PING_PHASE_MS);
			}
		}, PERIODS);
		sameTraffic("ping period", period, periodCost.traffic);
		const costs: UnitCost[] = [];
		for (const t of requests) {
			await bridge.worker.evaluate(`bundles.baseline.answers(${t.bytesIn}, ${t.bytesOut})`);
			const cost = await perUnit(bridge, async () => {
				await peer.ask(t.bytesIn, t.bytesOut);
				await settle(bridge, 0);
			}, REQUESTS);
			sameTraffic("platform request", t, cost.traffic);
			costs.push(cost.cost);
		}
		return { period: periodCost.cost, requests: costs };
	} finally {
		await bridge.close();
		await peer.close();
	}
}

/** The module "steamsensor" reduced to the two exports the starter imports: the load's floor. */
const STUB_APP = "export function startSteamSensor() {}\nexport function createSimulatedDrivers() {}\n";

/** The app's heap: a fresh worker, the modules, the HAL, then the app (`client`: settings over its defaults) until synchronized; with the stack depths on the way. */
export async function measureHeap(binary: string | undefined, app: string, client: StartClient = {}, cycles = STEADY_CYCLES): Promise<Omit<AppBudget["heap"], "hostBuffers" | "budget"> & { stack: Omit<AppBudget["stack"], "loadStub"> }> {
	const session = await AppSession.open({ name: "heap", binary }, app);
	try {
		const worker = session.bridge.worker;
		const idle = (await worker.evaluate("0")).meters.stack;
		const fresh = await heapNow(worker);
		const load = await session.load();
		const modules = await heapNow(worker);
		worker.resetStackPeak();
		await session.createHal();
		const hal = await heapNow(worker);
		const halScripts = worker.scripts;
		await session.start(client);
		const sync = binary === undefined ? null : worker.stackPeak;
		const started = await heapNow(worker);
		const startScripts = worker.scripts - halScripts;
		const perScript = heapDelta(started, await heapNow(worker)); // a gc() alone: what one evaluated script leaves
		for (let i = 0; i < cycles; i++) await session.cycle(false); // commands (the clock): they leave nothing
		const steady = await heapNow(worker);
		return {
			modules: heapDelta(fresh, modules),
			hal: heapDelta(modules, hal),
			app: heapNet(hal, started, startScripts, perScript),
			steady: heapNet(hal, steady, worker.scripts - halScripts, perScript),
			stack: { idle, load, sync },
		};
	} finally {
		await session.close();
	}
}

/** The stack depth of loading the starter with a stub app module. */
async function stubLoadStack(binary: string | undefined): Promise<number | null> {
	const session = await AppSession.open({ name: "stub", binary }, STUB_APP);
	try {
		return await session.load();
	} finally {
		await session.bridge.close(); // nothing started: no stop()
		await session.emu.close();
	}
}

/**
 * Steady state, platform GETs and PUTs, as shipped: hal/xs logging at info (the manifest's level),
 * WebSocket pings on at the client's default interval. The steady-state unit is a ping period
 * (CYCLES_PER_PING scan cycles, one ping and its pong), so that every unit carries the same traffic
 * for the bridge baseline; figures are per cycle.
 */
export async function measureTraffic(binary: string | undefined, app: string): Promise<Pick<AppBudget, "cycle" | "platformGet" | "platformPut" | "valuesPerPush">> {
	const session = await AppSession.open({ name: "steady", binary }, app);
	let on, off, get, putNumber, putBoolean, scanCrankCompute, timersFired, valuesPerPush;
	try {
		await session.load();
		await session.start();
		await session.steady(true);
		on = await perUnit(session.bridge, () => session.pingPeriod(), PERIODS);
		await session.steady(false);
		const before = await session.stats();
		const pings = session.emu.counters().pings;
		off = await perUnit(session.bridge, () => session.pingPeriod(), PERIODS);
		const after = await session.stats();
		const cycles = 5 * PERIODS * CYCLES_PER_PING; // warm-up, N, 2N, N
		if (after.pushesAcknowledged - before.pushesAcknowledged !== cycles || after.pushFailures !== 0) {
			throw new Error(`not every cycle pushed once and was answered: ${JSON.stringify({ before, after })}`);
		}
		if (session.emu.counters().pings - pings !== 5 * PERIODS) {
			throw new Error(`${session.emu.counters().pings - pings} pings in ${5 * PERIODS} periods of ${PING_MS} ms: the client's default pingIntervalMs is not ${PING_MS}`);
		}
		valuesPerPush = (after.rowsAcknowledged - before.rowsAcknowledged) / cycles;
		timersFired = (after.timersFired - before.timersFired) / cycles;
		// The scan's own crank (scan, push out).
		scanCrankCompute = await session.cycle();
		await session.readsFromEdge();
		const asked = session.emu.counters().requestsToEdge;
		get = await perUnit(session.bridge, () => session.platformGet(), REQUESTS);
		putNumber = await perUnit(session.bridge, () => session.platformPut("TemperatureLimit", 1000), REQUESTS);
		putBoolean = await perUnit(session.bridge, () => session.platformPut("FaultStatus", false), REQUESTS);
		if (session.emu.counters().requestsToEdge - asked !== 3 * 5 * REQUESTS) throw new Error("not every REST GET and PUT reached the edge");
	} finally {
		await session.close();
	}
	const requests = [get, putNumber, putBoolean];
	const baseline = await bridgeBaseline(binary, session.exchanges, off.traffic, requests.map((r) => r.traffic));
	const traffic = (measured: typeof off, bridge: UnitCost): TrafficCost => ({ net: netOf(measured.cost, bridge), gross: measured.cost, bridge, traffic: measured.traffic });
	const perCycle = (measured: typeof off): TrafficCost => scaled(traffic(measured, baseline.period), 1 / CYCLES_PER_PING);
	return {
		valuesPerPush,
		cycle: { loggingOn: perCycle(on), loggingOff: perCycle(off), scanCrankCompute, timersFired, pingMs: PING_MS },
		platformGet: traffic(get, baseline.requests[0]!),
		platformPut: { number: traffic(putNumber, baseline.requests[1]!), boolean: traffic(putBoolean, baseline.requests[2]!) },
	};
}

/** A ping period's cost as per-cycle figures (every count times `factor`). */
function scaled(c: TrafficCost, factor: number): TrafficCost {
	const unit = (u: UnitCost): UnitCost => ({
		...u, compute: u.compute * factor, ns: u.ns * factor, allocate: u.allocate * factor, slots: u.slots * factor,
		chunks: u.chunks === null ? null : u.chunks * factor, bytes: u.bytes === null ? null : u.bytes * factor,
	});
	const t = c.traffic;
	return {
		net: { slots: c.net.slots * factor, chunks: c.net.chunks === null ? null : c.net.chunks * factor, bytes: c.net.bytes === null ? null : c.net.bytes * factor, compute: c.net.compute * factor },
		gross: unit(c.gross),
		bridge: unit(c.bridge),
		traffic: { events: t.events * factor, dataEvents: t.dataEvents * factor, requests: t.requests * factor, bytesOut: t.bytesOut * factor, bytesIn: t.bytesIn * factor },
	};
}

/** Bytecode, minified and gzipped bytes from build/size.mjs (after deviceBundle() made sure build/dist is current). */
function bundleSizes(): AppBudget["sizes"] {
	deviceBundle("steamsensor");
	const r = spawnSync(process.execPath, ["build/size.mjs"], { cwd: ROOT, encoding: "utf8" });
	const sizes: AppBudget["sizes"] = {};
	for (const line of r.stdout.split("\n")) {
		const m = /^(\S+)\s+(\d+|-)\s+(\d+)\s+(\d+)/.exec(line);
		if (m) sizes[m[1]!] = { bytecode: m[2] === "-" ? null : Number(m[2]), minified: Number(m[3]), gzip: Number(m[4]) };
	}
	if (!sizes.steamsensor || !sizes.client) throw new Error(`build/size.mjs gave no sizes: ${r.stdout}${r.stderr}`);
	return sizes;
}

// ---------------------------------------------------------------------------------------------------
// callgrind: x86 instructions of the whole worker process, N vs 2N

/** The XS build measured: a release build (no debugger, no metering, as on a device) when one can be built, else the package's. */
function callgrindBuild(): { binary: string | undefined; name: string } {
	const release = releaseWorker();
	if (release) return { binary: release, name: "release XS 13.3 calibrated to Moddable SDK 8.2.3 (xsnap-worker without mxDebug/mxMetering, -O3; TypedArray set() as the SDK has it: hal/xs/release-worker.ts)" };
	return { binary: undefined, name: `xsnap's own worker (mxDebug + mxMetering: no release build, ${releaseWorkerProblem()})` };
}

function callgrindWorker(): Omit<XsWorkerOptions, "handleCommand"> {
	return { name: "callgrind", binary: callgrindBuild().binary, wrapper: ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"], meteringLimit: 0 };
}

function collected(worker: XsWorker): number {
	const match = /Collected : (\d+)/.exec(worker.stderr);
	if (!match) throw new Error(`no callgrind total in: ${worker.stderr.slice(-500)}`);
	return Number(match[1]);
}

/** The codec's encode of one 8-row push (what the budget's C SDK figure covers). */
async function callgrindEncode(): Promise<number> {
	const n = 200;
	const total = async (pushes: number) => {
		const worker = new XsWorker(callgrindWorker());
		try {
			await worker.loadBundle({ name: "bench", source: await xsBundle("xs-codec-bench") });
			await worker.evaluate("bundles.bench.encodePushes(10)"); // warm-up, as in the meter runs
			await worker.evaluate(`bundles.bench.encodePushes(${pushes})`);
		} finally {
			await worker.close(60000);
		}
		return collected(worker);
	};
	return ((await total(2 * n)) - (await total(n))) / n;
}

/** The app's whole scan cycle (scan, push encoded, framed and masked, written; the SUCCESS read), bridge included. */
async function callgrindCycle(app: string): Promise<number> {
	const n = 10;
	const total = async (cycles: number) => {
		const session = await AppSession.open(callgrindWorker(), app);
		try {
			await session.load();
			await session.start({ pingIntervalMs: 0 });
			await session.steady(false);
			for (let i = 0; i < cycles; i++) await session.cycle();
		} finally {
			await session.close(60000);
		}
		return collected(session.bridge.worker);
	};
	return ((await total(2 * n)) - (await total(n))) / n;
}

async function measureCallgrind(app: string): Promise<NonNullable<AppBudget["callgrind"]>> {
	const build = callgrindBuild().name;
	if (spawnSync("valgrind", ["--version"]).status !== 0) return { encodePerPush: "valgrind not installed", cyclePerPush: "valgrind not installed", budget: BUDGET_INSTRUCTIONS, build };
	return { encodePerPush: await callgrindEncode(), cyclePerPush: await callgrindCycle(app), budget: BUDGET_INSTRUCTIONS, build };
}

/**
 * Every app figure (about 15 s; --callgrind adds about a minute). `bundle`: another build of the app
 * module to measure instead of build/dist/steamsensor.js (e.g. other minifier settings).
 */
export async function appBudget(options: { callgrind?: boolean; bundle?: string } = {}): Promise<AppBudget> {
	const binary = meterWorker() ?? undefined;
	const app = options.bundle === undefined ? deviceBundle("steamsensor") : readFileSync(options.bundle, "utf8");
	const { stack, ...measured } = await measureHeap(binary, app);
	const heap = { ...measured, hostBuffers: (await measureHeap(binary, app, HOST_BUFFERS, 0)).app, budget: BUDGET_HEAP };
	const loadStub = await stubLoadStack(binary);
	const traffic = await measureTraffic(binary, app);
	const budget: AppBudget = { engine: ENGINE, slotSize: { xsnap: XS_SLOT_SIZE, esp32: ESP32_SLOT_SIZE }, heap, stack: { ...stack, loadStub }, ...traffic, sizes: bundleSizes() };
	if (options.callgrind) budget.callgrind = await measureCallgrind(app);
	return budget;
}

// ---------------------------------------------------------------------------------------------------
// Presentation

const int = (x: number) => Math.round(x).toLocaleString("en-US");
const num = (x: number) => (Number.isInteger(x) ? x.toLocaleString("en-US") : x.toFixed(2));
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

function heapText(h: HeapFigure): string {
	if (h.chunks === null) return `${int(h.slots)} slots (chunk meter unavailable)`;
	return `${int(h.slots)} slots + ${int(h.chunks)} B chunks = ${int(h.xsnapBytes!)} B xsnap (${kb(h.xsnapBytes!)}), ESP32 est. ${int(h.slots)} x 16 + ${int(h.chunks)} = ${int(h.esp32Bytes!)} B (${kb(h.esp32Bytes!)})`;
}

function allocationText(c: TrafficCost, unit: string): string {
	const n = c.net;
	const bytes = n.chunks === null ? `${num(n.slots)} slots` : `${num(n.slots)} slots + ${num(n.chunks)} B chunks`;
	const bridge = c.bridge.chunks === null ? `${num(c.bridge.slots)} slots` : `${num(c.bridge.slots)} slots + ${num(c.bridge.chunks)} B`;
	return `${bytes} per ${unit} net of the bridge (gross ${num(c.gross.slots)} slots + ${num(c.gross.chunks ?? NaN)} B, bridge ${bridge}); allocate meter ${num(c.gross.allocate)} B${c.gross.gcDuringRun || c.bridge.gcDuringRun ? " [GC inside a run: lower bounds]" : ""}`;
}

function zero(c: TrafficCost): string {
	return c.net.slots === 0 && (c.net.chunks ?? 0) === 0 ? "0: budget met" : "NOT 0";
}

function verdict(ok: boolean): string {
	return ok ? "within budget" : "OVER budget";
}

/** The app's figures as bench rows (printed by build/bench.ts with the codec rows). */
export function appRows(b: AppBudget): BenchRow[] {
	const row = (what: string, note: string): BenchRow => ({ engine: ENGINE, what, note });
	const c = b.cycle;
	const rows = [
		row("app heap after sync (budget 24 KB)", `${heapText(b.heap.app)}; ${verdict((b.heap.app.esp32Bytes ?? Infinity) <= b.heap.budget)} (ESP32 est.)`),
		row(`  same after ${STEADY_CYCLES} more cycles (pings on)`, `${heapText(b.heap.steady)}; ${b.heap.steady.slots === b.heap.app.slots && b.heap.steady.chunks === b.heap.app.chunks ? "steady" : "NOT steady"}`),
		row("  same, host sizes (chunk 8192, queue 4096)", `${heapText(b.heap.hostBuffers)} (the client's own defaults; request queue 2048 B / 16, maxPending 8)`),
		row("  modules (code + module objects)", `${heapText(b.heap.modules)} (flash on a device; not budgeted)`),
		row("  hal/xs bridge HAL (harness only)", heapText(b.heap.hal)),
		row(`alloc per cycle (${b.valuesPerPush} values), as shipped`, `${allocationText(c.loggingOn, "cycle")}; ${zero(c.loggingOn)} (log level info, StartLogging on: its CSV line is at debug; pings every ${num(c.pingMs / 1000)} s: averaged over ${num(c.pingMs / SCAN_MS)} cycles with one ping and its pong)`),
		row("alloc per cycle, StopLogging", `${allocationText(c.loggingOff, "cycle")}; ${zero(c.loggingOff)}`),
		row("compute per cycle (push), StopLogging", `${int(c.loggingOff.net.compute)} net of the bridge (gross ${int(c.loggingOff.gross.compute)}, bridge ${int(c.loggingOff.bridge.compute)}): scan, push and SUCCESS, the ping's share (${int(c.loggingOff.net.compute / b.valuesPerPush)} per value); the scan's crank ${int(c.scanCrankCompute)}`),
		row("timer wake-ups per cycle", `${num(c.timersFired)}, ${num((60000 / SCAN_MS) * c.timersFired)} per minute (the app's scan timer: 1 per cycle; the client's own: ${num(c.timersFired - 1)} per cycle, ${num((60000 / SCAN_MS) * (c.timersFired - 1))} per minute: its pings, every ${num(c.pingMs / 1000)} s)`),
		row("compute per cycle, as shipped", `${int(c.loggingOn.net.compute)} net of the bridge (gross ${int(c.loggingOn.gross.compute)}; pings on)`),
		row("platform GET (decode + answer)", `compute ${int(b.platformGet.net.compute)} net (gross ${int(b.platformGet.gross.compute)}); ${allocationText(b.platformGet, "GET")}; ${zero(b.platformGet)}`),
		row("platform PUT, NUMBER (decode, set, answer)", `compute ${int(b.platformPut.number.net.compute)} net (gross ${int(b.platformPut.number.gross.compute)}); ${allocationText(b.platformPut.number, "PUT")}; ${zero(b.platformPut.number)} (TemperatureLimit)`),
		row("platform PUT, BOOLEAN", `compute ${int(b.platformPut.boolean.net.compute)} net (gross ${int(b.platformPut.boolean.gross.compute)}); ${allocationText(b.platformPut.boolean, "PUT")}; ${zero(b.platformPut.boolean)} (FaultStatus)`),
	];
	const st = b.stack;
	if (st.load !== null && st.loadStub !== null && st.idle !== null && st.sync !== null) {
		rows.push(row("stack at load (slots)", `${int(st.load - st.loadStub)} the app module's own (load ${int(st.load)} minus ${int(st.loadStub)} with a stub app; xsnap's idle floor ${int(st.idle)}); manifest: 512 on esp32 (preloaded: the body runs at build time), 768 on lin/mac/win`));
		rows.push(row("stack peak until synchronized (slots)", `${int(st.sync - st.idle)} above xsnap's idle floor (deepest crank ${int(st.sync)}: connect, AUTH, BIND, sync, first push)`));
	} else rows.push(row("stack (slots)", "not measured: needs the metering worker"));
	for (const name of ["steamsensor", "client"]) {
		const s = b.sizes[name];
		const budget = name === "client" ? " (budgets: bytecode 30,720; minified 20,480 / gzip 8,192)" : " (budget: bytecode 46,080)";
		if (s) rows.push(row(`bundle ${name}.js`, `${s.bytecode === null ? "bytecode not measured" : `${int(s.bytecode)} B XS bytecode`}, ${int(s.minified)} B minified, ${int(s.gzip)} B gzip${budget}`));
	}
	if (b.callgrind) {
		const f = (x: number | string) => (typeof x === "number" ? `${int(x)} instructions` : x);
		rows.push(row("x86 per push, encode only (callgrind)", `${f(b.callgrind.encodePerPush)} (budget <= ${int(b.callgrind.budget)}, the C SDK's build + serialize)`));
		rows.push(row("x86 per scan cycle, whole worker", `${f(b.callgrind.cyclePerPush)} (scan, push, framing, bridge I/O, SUCCESS read); measured on ${b.callgrind.build}`));
	}
	return rows;
}

export async function run(options: { callgrind?: boolean; app?: boolean } = {}): Promise<BenchRow[]> {
	const callgrind = options.callgrind ?? process.argv.includes("--callgrind");
	const binary = meterWorker();
	const rows = await codecRows(binary);
	if (!binary) rows.push({ engine: ENGINE, what: "(chunk meter)", note: `unavailable: ${meterWorkerProblem()}` });
	if (options.app ?? true) rows.push(...appRows(await appBudget({ callgrind })));
	return rows;
}

const HEAP_NOTE = `Slot sizes: xsnap on x86-64 has ${XS_SLOT_SIZE}-byte slots (txSlot: 8-byte next pointer, kind/flag/ID padded to 8, 16-byte value); a 32-bit MCU (ESP32) has ${ESP32_SLOT_SIZE}-byte slots. ESP32 est. = slots x ${ESP32_SLOT_SIZE} + xsnap chunk bytes: an upper bound, since a 64-bit chunk has a 16-byte header and 8-byte alignment (8 and 4 on 32-bit) and array items are slots (32 B here, 16 B there). Heaps are measured after gc(), differences between stages; the app's net of the 1 slot + 24 B that xsnap keeps of each script the harness evaluated meanwhile (start, polls), measured by a gc() alone.`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
	const callgrind = process.argv.includes("--callgrind");
	const binary = meterWorker();
	const codec = await codecRows(binary);
	const at = process.argv.indexOf("--bundle");
	const app = await appBudget({ callgrind, bundle: at > 0 ? process.argv[at + 1] : undefined });
	if (process.argv.includes("--json")) {
		console.log(JSON.stringify({ codec, app }, null, 2));
	} else {
		for (const row of [...codec, ...appRows(app)]) {
			const ns = row.nsPerMessage === undefined ? "".padStart(14) : `${row.nsPerMessage.toFixed(0).padStart(7)} ns/msg`;
			console.log(`${row.engine.padEnd(14)} ${row.what.padEnd(40)} ${ns}  ${row.note ?? ""}`);
		}
		if (!binary) console.log(`chunk meter unavailable: ${meterWorkerProblem()}`);
		console.log(HEAP_NOTE);
	}
}
