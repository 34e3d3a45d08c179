/*
 * Edge gateway figures on the host: the gateway (EdgeGateway, as `twx ems` runs it) against the
 * emulator in a child process (so that this process's heap is the gateway's alone) over loopback,
 * driven by Node's fetch (counts and rates from one run; never
 * asserted as times in tests):
 *  - registered things on one connection: N things registered over REST (10 requests under way at a
 *    time) on a live connection: BIND messages the client sent for them (batching), time until every
 *    one is synchronized; then the gateway restarted with all N persisted: one BIND after AUTH, time
 *    from start to every thing synchronized;
 *  - REST PUT -> platform acknowledged: one PUT at a time, from the request to the client counting the
 *    value acknowledged by the platform (p50, p99);
 *  - PUTs per second: 10 clients PUTting in parallel for a fixed count, until the platform acknowledged all;
 *  - memory per registered thing: JS heap after a full GC, before and after registering N things with
 *    one value each, divided by N (the queues, max_things x queue_bytes, are allocated at start and
 *    reported apart); and under XS (xsnap, test/xs/suites/gateway-things.ts): slots x 32 B + chunk
 *    bytes kept after gc() per registered thing, on a client that is not connected.
 * Run: node --expose-gc --import tsx build/bench-ems.ts [--quick]
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNodeHal } from "../hal/node/index";
import { startEmulator } from "../emulator/index";
import { XS_SLOT_SIZE, XsWorker, type XsMeters } from "../hal/xs/host";
import { meterWorker } from "../hal/xs/meter-worker";
import { xsBundle } from "../test/xs/bundles";
import { gatewayConfig } from "../src/gateway/config";
import { EdgeGateway } from "../src/gateway/edge-gateway";
import { until } from "./until";

const KEY = "bench-" + Math.random().toString(36).slice(2);
const quick = process.argv.includes("--quick");
const THINGS = quick ? 200 : 1000;
const QUEUE_BYTES = 1024;
const gc = (globalThis as { gc?: () => void }).gc;

/** How long a wait may take before the bench gives up (a hang guard). */
const WAIT_MS = 120000;

function gateway(platformPort: number, store: string): EdgeGateway {
	const hal = createNodeHal({ logLevel: "error", logSink: () => {}, storePath: store });
	const config = gatewayConfig({
		ws_servers: [{ host: "127.0.0.1", port: platformPort }],
		ws_connection: { encryption: "none", compression: false },
		http_server: { port: 0, max_clients: 32 },
		things: { max_things: THINGS, queue_bytes: QUEUE_BYTES },
		logger: { level: "error" },
	});
	return new EdgeGateway(hal, config, () => KEY);
}

