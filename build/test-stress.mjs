// `npm run test:stress`: the whole suite 5 times in a row while two busy-loop processes keep both
// cores busy; stops at the first failed run. Prints each run's result and the slowest test file.
// Proves the tests assert behaviour, not speed (issue 11): a test that fails on a busy machine is a defect.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";

const RUNS = 5;
const BUSY = Math.max(2, availableParallelism());

function run(args, logFile) {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
		let out = "";
		child.stdout.on("data", (d) => (out += d));
		child.stderr.on("data", (d) => (out += d));
		child.on("exit", (code) => {
			writeFileSync(logFile, out);
			resolve({ code: code ?? 1, out });
		});
	});
}

/** The slowest file of a run, from build/file-times-reporter.mjs's lines (slowest first). */
function slowestFile(out) {
	const m = /^# file-time ([\d.]+) s (.+)$/m.exec(out);
	return m ? { file: m[2], ms: Number(m[1]) * 1000 } : null;
}

const dir = mkdtempSync(join(tmpdir(), "twx-stress-"));
const busy = Array.from({ length: BUSY }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
const stopBusy = () => busy.forEach((p) => p.kill("SIGKILL"));
process.on("SIGINT", () => {
	stopBusy();
	process.exit(130);
});
console.log(`test:stress: ${RUNS} runs of the whole suite, ${BUSY} busy-loop processes (pids ${busy.map((p) => p.pid).join(", ")}) keeping the cores busy; logs in ${dir}`);

let slowest = { file: "", ms: 0, run: 0 };
let failedRun = 0;
const started = Date.now();
for (let i = 1; i <= RUNS; i++) {
	const log = join(dir, `run-${i}.log`);
	// run 1 type-checks and builds as npm test does; the others run the same test files on that build
	const t0 = Date.now();
	const { code, out } = await run(["build/test.mjs", ...(i === 1 ? [] : ["--no-build"])], log);
	const summary = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(out);
	const slow = slowestFile(out);
	if (slow && slow.ms > slowest.ms) slowest = { ...slow, run: i };
	const slowText = slow ? `slowest ${slow.file} ${(slow.ms / 1000).toFixed(1)} s` : "";
	console.log(`run ${i}/${RUNS}: ${code === 0 ? "PASS" : "FAIL"} (${summary ? summary[0] : "no summary: exit " + code}) in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${slowText}`);
	if (code !== 0) {
		failedRun = i;
		for (const line of out.split("\n").filter((l) => /^\s*not ok /.test(l))) console.log("  " + line.trim());
		console.log(`  full output: ${log}`);
		break;
	}
}
stopBusy();
const total = ((Date.now() - started) / 1000).toFixed(0);
if (slowest.file) console.log(`slowest test file: ${slowest.file}, ${(slowest.ms / 1000).toFixed(1)} s (run ${slowest.run})`);
console.log(failedRun ? `test:stress FAILED at run ${failedRun} (${total} s)` : `test:stress: ${RUNS} of ${RUNS} runs passed under load (${total} s)`);
process.exit(failedRun ? 1 : 0);
