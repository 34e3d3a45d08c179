// `npm run size`: minified and gzipped bytes of every device bundle, against BUDGETS.md.
// Run after `npm run build` (npm test builds too). Exits 1 when a budget is exceeded.
import { readFileSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { deviceEntries } from "./entries.mjs";

// BUDGETS.md: codec alone <= 5 KB minified; full client bundle <= 20 KB minified / 8 KB gzip.
const budgets = {
	codec: { min: 5 * 1024 },
	client: { min: 20 * 1024, gzip: 8 * 1024 },
};

let over = 0;
const rows = [];
for (const name of Object.keys(deviceEntries)) {
	const file = `build/dist/${name}.js`;
	if (!existsSync(file)) {
		console.error(`${file} is missing: run npm run build first`);
		process.exit(1);
	}
	const text = readFileSync(file);
	const min = text.length;
	const gzip = gzipSync(text, { level: 9 }).length;
	const budget = budgets[name];
	let verdict = "";
	if (budget) {
		const misses = [];
		if (budget.min && min > budget.min) misses.push(`minified over ${budget.min} by ${min - budget.min}`);
		if (budget.gzip && gzip > budget.gzip) misses.push(`gzip over ${budget.gzip} by ${gzip - budget.gzip}`);
		verdict = misses.length ? `OVER: ${misses.join(", ")}` : `within budget (${budget.min ?? "-"} / ${budget.gzip ?? "-"})`;
		if (misses.length) over++;
	}
	rows.push([name, String(min), String(gzip), verdict]);
}
const widths = [10, 10, 8];
console.log(["bundle", "minified", "gzip", "budget"].map((c, i) => c.padEnd(widths[i] ?? 0)).join(" "));
for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" "));
process.exit(over ? 1 : 0);