async function post(url: string, body: unknown, method = "POST"): Promise<void> {
	const r = await fetch(url, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
	await r.arrayBuffer();
	if (r.status !== 200) throw new Error(`${method} ${url}: ${r.status}`);
}

/** Runs `work(i)` for i < count, `parallel` at a time. */
async function pool(count: number, parallel: number, work: (i: number) => Promise<void>): Promise<void> {
	let next = 0;
	await Promise.all(Array.from({ length: parallel }, async () => {
		while (next < count) await work(next++);
	}));
}

function heap(): number {
	gc?.();
	gc?.();
	return process.memoryUsage().heapUsed;
}

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
	if (!gc) console.log("(run with --expose-gc for the memory figure)");
	const emulator = fork(new URL(import.meta.url).pathname, ["--emulator-child", KEY], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
	const platformPort = await new Promise<number>((resolve, reject) => {
		emulator.once("message", (message: { port: number }) => resolve(message.port));
		emulator.once("exit", (code) => reject(new Error(`emulator exited (${code})`)));
	});
	const dir = mkdtempSync(join(tmpdir(), "bench-ems-"));
	const store = join(dir, "store.json");
	try {
		let gw = gateway(platformPort, store);
		let port = await gw.start();
		let base = `http://127.0.0.1:${port}/Thingworx/Things/`;
		await until(() => gw.client.connected, WAIT_MS);
		const names = Array.from({ length: THINGS }, (_, i) => `BenchThing${i}`);

		const heapBefore = heap();
		const binds0 = gw.client.stats.binds;
		const t0 = performance.now();
		await pool(THINGS, 10, (i) => post(base + "LocalEms/Services/AddEdgeThing", { name: names[i], persist: true }));
		const registered = performance.now() - t0;
		await until(() => names.every((n) => gw.client.isSynchronized(n)), WAIT_MS);
		const synced = performance.now() - t0;
		const binds = gw.client.stats.binds - binds0;
		console.log(`${THINGS} things registered over REST on a live connection (10 requests at a time):`);
		console.log(`  ${binds} BIND message(s); all registered in ${registered.toFixed(0)} ms, all synchronized ${synced.toFixed(0)} ms after the first request`);

		await pool(THINGS, 10, (i) => post(base + names[i] + "/Properties/Level", { Level: i }, "PUT"));
		await until(() => gw.client.stats.rowsAcknowledged >= THINGS, WAIT_MS);
		const heapAfter = heap();
		console.log(`  memory per registered thing with one property: ${((heapAfter - heapBefore) / THINGS).toFixed(0)} B of JS heap (after a full GC), besides its queue (${QUEUE_BYTES} B, allocated at start for max_things)`);

		await gw.stop();
		gw = gateway(platformPort, store);
		const t1 = performance.now();
		port = await gw.start();
		base = `http://127.0.0.1:${port}/Thingworx/Things/`;
		await until(() => names.every((n) => gw.client.isSynchronized(n)), WAIT_MS);
		console.log(`  restarted with ${THINGS} persisted: every thing synchronized ${(performance.now() - t1).toFixed(0)} ms after start (${gw.client.stats.binds} BIND)`);

		const latencies: number[] = [];
		const rounds = quick ? 300 : 1000;
		const s = gw.client.stats;
		for (let i = 0; i < rounds + 50; i++) {
			const acked = s.rowsAcknowledged + 1;
			const start = performance.now();
			await post(base + "BenchThing0/Properties/Level", { Level: i }, "PUT");
			await until(() => s.rowsAcknowledged >= acked, WAIT_MS);
			if (i >= 50) latencies.push(performance.now() - start);
		}
		latencies.sort((a, b) => a - b);
		console.log(`REST PUT -> platform acknowledged, one at a time (${rounds} PUTs): p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`);

		const total = quick ? 2000 : 10000;
		const acked0 = s.rowsAcknowledged;
		const dropped0 = s.rowsDropped;
		const t2 = performance.now();
		await pool(total, 10, (i) => post(base + names[i % 10] + "/Properties/Level", { Level: i }, "PUT"));
		const answered = performance.now() - t2;
		await until(() => s.rowsAcknowledged - acked0 + s.rowsDropped - dropped0 >= total, WAIT_MS);
		const done = performance.now() - t2;
		const acked = s.rowsAcknowledged - acked0;
		console.log(`${total} PUTs from 10 clients in parallel over 10 things: ${(total / (answered / 1000)).toFixed(0)} PUTs/s answered, ${(acked / (done / 1000)).toFixed(0)} values/s acknowledged by the platform (${s.rowsDropped - dropped0} dropped from full ${QUEUE_BYTES} B queues)`);
		await gw.stop();
		await xsMemory();
	} finally {
		emulator.kill("SIGTERM");
		rmSync(dir, { recursive: true, force: true });
	}
}

/** What N registered things keep under XS, per thing, after gc(); and what stays once they are removed. */
async function xsMemory(): Promise<void> {
	const worker = new XsWorker({ name: "gateway-things", binary: meterWorker() ?? undefined });
	try {
		await worker.loadBundle({ name: "gw", source: await xsBundle("xs-gateway-things") });
		await worker.evaluateJson(`bundles.gw.setup(${THINGS}, ${QUEUE_BYTES})`);
		await worker.evaluateJson("bundles.gw.register(1) + bundles.gw.unregister()"); // warm-up: lazily made caches
		const kept = (a: XsMeters, b: XsMeters) => (b.currentHeapCount - a.currentHeapCount) * XS_SLOT_SIZE + (a.chunks === null || b.chunks === null ? 0 : b.chunks - a.chunks);
		const before = (await worker.evaluate("gc()")).meters;
		await worker.evaluateJson(`bundles.gw.register(${THINGS})`);
		const after = (await worker.evaluate("gc()")).meters;
		await worker.evaluateJson("bundles.gw.unregister()");
		const removed = (await worker.evaluate("gc()")).meters;
		const chunks = before.chunks === null ? " (slots only: no metering worker)" : "";
		console.log(`XS: ${THINGS} registered things with one value each keep ${(kept(before, after) / THINGS).toFixed(0)} B per thing${chunks} (slots x ${XS_SLOT_SIZE} B + chunks, after gc()); once removed, ${(kept(before, removed) / THINGS).toFixed(1)} B per thing stay`);
	} finally {
		await worker.close();
	}
}

/** The emulator, in its own process: tells its port, runs until killed. */
async function child(key: string): Promise<void> {
	const emu = await startEmulator({ port: 0, appKeys: [key], log: null, historySize: 100 });
	process.send!({ port: emu.port });
	process.on("SIGTERM", () => void emu.close().then(() => process.exit(0)));
}

const at = process.argv.indexOf("--emulator-child");
if (at >= 0) await child(process.argv[at + 1]);
else await main();
