/*
 * A metering build of xsnap-worker: the package's own release objects relinked with a worker main
 * whose end-of-crank meters also carry `chunks` (the XS chunk heap in use) and `stack` (the deepest
 * the XS stack went during the crank, in slots).
 *
 * Why: xsnap's `allocate` meter is the heap space XS took from the OS; it only moves when a heap
 * grows, so garbage never shows in it. `currentHeapCount` counts slots (objects, closures, views) but
 * not chunk-only garbage (strings, BigInts). With `chunks` too, a crank that starts with `gc()`
 * reports exactly what it allocated since: slots x XS_SLOT_SIZE + chunk bytes.
 *
 * The stack peak needs no instrumented XS build (the release objects have no mxInstrument, hence no
 * `stackPeak`): before each crank the free part of the stack is painted with a pattern, after it the
 * slots written are counted down from where the crank started (see fxGetStackPeak).
 *
 * The build compiles one patched copy of xsnap-worker.c (plus a 2-line accessor) with the package's
 * flags and links it with the objects `npm install` already built (~0.3 s); the result is cached in
 * node_modules/.cache. Without a C compiler or those objects, `meterWorker()` says why and callers
 * fall back to the stock worker (chunks: null).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const PACKAGE = fileURLToPath(new URL("../../node_modules/@agoric/xsnap/", import.meta.url));
export const SOURCES = join(PACKAGE, "xsnap-native/xsnap/sources");
export const OBJECTS = join(PACKAGE, "xsnap-native/xsnap/build/tmp/lin/release/xsnap-worker");
export const XS = join(PACKAGE, "moddable/xs");
const CACHE = fileURLToPath(new URL("../../node_modules/.cache/xsnap-meter/", import.meta.url));

const ACCESSOR = `#include "xsAll.h"
txSize fxGetCurrentChunksSize(txMachine* the) { return the->currentChunksSize; }
#define PAINT 0xA5
#define GAP 64
static txSlot* gxPainted = NULL;
void fxPaintStack(txMachine* the) {
	gxPainted = the->stack;
	c_memset(the->stackBottom, PAINT, (char*)the->stack - (char*)the->stackBottom);
}
static int fxIntact(txSlot* slot) {
	txU1* p = (txU1*)slot;
	for (size_t i = 0; i < sizeof(txSlot); i++) if (p[i] != PAINT) return 0;
	return 1;
}
/* Down from where the crank started until GAP intact slots in a row: the stack is contiguous (pushes
 * and reserved frames write every slot), while dtoa and the RegExp engine borrow the stack's far end
 * (xsdtoa.c, xsre.c) as scratch, which the gap keeps out of the count. */
