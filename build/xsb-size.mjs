// XS bytecode of a bundle without the Moddable SDK: build/xsb-size.c (xsc's compile path and .xsb layout)
// compiled with cc against the XS sources that @agoric/xsnap ships, cached in node_modules/.cache.
// Checked against Moddable's own xsc (SDK 8.2.3, release): within 2 % on every device bundle
// (README.md, "Figures"; test/xs/xsb-size.test.ts keeps a recorded figure).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const XS = join(ROOT, "node_modules/@agoric/xsnap/moddable/xs");
const MAIN = join(ROOT, "build/xsb-size.c");
// xsc's own object list (xs/makefiles/lin/xsc.mk), its main replaced by build/xsb-size.c.
const UNITS = ["xsBigInt", "xsCode", "xsCommon", "xsdtoa", "xsLexical", "xsre", "xsScope", "xsScript", "xsSourceMap", "xsSyntaxical", "xsTree"];
const FLAGS = ["-fno-common", `-I${XS}/includes`, `-I${XS}/platforms`, `-I${XS}/sources`, "-DmxCompile=1", "-O2", "-w"];

let tool = null;

/** { path } of the built tool, or { reason } why there is none (no cc, no XS sources). */
export function xsbTool() {
	tool ??= build();
	return tool;
}

/** Bytes of the .xsb xsc would write for each ES-module file: { xsb, code, symbols, hosts } per path, or throws. */
export function xsbSizes(files) {
	const { path, reason } = xsbTool();
	if (!path) throw new Error(`no XS bytecode measure: ${reason}`);
	const r = spawnSync(path, files, { encoding: "utf8" });
	if (r.status !== 0) throw new Error(`xsb-size failed: ${r.stderr.slice(0, 2000)}`);
	const sizes = new Map();
	for (const line of r.stdout.trim().split("\n")) {
		const [xsb, code, symbols, hosts, ...file] = line.split(" ");
		sizes.set(file.join(" "), { xsb: Number(xsb), code: Number(code), symbols: Number(symbols), hosts: Number(hosts) });
	}
	return sizes;
}

function build() {
	if (!existsSync(join(XS, "sources/xsCode.c"))) return { path: null, reason: `no XS sources in ${XS} (npm install @agoric/xsnap)` };
	const hash = createHash("sha256").update(readFileSync(MAIN)).update(FLAGS.join(" "));
	for (const unit of UNITS) hash.update(readFileSync(join(XS, "sources", `${unit}.c`)));
	const dir = join(ROOT, "node_modules/.cache/xsb-size", hash.digest("hex").slice(0, 16));
	const path = join(dir, "xsb-size");
	if (existsSync(path)) return { path, reason: "" };
	const tmp = join(dir, `build-${process.pid}`);
	mkdirSync(tmp, { recursive: true });
	try {
		const objects = [];
		for (const [unit, source] of [...UNITS.map((u) => [u, join(XS, "sources", `${u}.c`)]), ["main", MAIN]]) {
			const object = join(tmp, `${unit}.o`);
			const r = spawnSync("cc", ["-c", source, ...FLAGS, "-o", object], { encoding: "utf8" });
			if (r.status !== 0) return { path: null, reason: `cc ${unit}.c failed: ${r.error?.message ?? r.stderr.slice(0, 2000)}` };
			objects.push(object);
		}
		const exe = join(tmp, "xsb-size");
		const link = spawnSync("cc", [...objects, "-lm", "-o", exe], { encoding: "utf8" });
		if (link.status !== 0) return { path: null, reason: `link failed: ${link.stderr.slice(0, 2000)}` };
		renameSync(exe, path); // atomic: concurrent processes may build at once
		return { path, reason: "" };
	} finally {
		rmSync(tmp, { recursive: true, force: true });
	}
}
