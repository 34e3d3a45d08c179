/*
 * The XS test bundles, built here with rollup's JS API when missing or older than any source, so a
 * test file also works when run alone. Same shape as build/rollup.config.mjs's device bundles (ES
 * module, Moddable specifiers external, unminified) but compiled with test/xs/tsconfig.json (the
 * bundle that carries hal/moddable: test/xs/tsconfig.moddable.json): the
 * TypeScript plugin only emits files of its tsconfig's program, and tsconfig.src.json's program holds
 * neither hal/xs nor test/xs. A suite may import a device bundle by its module name (DEVICE_MODULES,
 * e.g. "steamsensor"): it stays external and is loaded next to the suite, unchanged (deviceBundle()).
 */
import typescript from "@rollup/plugin-typescript";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { rollup, type RollupOptions } from "rollup";

/** Bundle name -> entry; output build/dist/<name>.js. */
export const XS_BUNDLES: Readonly<Record<string, string>> = Object.freeze({
	"xs-smoke": "test/xs/suites/smoke.ts",
	"xs-codec": "test/xs/suites/codec.ts",
	"xs-codec-bench": "test/xs/suites/codec-bench.ts",
	"xs-ws": "test/xs/suites/ws.ts",
	"xs-ws-steady-state": "test/xs/suites/ws-steady-state.ts",
	"xs-drivers": "test/xs/suites/drivers.ts",
	"xs-client-requests": "test/xs/suites/client-requests.ts",
	"xs-client-hostile": "test/xs/suites/client-hostile.ts",
	"xs-app-start": "test/xs/suites/app-start.ts",
	"xs-app-baseline": "test/xs/suites/app-baseline.ts",
	"xs-moddable-tls": "test/xs/suites/moddable-tls.ts",
	"xs-moddable-steady": "test/xs/suites/moddable-steady.ts",
	"xs-gateway-things": "test/xs/suites/gateway-things.ts",
	"xs-gateway": "test/xs/suites/gateway.ts",
});

/**
 * Bundles that carry hal/moddable: inside it, the Moddable specifiers resolve to the fakes of
 * test/drivers/moddable (fakes.json, as the Node tests' loader maps them), except where XS needs its
 * own stand-in (the crypt fake uses node:crypto).
 */
const WITH_MODDABLE_FAKES: ReadonlySet<string> = new Set(["xs-moddable-tls", "xs-moddable-steady"]);
const XS_STAND_INS: Readonly<Record<string, string>> = Object.freeze({ crypt: "test/xs/suites/moddable-crypt.ts" });

/** Modules an XS bundle imports from a device bundle loaded next to it (build/dist/<name>.js, unchanged). */
const DEVICE_MODULES: ReadonlySet<string> = new Set(["steamsensor"]);

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SOURCE_DIRS = ["src", "hal", "test/xs", "test/drivers/moddable"];
const OWN = /^(hal\/xs|test\/xs)\//;

/** The text of build/dist/<name>.js, rebuilt first when stale. */
export async function xsBundle(name: string): Promise<string> {
	const entry = XS_BUNDLES[name];
	if (!entry) throw new Error(`unknown XS bundle ${name}`);
	const file = join(ROOT, "build/dist", `${name}.js`);
	if (mtime(file) < newestSource()) await build(entry, file, WITH_MODDABLE_FAKES.has(name));
	return readFileSync(file, "utf8");
}

/**
 * The text of a device bundle, build/dist/<name>.js exactly as `npm run build` makes it (minified,
 * build/rollup.config.mjs); rebuilt with that command first when missing or older than its sources or config.
 */
export function deviceBundle(name: string): string {
	const file = join(ROOT, "build/dist", `${name}.js`);
	if (mtime(file) < newestSource(["src", "hal/hal.ts", "build/rollup.config.mjs", "build/entries.mjs", "tsconfig.src.json"])) {
		const rollupCli = join(ROOT, "node_modules/rollup/dist/bin/rollup");
		const r = spawnSync(process.execPath, [rollupCli, "-c", "build/rollup.config.mjs", "--silent"], { cwd: ROOT, encoding: "utf8" });
		if (r.status !== 0) throw new Error(`npm run build failed (${r.status}): ${(r.stderr || r.stdout).slice(-2000)}`);
	}
	return readFileSync(file, "utf8");
}

async function build(entry: string, file: string, moddableFakes: boolean) {
	const configs = (await import(join(ROOT, "build/rollup.config.mjs"))).default as RollupOptions[];
	const ownErrors: string[] = [];
	const fake = moddableFakes ? moddableFakeResolver() : () => null;
	const bundle = await rollup({
		input: join(ROOT, entry),
		external: (id, importer, ...rest) =>
			fake(id, importer) === null && (DEVICE_MODULES.has(id) || (configs[0]!.external as (id: string, ...rest: unknown[]) => boolean)(id, importer, ...rest)), // + the Moddable specifiers
		treeshake: configs[0]!.treeshake,
		plugins: [
			{ name: "moddable-fakes", resolveId: (id, importer) => fake(id, importer) },
			typescript({
				tsconfig: join(ROOT, moddableFakes ? "test/xs/tsconfig.moddable.json" : "test/xs/tsconfig.json"),
				noEmitOnError: false,
				compilerOptions: { noEmit: false, sourceMap: true, declaration: false, types: [] },
			}),
		],
		onwarn(warning) {
			const where = warning.loc?.file ? relative(ROOT, warning.loc.file) : "";
			if (warning.code === "UNRESOLVED_IMPORT" || OWN.test(where)) ownErrors.push(`${where}: ${warning.message}`);
		},
	});
	try {
		if (ownErrors.length) throw new Error(`XS bundle ${entry}:\n${ownErrors.join("\n")}`);
		await bundle.write({ file, format: "es", sourcemap: true });
	} finally {
		await bundle.close();
	}
}

/** Inside hal/moddable: a Moddable specifier -> the file that stands in for it under XS, or null. */
function moddableFakeResolver(): (id: string, importer: string | undefined) => string | null {
	const fakes = JSON.parse(readFileSync(join(ROOT, "test/drivers/moddable/fakes.json"), "utf8")) as Record<string, string>;
	return (id, importer) => {
		if (importer === undefined || !importer.includes("/hal/moddable/")) return null;
		const standIn = XS_STAND_INS[id];
		if (standIn !== undefined) return join(ROOT, standIn);
		const fake = fakes[id];
		return fake === undefined ? null : join(ROOT, "test/drivers/moddable", fake);
	};
}

function mtime(path: string): number {
	try {
		return statSync(path).mtimeMs;
	} catch {
		return 0;
	}
}

function newestSource(dirs: readonly string[] = SOURCE_DIRS): number {
	let newest = 0;
	const walk = (dir: string) => {
		if (!statSync(dir).isDirectory()) return void (newest = Math.max(newest, mtime(dir)));
		for (const entry of readdirSync(dir, { withFileTypes: true })) {
			const path = join(dir, entry.name);
			if (entry.isDirectory()) walk(path);
			else if (entry.name.endsWith(".ts") || /^tsconfig.*\.json$/.test(entry.name)) newest = Math.max(newest, mtime(path));
		}
	};
	for (const dir of dirs) walk(join(ROOT, dir));
	return newest;
}
