// `npm test`: type-check (host and runtime-free src/), build the bundles, then every test file.
// Test files: test/**/*.test.ts, run by node:test with tsx; XS suites load the built bundles.
import { spawnSync } from "node:child_process";
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

const only = process.argv.slice(2);
const npx = "node_modules/.bin/";
if (only.length === 0) {
	run(npx + "tsc", ["-p", "tsconfig.json"]);
	run(npx + "tsc", ["-p", "tsconfig.src.json"]);
	run(npx + "tsc", ["-p", "hal/moddable/tsconfig.json"]);
	run(npx + "tsc", ["-p", "test/xs/tsconfig.json"]);
	run(npx + "rollup", ["-c", "build/rollup.config.mjs", "--silent"]);
}
const files = only.length ? only : find("test");
run(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", "--test-timeout=120000", ...files]);
