// `npm run size`: XS bytecode, minified and gzipped bytes of every device bundle, against the budgets
// (README.md, "Figures"). Bytecode is what a device carries in flash: the .xsb that Moddable's xsc would
// write, measured without the SDK by build/xsb-size.mjs (within 2 % of xsc 8.2.3).
// Run after `npm run build` (npm test builds too). Exits 1 when a budget is exceeded.
// `npm run size -- --modules` adds, per bundle, the minified bytes each source file contributes,
// attributed through the bundle's source map (so it is the share after tree-shaking and terser),
// and how many of them are string and template literal text (messages, names, JSON keys).
import { readFileSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { parseAst } from "rollup/parseAst";
import { deviceEntries } from "./entries.mjs";
import { xsbSizes, xsbTool } from "./xsb-size.mjs";

// budget: codec alone <= 5 KB minified; full client bundle <= 20 KB minified / 8 KB gzip, <= 30 KB of
// XS bytecode; the SteamSensor app with its drivers <= 45 KB of XS bytecode.
// "codec-device" (src/protocol/device.ts, when build/entries.mjs lists it) is the codec a device carries.
const budgets = {
	codec: { min: 5 * 1024 },
	"codec-device": { min: 5 * 1024 },
	client: { xsb: 30 * 1024, min: 20 * 1024, gzip: 8 * 1024 },
	steamsensor: { xsb: 45 * 1024 },
};

const showModules = process.argv.includes("--modules");

let over = 0;
const rows = [];
const breakdowns = [];
const files = Object.keys(deviceEntries).map((name) => `build/dist/${name}.js`);
for (const file of files) {
	if (!existsSync(file)) {
		console.error(`${file} is missing: run npm run build first`);
		process.exit(1);
	}
}
const tool = xsbTool();
const bytecode = tool.path ? xsbSizes(files) : new Map();
for (const name of Object.keys(deviceEntries)) {
	const file = `build/dist/${name}.js`;
	const text = readFileSync(file);
	const min = text.length;
	const gzip = gzipSync(text, { level: 9 }).length;
	const xsb = bytecode.get(file)?.xsb ?? null;
	const budget = budgets[name];
	let verdict = "";
	if (budget) {
		const misses = [];
		if (budget.xsb && xsb !== null && xsb > budget.xsb) misses.push(`bytecode over ${budget.xsb} by ${xsb - budget.xsb}`);
		if (budget.min && min > budget.min) misses.push(`minified over ${budget.min} by ${min - budget.min}`);
		if (budget.gzip && gzip > budget.gzip) misses.push(`gzip over ${budget.gzip} by ${gzip - budget.gzip}`);
		verdict = misses.length ? `OVER: ${misses.join(", ")}` : `within budget (${[budget.xsb, budget.min, budget.gzip].map((b) => b ?? "-").join(" / ")})`;
		if (misses.length) over++;
	}
	rows.push([name, xsb === null ? "-" : String(xsb), String(min), String(gzip), verdict]);
	if (showModules) breakdowns.push([name, min, perSource(text.toString("utf8"), JSON.parse(readFileSync(file + ".map", "utf8")))]);
}
const widths = [12, 10, 10, 8];
if (!tool.path) console.log(`XS bytecode not measured: ${tool.reason}`);
console.log(["bundle", "bytecode", "minified", "gzip", "budget (bytecode / minified / gzip)"].map((c, i) => c.padEnd(widths[i] ?? 0)).join(" "));
for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" "));
for (const [name, total, bySource] of breakdowns) {
	console.log(`\n${name}: minified bytes per source file (share of ${total}; "strings": literal text within them)`);
	console.log("  bytes  share strings  source");
	for (const [source, { bytes, strings }] of [...bySource].sort((a, b) => b[1].bytes - a[1].bytes))
		console.log(String(bytes).padStart(7) + (((100 * bytes) / total).toFixed(1) + "%").padStart(7) + String(strings).padStart(8) + "  " + source);
	const codec = [...bySource].filter(([source]) => source.startsWith("src/protocol/")).reduce((sum, [, { bytes }]) => sum + bytes, 0);
	if (name !== "codec" && codec > 0) console.log(`${String(codec).padStart(7)}  the codec (src/protocol/) inside ${name}`);
}
process.exit(over ? 1 : 0);

/**
 * Per original source: minified bytes (each mapped segment runs to the next segment on its line) and
 * the bytes of string/template literal text that start in those segments.
 */
function perSource(code, map) {
	const sourceNames = map.sources.map((s) => s.replace(/^(\.\.\/)+/, ""));
	const spans = []; // [start, end, owner] in string offsets of `code`, in order
	const mapped = map.mappings.split(";");
	let source = 0;
	let lineStart = 0;
	for (const [line, text] of code.split("\n").entries()) {
		let owner = "(unmapped)";
		let start = lineStart;
		let column = 0;
		for (const segment of (mapped[line] ?? "").split(",").filter(Boolean).map(vlq)) {
			column += segment[0];
			spans.push([start, lineStart + column, owner]);
			if (segment.length > 1) {
				source += segment[1];
				owner = sourceNames[source];
			} else owner = "(unmapped)";
			start = lineStart + column;
		}
		lineStart += text.length + 1;
		spans.push([start, Math.min(lineStart, code.length), owner]);
	}
	const sizes = new Map();
	const entry = (owner) => sizes.get(owner) ?? sizes.set(owner, { bytes: 0, strings: 0 }).get(owner);
	for (const [start, end, owner] of spans) if (end > start) entry(owner).bytes += Buffer.byteLength(code.slice(start, end));
	const ownerAt = (offset) => {
		let low = 0;
		let high = spans.length - 1;
		while (low < high) {
			const mid = (low + high + 1) >> 1;
			if (spans[mid][0] <= offset) low = mid;
			else high = mid - 1;
		}
		return spans[low][2];
	};
	walk(parseAst(code), (node) => {
		if ((node.type === "Literal" && typeof node.value === "string") || node.type === "TemplateElement")
			entry(ownerAt(node.start)).strings += Buffer.byteLength(code.slice(node.start, node.end));
	});
	return sizes;
}

function walk(node, visit) {
	visit(node);
	for (const value of Object.values(node)) {
		if (Array.isArray(value)) for (const child of value) if (child && typeof child.type === "string") walk(child, visit);
		if (value && typeof value.type === "string") walk(value, visit);
	}
}

/** One source-map segment: base64 VLQ fields, relative values. */
function vlq(segment) {
	const fields = [];
	let value = 0;
	let shift = 0;
	for (const ch of segment) {
		const digit = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".indexOf(ch);
		value += (digit & 31) << shift;
		if (digit & 32) shift += 5;
		else {
			fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
			value = 0;
			shift = 0;
		}
	}
	return fields;
}
