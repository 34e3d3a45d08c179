/*
 * A release build of xsnap-worker: every object of the package's build compiled again from its
 * sources without XS's debugger and metering (-UmxDebug -UmxMetering, -O3), as a device's release XS
 * runs. It is what `npm run bench:xs -- --callgrind` measures x86 instructions on: the package's own
 * worker checks a meter at every bytecode and keeps debugger state, which a device does not.
 * Built on first use (a minute or two), cached in node_modules/.cache/xsnap-release; without a C
 * compiler or the package's sources, `releaseWorker()` says why and callers use the stock worker.
 * The worker takes no metering limit (XsWorkerOptions.meteringLimit 0) and reports no compute.
 *
 * Calibrated against Moddable's own XS (SDK 8.2.3), which a device runs: where the package's XS 13.3
 * differs from it on a path the push takes, the package's source is compiled as the SDK has it
 * (CALIBRATION below). One difference matters: TypedArray.prototype.set copies with memcpy when both
 * arrays have the same element type; XS 13.3 compares the two arrays' own dispatch slots (never equal
 * for two arrays), so it copies every Uint8Array byte by byte through getter and setter (~59 x86
 * instructions a byte), while 8.2.3 compares their element types (xs/sources/xsDataView.c,
 * fx_TypedArray_prototype_set).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { OBJECTS, PACKAGE, patched, xsnapFlags } from "./meter-worker";

const CACHE = fileURLToPath(new URL("../../node_modules/.cache/xsnap-release/", import.meta.url));
/** Where the package's objects come from, outside the XS sources directory. */
const SOURCE_DIRS = ["moddable/xs/sources", "xsnap-native/xsnap/sources", "moddable/modules/data/base64", "moddable/modules/data/text/decoder", "moddable/modules/data/text/encoder"];

/** Source edits that make the package's XS behave as Moddable SDK 8.2.3's on the measured paths: file -> [[package text, SDK text]]. */
const CALIBRATION: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>> = Object.freeze({
	"xsDataView.c": [["if (dispatch == sourceDispatch) {", "if (dispatch->value.typedArray.dispatch == sourceDispatch->value.typedArray.dispatch) {"]],
});

let built: { path: string | null; reason: string } | null = null;

/** Path of the release worker, building it on first use; null (see `releaseWorkerProblem()`) when it cannot be built. */
export function releaseWorker(): string | null {
	built ??= build();
	return built.path;
}

export function releaseWorkerProblem(): string {
	built ??= build();
	return built.reason;
}

function build(): { path: string | null; reason: string } {
	try {
		const version = JSON.parse(readFileSync(join(PACKAGE, "package.json"), "utf8")).version as string;
		if (!existsSync(OBJECTS)) return { path: null, reason: `no package build in ${OBJECTS} to take the object list from` };
		const units: string[] = [];
		for (const object of readdirSync(OBJECTS).filter((name) => name.endsWith(".o"))) {
			const name = object.slice(0, -2) + ".c";
			const dir = SOURCE_DIRS.find((d) => existsSync(join(PACKAGE, d, name)));
			if (!dir) return { path: null, reason: `no source for ${object}` };
			units.push(join(PACKAGE, dir, name));
		}
		const flags = xsnapFlags(version, false);
		const key = createHash("sha256").update(units.join(" ")).update(flags.join(" ")).update(JSON.stringify(CALIBRATION)).digest("hex").slice(0, 16);
		const dir = join(CACHE, key);
		const path = join(dir, "xsnap-worker");
		if (existsSync(path)) return { path, reason: "" };
		const tmp = join(dir, `build-${process.pid}`);
		mkdirSync(tmp, { recursive: true });
		try {
			const objects = units.map((unit, i) => {
				const object = join(tmp, `${i}.o`);
				const r = spawnSync("cc", [calibrated(unit, tmp), ...flags, "-I", dirname(unit), "-c", "-o", object], { encoding: "utf8" });
				if (r.status !== 0) throw new Error(`cc ${unit} failed: ${r.error?.message ?? r.stderr.slice(0, 2000)}`);
				return object;
			});
			const exe = join(tmp, "xsnap-worker");
			const link = spawnSync("cc", ["-rdynamic", ...objects, "-ldl", "-lm", "-lpthread", "-o", exe], { encoding: "utf8" });
			if (link.status !== 0) return { path: null, reason: `link failed: ${link.stderr.slice(0, 2000)}` };
			renameSync(exe, path); // atomic: concurrent processes may build at once
			return { path, reason: "" };
		} finally {
			rmSync(tmp, { recursive: true, force: true });
		}
	} catch (error) {
		return { path: null, reason: (error as Error).message };
	}
}

/** `unit`, or a copy of it in `dir` with its CALIBRATION edits; throws when the package text is not there once. */
function calibrated(unit: string, dir: string): string {
	const edits = CALIBRATION[basename(unit)];
	if (edits === undefined) return unit;
	const copy = join(dir, basename(unit));
	writeFileSync(copy, patched(readFileSync(unit, "utf8"), edits, `calibration of ${basename(unit)}`));
	return copy;
}
