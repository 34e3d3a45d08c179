// What a device bundle carries of the codec: src/protocol/device.ts lists every name the device code
// imports from the codec's index (so the "codec-device" size entry measures the real subset), and the
// codec's modules tree-shake (top level only definitions), so a bundle that uses only the push path
// carries neither the message tables nor the host helpers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import typescript from "@rollup/plugin-typescript";
import { rollup } from "rollup";
import ts from "typescript";
import * as device from "../../src/protocol/device";
import * as codec from "../../src/protocol/index";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DEVICE_DIRS = ["src/client", "src/thing", "src/ws", "src/apps", "src/drivers", "src/index.ts"];

function sources(path: string, out: string[] = []): string[] {
	if (!statSync(path).isDirectory()) {
		if (path.endsWith(".ts")) out.push(path);
	} else for (const name of readdirSync(path)) sources(join(path, name), out);
	return out;
}

/** Value (not type-only) names the device code imports from the codec's index, with where. */
function deviceImports(): Map<string, string> {
	const names = new Map<string, string>();
	for (const file of DEVICE_DIRS.flatMap((dir) => sources(join(ROOT, dir)))) {
		const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022);
		for (const statement of source.statements) {
			if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
			if (!/(^|\/)protocol(\/index)?$/.test(statement.moduleSpecifier.text)) continue;
			const clause = statement.importClause;
			if (!clause || clause.isTypeOnly || !clause.namedBindings || !ts.isNamedImports(clause.namedBindings)) continue;
			for (const element of clause.namedBindings.elements) {
				if (!element.isTypeOnly) names.set((element.propertyName ?? element.name).text, relative(ROOT, file));
			}
		}
	}
	return names;
}

test("src/protocol/device.ts exports every codec name the device code imports, as the index's own bindings", () => {
	const imports = deviceImports();
	assert.ok(imports.size > 5, "the scan finds the device code's imports");
	const exported = device as Record<string, unknown>;
	for (const [name, file] of imports) assert.ok(name in exported, `${file} imports ${name}: add it to src/protocol/device.ts`);
	for (const [name, value] of Object.entries(exported)) assert.equal(value, (codec as Record<string, unknown>)[name], name);
});

/** The bundle of `exports` taken from the codec's index, without comments (which mention anything). */
async function bundleOf(exports: string): Promise<string> {
	const entry = "\0codec-subset";
	const bundle = await rollup({
		input: entry,
		treeshake: { moduleSideEffects: false, propertyReadSideEffects: false }, // as build/rollup.config.mjs
		plugins: [
			{ name: "subset", resolveId: (id) => (id === entry ? id : null), load: (id) => (id === entry ? `export { ${exports} } from ${JSON.stringify(join(ROOT, "src/protocol/index.ts"))};` : null) },
			typescript({ tsconfig: join(ROOT, "tsconfig.src.json"), include: [join(ROOT, "src/**/*.ts")], noEmitOnError: false, compilerOptions: { noEmit: false, sourceMap: false, declaration: false, types: [] } }),
		],
		onwarn() {},
	});
	try {
		const code = (await bundle.generate({ format: "es" })).output[0].code;
		return ts.transpileModule(code, { compilerOptions: { removeComments: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
	} finally {
		await bundle.close();
	}
}

test("the codec tree-shakes: the push path alone carries no message tables, decoder or host helper", async () => {
	const push = await bundleOf("encodeName, PushWriter, writeVtqRow, ByteWriter");
	assert.match(push, /UpdateSubscribedPropertyValues/);
	for (const absent of ["GATEWAY_TIMEOUT", "SUBSYSTEM", "PROPERTIES", "does not carry a", "class ByteReader", "class Reassembler", "function readRequestHead", "function utf8Read"])
		assert.ok(!push.includes(absent), `the push-only bundle carries ${absent}`);
	const whole = await bundleOf("Code, EntityType, encodeMessageToBytes, Reassembler");
	for (const present of ["GATEWAY_TIMEOUT", "SUBSYSTEM", "does not carry a", "class Reassembler"]) assert.ok(whole.includes(present), present);
});
