// The XS section of `npm run bench` (build/bench.ts loads this module and prints `run()`'s rows), also
// runnable alone: `node --import tsx build/bench-xs.ts [--callgrind]`.
// Each figure is the difference between runs of N and 2N messages in one xsnap worker (XS 13.3), after
// a warm-up, in cranks that start with gc() (test/xs/measure.ts):
// - compute: XS's compute meter per message;
// - allocate: xsnap's `allocate` meter per message (BUDGETS.md's measure; it only moves when a heap grows);
// - allocated: what the message really allocated, slots x 32 B + chunk bytes (chunks from the metering
//   worker, hal/xs/meter-worker.ts), live or garbage.
// --callgrind adds x86 instructions per push (valgrind's callgrind, whole worker process, N vs 2N).
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { XsWorker } from "../hal/xs/host";
import { meterWorker, meterWorkerProblem } from "../hal/xs/meter-worker";
import { xsBundle } from "../test/xs/bundles";
import { costPerUnit, type UnitCost } from "../test/xs/measure";
import type { BenchRow } from "./bench";

const ENGINE = "xs 13.3 xsnap";
const BUDGET_INSTRUCTIONS = 97963; // BUDGETS.md: the C SDK's build + serialize of one push

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

export async function run(options: { callgrind?: boolean } = {}): Promise<BenchRow[]> {
	const binary = meterWorker();
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
	if (!binary) rows.push({ engine: ENGINE, what: "(chunk meter)", note: `unavailable: ${meterWorkerProblem()}` });
	if (options.callgrind ?? process.argv.includes("--callgrind")) rows.push(await callgrindRow());
	return rows;
}

/** x86 instructions per push: callgrind's total for a worker that pushes 2N times minus one that pushes N times. */
async function callgrindRow(): Promise<BenchRow> {
	const what = "encode, x86 instructions (callgrind)";
	if (spawnSync("valgrind", ["--version"]).status !== 0) return { engine: ENGINE, what, note: "valgrind not installed" };
	const n = 200;
	const total = async (pushes: number) => {
		const worker = new XsWorker({ name: "callgrind", wrapper: ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"], meteringLimit: 0 });
		try {
			await worker.loadBundle({ name: "bench", source: await xsBundle("xs-codec-bench") });
			await worker.evaluate("bundles.bench.encodePushes(10)"); // warm-up, as in the meter runs
			await worker.evaluate(`bundles.bench.encodePushes(${pushes})`);
		} finally {
			await worker.close(60000);
		}
		const collected = /Collected : (\d+)/.exec(worker.stderr);
		if (!collected) throw new Error(`no callgrind total in: ${worker.stderr.slice(-500)}`);
		return Number(collected[1]);
	};
	const perPush = ((await total(2 * n)) - (await total(n))) / n;
	return { engine: ENGINE, what, note: `${Math.round(perPush).toLocaleString("en-US")} instructions/push (budget <= ${BUDGET_INSTRUCTIONS.toLocaleString("en-US")}, the C SDK's native build + serialize)` };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
	for (const row of await run()) {
		const ns = row.nsPerMessage === undefined ? "" : `${row.nsPerMessage.toFixed(0).padStart(7)} ns/msg`;
		console.log(`${row.engine.padEnd(14)} ${row.what.padEnd(40)} ${ns}  ${row.note ?? ""}`);
	}
}
