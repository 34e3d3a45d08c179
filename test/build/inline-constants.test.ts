// build/inline-constants.mjs: numeric module constants inlined where that cannot change behaviour.
// The transformed module is run and must compute what the original computes.
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { parseAst } from "rollup/parseAst";
// @ts-expect-error plain JavaScript without declarations
import { inline } from "../../build/inline-constants.mjs";

const SOURCE = `
const SIZE = 8;
const MASK = SIZE - 1;
const NEG = -1;
const ON = true;
const NAME = "text";
const SHADOWED = 3;
const EXPORTED = 4;
function f(x) {
	const o = { SIZE, MASK: MASK, [SIZE]: NEG };
	return [x & MASK, o.SIZE, o.MASK, o[8], 5 - NEG, ON, NAME, SIZE.toString()];
}
function g(SHADOWED) {
	return SHADOWED + 1;
}
loop: for (let i = 0; i < SIZE; i++) { if (i > MASK) break loop; }
result = [f(13), g(10), SHADOWED, EXPORTED];
export { EXPORTED };
`;

function run(code: string): unknown {
	const scope: { result: unknown } = { result: undefined };
	new Function("scope", `with (scope) { ${code.replace(/export \{[^}]*\};/, "")} }`)(scope);
	return scope.result;
}

test("numeric constants are inlined, strings, shadowed and exported names kept, and the module computes the same", () => {
	const { text, count } = inline(SOURCE, parseAst(SOURCE)) as { text: string; count: number };
	assert.equal(count, 4, text); // SIZE, MASK, NEG, ON
	for (const gone of ["const SIZE", "const MASK", "const NEG", "const ON"]) assert.ok(!text.includes(gone), `${gone} dropped`);
	for (const kept of ['const NAME = "text"', "const SHADOWED = 3", "const EXPORTED = 4"]) assert.ok(text.includes(kept), `${kept} kept`);
	parseAst(text);
	const expected = run(SOURCE);
	assert.deepEqual(expected, [[5, 8, 7, -1, 6, true, "text", "8"], 11, 3, 4], "the original itself");
	assert.deepEqual(run(text), expected);
});
