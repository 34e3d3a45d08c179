// `npm test`: type-check (host and runtime-free src/), build the bundles, then every test file.
// Test files: test/**/*.test.ts, run by node:test with tsx; XS suites load the built bundles.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function run(cmd, args) {
	console.log(`$ ${cmd} ${args.join(" ")}`);
	const r = spawnSync(cmd, args, { stdio: "inherit" });
	if (r.status !== 0) process.exit(r.status ?? 1);
}

function find(dir, out = []) {
	for (const name of readdirSync(dir).sort()) {
		const p = join(dir, name);
		if (statSync(p).isDirectory()) find(p, out);
		else if (name.endsWith(".test.ts")) out.push(p);
	}
	return out;
}

// --no-build: the test files only (test:stress runs the suite again on the build of its first run).
const noBuild = process.argv.includes("--no-build");
const only = process.argv.slice(2).filter((a) => a !== "--no-build");
const npx = "node_modules/.bin/";
if (only.length === 0 && !noBuild) {
	run(npx + "tsc", ["-p", "tsconfig.json"]);
	run(npx + "tsc", ["-p", "tsconfig.src.json"]);
	run(npx + "tsc", ["-p", "hal/moddable/tsconfig.json"]);
	run(npx + "tsc", ["-p", "test/xs/tsconfig.json"]);
	run(npx + "rollup", ["-c", "build/rollup.config.mjs", "--silent"]);
}
const files = only.length ? only : find("test");
// The per-test timeout only catches a hang: tests assert no speed, and a busy 2-core machine must
// never reach it (waits inside tests use test/support/deadline.ts, far below this).
const args = ["--import", "tsx", "--test", "--test-reporter=tap", "--test-reporter-destination=stdout", "--test-reporter=./build/file-times-reporter.mjs", "--test-reporter-destination=stdout", "--test-concurrency=2", "--test-timeout=600000", ...files];
console.log(`$ ${process.execPath} ${args.join(" ")}`);
const child = spawn(process.execPath, args, { stdio: ["inherit", "pipe", "inherit"] });
// The runner's TAP goes through unchanged; kept: its closing counts and the skipped tests' reasons.
let pending = "";
const counts = {};
const skipped = [];
child.stdout.on("data", (chunk) => {
	process.stdout.write(chunk);
	const lines = (pending + chunk).split("\n");
	pending = lines.pop();
	for (const line of lines) {
		const count = /^# (tests|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(line);
		if (count) counts[count[1]] = Number(count[2]);
		const skip = /^\s*ok \d+ - (.*) # SKIP\s*(.*)$/.exec(line);
		if (skip) skipped.push(`${skip[1]}: ${skip[2] || "(no reason given)"}`);
	}
});
child.on("exit", (code, signal) => {
	if (skipped.length) console.log(`\nskipped (why, and how to run it):\n${skipped.map((s) => "  - " + s).join("\n")}`);
	const failed = (counts.fail ?? 0) + (counts.cancelled ?? 0);
	console.log(`\n${counts.pass ?? 0} passed, ${failed} failed, ${counts.skipped ?? 0} skipped`);
	process.exit(code ?? (signal ? 1 : 0));
});
