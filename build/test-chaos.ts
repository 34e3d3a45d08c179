/*
 * npm run test:chaos: the long fault campaign (issue 12). Asserts what npm test's short one does, at scale:
 * - the hostile-server fuzzer: --hostile cases (default 100,000), heap after GC before and after;
 * - the edge pushing --values distinct values (default 10,000) through the chaos proxy with --faults
 *   faults of every kind (default 50 each), the emulator in a child process so this process's heap is
 *   the client's (and the proxy's): accounting (set = stored + dropped, nothing stored unset, times and
 *   order kept), every loss recovered, heap after GC flat from the first tenth of the run to its end;
 * and prints faults per kind, values set/stored/dropped/duplicated, recovery p50/p99 per kind, memory.
 * Client settings: the defaults (queue 4096 B, 3 timeouts in a row a loss) except keep-alive (1 s ping,
 * 1 s pong: the default 55 s would make a stall last a minute), request timeout 1 s (10 s: a silent
 * wedge takes three) and back-off (50 ms / 1 s). Run: npm run test:chaos [-- --values N --faults N --hostile N --seed N]
 */
import { fork } from "node:child_process";
import { parseArgs } from "node:util";
import { emulatorFault, FAULT_KINDS, LOSS_KINDS, runCampaign, storedCounter } from "../test/chaos/campaign";
import { runHostile } from "../test/chaos/hostile";

const KEY = "chaos-key";

if (process.argv.includes("--emulator-child")) {
	const { startEmulator } = await import("../emulator/index");
	const emu = await startEmulator({ appKeys: [KEY], host: "127.0.0.1", port: 0, historySize: 1_000_000, frameLogSize: 100, logLevel: "error" });
	process.on("message", async (message: { type: string }) => {
		if (message.type === "stored") process.send?.({ type: "stored", values: storedCounter(emu) });
		else if (message.type === "unbind" || message.type === "wedge") {
			emulatorFault(emu, message.type);
			process.send?.({ type: "done" });
		}
		else if (message.type === "stop") {
			await emu.close();
			process.exit(0);
		}
	});
	process.send?.({ type: "ready", port: emu.port });
} else {
	await main();
}

async function main(): Promise<void> {
	const { values: args } = parseArgs({ options: { values: { type: "string", default: "10000" }, faults: { type: "string", default: "50" }, hostile: { type: "string", default: "100000" }, seed: { type: "string", default: "2026" } } });
	const values = Number(args.values);
	const faults = Number(args.faults);
	const hostile = Number(args.hostile);
	const seed = Number(args.seed);
	const gc = (globalThis as { gc?: () => void }).gc;
	if (!gc) throw new Error("run with node --expose-gc (npm run test:chaos does)");
	const heap = () => {
		gc();
		gc();
		const m = process.memoryUsage();
		return m.heapUsed + m.arrayBuffers;
	};
	const kb = (bytes: number) => (bytes / 1024).toFixed(0) + " KB";
	const failures: string[] = [];
	const check = (ok: boolean, what: string) => {
		if (!ok) failures.push(what);
	};
	console.log(`test:chaos: seed ${seed}, node ${process.version}`);

	// --- hostile server
	const h0 = heap();
	const h = runHostile(seed, hostile);
	const h1 = heap();
	console.log(`hostile server: ${h.cases} cases (${Object.entries(h.perKind).map(([k, n]) => `${k} ${n}`).join(", ")})`);
	console.log(`  answered ${h.answered}, counted ${h.counted}, held within bounds ${h.held}, connection closed ${h.closed} (then reconnected: ${h.connections} connections); valid GETs answered ${h.checksAnswered}/${h.checks}; thrown ${h.thrown.length}`);
	console.log(`  heap after GC: ${kb(h0)} before, ${kb(h1)} after (${kb(h1 - h0)})`);
	check(h.thrown.length === 0, `hostile: ${h.thrown.length} exceptions, first ${JSON.stringify(h.thrown[0])}`);
	check(h.checksAnswered === h.checks, "hostile: a valid GET went unanswered");

	// --- chaos campaign
	const child = fork(new URL(import.meta.url).pathname, ["--emulator-child"], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
	const port = await new Promise<number>((resolve, reject) => {
		child.once("message", (m: { port: number }) => resolve(m.port));
		child.once("exit", (code) => reject(new Error(`emulator exited (${code})`)));
	});
	const stored = () => new Promise<Array<[number, number]>>((resolve) => {
		child.once("message", (m: { values: Array<[number, number]> }) => resolve(m.values));
		child.send({ type: "stored" });
	});
	const fault = (kind: "unbind" | "wedge") => new Promise<void>((resolve) => {
		child.once("message", () => resolve());
		child.send({ type: kind });
	});
	const samples: number[] = [];
	const started = Date.now();
	const r = await runCampaign({
		seed, values, faultsPerKind: faults, setEveryMs: 2, platform: { port, stored, fault }, deadlineMs: 120_000,
		client: { pingIntervalMs: 1000, pongTimeoutMs: 1000, backoffBaseMs: 50, backoffCapMs: 1000, requestTimeoutMs: 1000 },
		between: () => samples.push(heap()),
	});
	child.send({ type: "stop" });
	const after = heap();
	const seconds = ((Date.now() - started) / 1000).toFixed(0);
	console.log(`chaos campaign: ${seconds} s; faults injected: ${FAULT_KINDS.map((k) => `${k} ${r.injected[k]}`).join(", ")}`);
	console.log(`  values set ${r.set}, stored ${r.stored}, dropped (counted) ${r.dropped}, duplicated ${r.duplicates}; lost ${r.lost}, counted dropped but stored ${r.storedAndDropped}, stored never set ${r.unexpected}, wrong time ${r.wrongTime}, out of order ${r.outOfOrder}`);
	const pct = (list: number[], p: number) => (list.length ? [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor((p / 100) * list.length))] : NaN);
	for (const kind of LOSS_KINDS) console.log(`  recovery after ${kind}: p50 ${pct(r.recoveryMs[kind], 50)} ms, p99 ${pct(r.recoveryMs[kind], 99)} ms (${r.recoveryMs[kind].length} recovered, ${r.unrecovered[kind]} not)`);
	console.log(`  reconnects ${r.reconnects}; errors reported: ${[...r.errors].map(([m, n]) => `${n}x ${m}`).join("; ")}`);
	const early = samples[Math.floor(samples.length / 10)] ?? after;
	console.log(`  heap after GC: ${kb(samples[0] ?? after)} at the first fault, ${kb(early)} a tenth in, ${kb(after)} at the end (${kb(after - early)})`);
	check(r.set === values && r.lost === 0 && r.storedAndDropped === 0 && r.unexpected === 0 && r.wrongTime === 0 && r.outOfOrder === 0, "accounting");
	for (const kind of LOSS_KINDS) check(r.unrecovered[kind] === 0, `${kind}: ${r.unrecovered[kind]} not recovered`);
	check(after - early < 1024 * 1024, `heap grew ${kb(after - early)} over the run`);
	console.log(failures.length ? `test:chaos FAILED: ${failures.join("; ")}` : "test:chaos passed");
	process.exit(failures.length ? 1 : 0);
}