txInteger fxGetStackPeak(txMachine* the) {
	txSlot* deepest = gxPainted ? gxPainted : the->stack;
	int intact = 0;
	for (txSlot* slot = deepest - 1; slot >= the->stackBottom && intact < GAP; slot--) {
		if (fxIntact(slot)) intact++;
		else {
			intact = 0;
			deepest = slot;
		}
	}
	return (txInteger)(the->stackTop - deepest);
}
`;

// Exact source fragments of xsnap-worker.c 0.15.0 and their replacements.
const PATCHES: ReadonlyArray<[string, string]> = [
	[
		"extern xsIntegerValue fxGetCurrentHeapCount(xsMachine* the);",
		"extern xsIntegerValue fxGetCurrentHeapCount(xsMachine* the);\nextern xsIntegerValue fxGetCurrentChunksSize(xsMachine* the);\nextern void fxPaintStack(xsMachine* the);\nextern xsIntegerValue fxGetStackPeak(xsMachine* the);",
	],
	['"\\"allocate\\":%u,"', '"\\"allocate\\":%u,"\n\t\t\t\t  "\\"chunks\\":%u,"\n\t\t\t\t  "\\"stack\\":%u,"'],
	["meterIndex, the->allocatedSpace, tsbuf);", "meterIndex, the->allocatedSpace, (unsigned)fxGetCurrentChunksSize(the), (unsigned)fxGetStackPeak(the), tsbuf);"],
	["\t\t\tchar command = *nsbuf;\n", "\t\t\tchar command = *nsbuf;\n\t\t\tfxPaintStack(machine);\n"],
];

/**
 * `source` with each [from, to] edit made; an Error naming `file` when a `from` is not in it exactly
 * once (another version of the package: the edit would go nowhere, or somewhere unmeant).
 */
export function patched(source: string, edits: ReadonlyArray<readonly [string, string]>, file: string): string {
	let text = source;
	for (const [from, to] of edits) {
		const at = text.indexOf(from);
		if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`${file} does not contain ${JSON.stringify(from)} exactly once`);
		text = text.slice(0, at) + to + text.slice(at + from.length);
	}
	return text;
}

/**
 * The C flags of the package's own xsnap-worker build (its build.config.env and makefile), with XS's
 * debugger and metering (what the package ships) or without both (a release XS, as on a device).
 */
export function xsnapFlags(version: string, instrumented: boolean): string[] {
	return [
		"-D__has_builtin(x)=1", // as build.config.env's CC
		"-fno-common", "-DINCLUDE_XSPLATFORM", '-DXSPLATFORM="xsnapPlatform.h"', `-DXSNAP_VERSION="${version}"`,
		"-DXSNAP_TEST_RECORD=0", "-DmxLockdown=1", ...(instrumented ? ["-DmxMetering=1", "-DmxDebug=1"] : ["-UmxMetering", "-UmxDebug"]), "-UmxInstrument",
		"-DmxNoConsole=1", "-DmxBoundsCheck=1", "-DmxParse=1", "-DmxRun=1", "-DmxSloppy=1", "-DmxSnapshot=1",
		"-DmxRegExpUnicodePropertyEscapes=1", "-DmxStringNormalize=1", "-DmxMinusZero=1",
		`-I${XS}/includes`, `-I${XS}/platforms`, `-I${XS}/sources`, `-I${SOURCES}`,
		"-Wno-misleading-indentation", "-Wno-implicit-fallthrough", "-w", "-O3",
	];
}

let built: { path: string | null; reason: string } | null = null;

/** Path of the metering worker, building it on first use; null (see `meterWorkerProblem()`) when it cannot be built. */
export function meterWorker(): string | null {
	built ??= build();
	return built.path;
}

/** Why `meterWorker()` returned null, or "" when it did not. */
export function meterWorkerProblem(): string {
	built ??= build();
	return built.reason;
}

function build(): { path: string | null; reason: string } {
	try {
		const version = JSON.parse(readFileSync(join(PACKAGE, "package.json"), "utf8")).version as string;
		const main = patched(readFileSync(join(SOURCES, "xsnap-worker.c"), "utf8"), PATCHES, `xsnap-worker.c ${version}`);
		if (!existsSync(OBJECTS)) return { path: null, reason: `no release objects in ${OBJECTS}` };
		const objects = readdirSync(OBJECTS)
			.filter((name) => name.endsWith(".o") && name !== "xsnap-worker.o")
			.map((name) => join(OBJECTS, name));
		const flags = xsnapFlags(version, true);
		const key = createHash("sha256").update(main).update(ACCESSOR).update(flags.join(" ")).update(objects.join(" ")).digest("hex").slice(0, 16);
		const dir = join(CACHE, key);
		const path = join(dir, "xsnap-worker");
		if (existsSync(path)) return { path, reason: "" };
		mkdirSync(dir, { recursive: true });
		const tmp = join(dir, `build-${process.pid}`);
		mkdirSync(tmp, { recursive: true });
		try {
			return link(main, flags, objects, tmp, path);
		} finally {
			rmSync(tmp, { recursive: true, force: true });
		}
	} catch (error) {
		return { path: null, reason: (error as Error).message };
	}
}

function link(main: string, flags: string[], objects: string[], tmp: string, path: string): { path: string | null; reason: string } {
		writeFileSync(join(tmp, "worker.c"), main);
		writeFileSync(join(tmp, "chunks.c"), ACCESSOR);
		for (const unit of ["worker", "chunks"]) {
			const r = spawnSync("cc", [join(tmp, `${unit}.c`), ...flags, "-c", "-o", join(tmp, `${unit}.o`)], { encoding: "utf8" });
			if (r.status !== 0) return { path: null, reason: `cc ${unit}.c failed: ${r.error?.message ?? r.stderr.slice(0, 2000)}` };
		}
		const exe = join(tmp, "xsnap-worker");
		const link = spawnSync("cc", ["-rdynamic", ...objects, join(tmp, "worker.o"), join(tmp, "chunks.o"), "-ldl", "-lm", "-lpthread", "-o", exe], { encoding: "utf8" });
		if (link.status !== 0) return { path: null, reason: `link failed: ${link.stderr.slice(0, 2000)}` };
		renameSync(exe, path); // atomic: concurrent test processes may build at once
		return { path, reason: "" };
}
