// `npm run bench`: encode and decode the SteamSensor's 8-value UpdateSubscribedPropertyValues
// (the budgets: README.md, "Figures") on Node: messages per second and ns per message, median of several runs.
// An XS section joins without editing this file: a module build/bench-xs.ts exporting
// `run(): Promise<BenchRow[]>` is loaded when present and its rows are printed with these.
import { existsSync } from "node:fs";
import { ByteWriter, decodeMessage } from "../src/protocol/index";
import { SteamPush, STEAM_LOGFILE } from "../test/protocol/fixtures/steam-push";

export interface BenchRow {
	engine: string;
	what: string;
	/** Median ns per message; undefined when the section reports other figures only. */
	nsPerMessage?: number;
	/** Anything else worth a column (meter counts, bytes allocated). */
	note?: string;
}

const RUNS = 7;
const BUDGET_BYTES = 472; // budget: the C SDK's push with a 31-byte Logfile path

function median(values: number[]): number {
	const sorted = values.slice().sort((a, b) => a - b);
	return sorted[sorted.length >> 1];
}

/** Median ns per message: `loop(n)` handles n messages; RUNS timed runs after one warm-up run. */
function time(iterations: number, loop: (n: number) => void): number {
	const runs: number[] = [];
	for (let run = -1; run < RUNS; run++) {
		const start = process.hrtime.bigint();
		loop(iterations);
		const ns = Number(process.hrtime.bigint() - start) / iterations;
		if (run >= 0) runs.push(ns);
	}
	return median(runs);
}

function nodeSection(): { rows: BenchRow[]; size: number } {
	const steam = new SteamPush();
	const w = new ByteWriter(new Uint8Array(8192));
	const size = steam.write(w, 4, 0xbeef, 1795245718363);
	const message = w.buffer.slice(0, size);
	let sink = 0;
	const encodeNs = time(200_000, (n) => {
		for (let i = 0; i < n; i++) {
			w.position = 0;
			sink += steam.write(w, i, 0xbeef, 1795245718363 + i);
		}
	});
	const decodeNs = time(50_000, (n) => {
		for (let i = 0; i < n; i++) sink += decodeMessage(message).requestId;
	});
	if (sink === 0.5) console.log(sink); // keeps the loops observable
	return {
		size,
		rows: [
			{ engine: "node " + process.version, what: "encode (PushWriter, 8 rows)", nsPerMessage: encodeNs },
			{ engine: "node " + process.version, what: "decode (decodeMessage, whole model)", nsPerMessage: decodeNs },
		],
	};
}

function print(rows: BenchRow[]): void {
	for (const row of rows) {
		const figures = row.nsPerMessage === undefined ? "" :
			`${Math.round(1e9 / row.nsPerMessage).toLocaleString("en-US").padStart(11)} msg/s ${row.nsPerMessage.toFixed(0).padStart(7)} ns/msg`;
		console.log(`${row.engine.padEnd(14)} ${row.what.padEnd(38)} ${figures}${row.note ? "  " + row.note : ""}`);
	}
}

const { rows, size } = nodeSection();
console.log(`SteamSensor push: 8 rows, ${size} bytes on the wire (budget: ${BUDGET_BYTES} B; the Logfile path here is the capture's ${STEAM_LOGFILE.length}-byte "${STEAM_LOGFILE}", ${size - BUDGET_BYTES >= 0 ? "+" : ""}${size - BUDGET_BYTES} B)`);
console.log(`median of ${RUNS} runs after a warm-up; budget: encode <= 1000 ns/msg on Node (C SDK: 9 700 ns build+serialize, 2 600 ns serialize only)`);
const xs = new URL("./bench-xs.ts", import.meta.url);
if (existsSync(xs)) rows.push(...(await (await import(xs.href)).run() as BenchRow[]));
print(rows);
