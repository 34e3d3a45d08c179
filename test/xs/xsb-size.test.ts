// `npm run size`'s XS bytecode figure (build/xsb-size.mjs: xsc's compile path built from the XS sources
// in @agoric/xsnap) against Moddable's own xsc. Recorded with the Moddable SDK 8.2.3's xsc (release,
// built from its sources per xs/makefiles/lin/xsc.mk): `xsc test/fixtures/xsb/sample.js -e -o out`
// wrote a 1,851-byte sample.xsb. The device bundles compared the same way: steamsensor 111,896 B by xsc,
// 113,832 by xsb-size; client 94,189 / 95,813; codec 29,253 / 29,712 (README.md, "Figures").
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
// @ts-expect-error build/xsb-size.mjs is plain JavaScript without declarations
import { xsbSizes, xsbTool } from "../../build/xsb-size.mjs";

const XSC_SAMPLE_BYTES = 1851;

test("XS bytecode measured without the SDK is within 10 % of Moddable's xsc", (t) => {
	const tool = xsbTool() as { path: string | null; reason: string };
	if (!tool.path) return t.skip(`no C compiler or XS sources (${tool.reason}): install cc and @agoric/xsnap`);
	const file = fileURLToPath(new URL("../fixtures/xsb/sample.js", import.meta.url));
	const sizes = xsbSizes([file]) as Map<string, { xsb: number; code: number; symbols: number }>;
	const measured = sizes.get(file);
	assert.ok(measured, "a figure for the sample");
	assert.equal(measured.xsb, 8 + 12 + 8 + measured.symbols + 8 + measured.code, "xsc's .xsb layout: header, version, symbols, code");
	const ratio = measured.xsb / XSC_SAMPLE_BYTES;
	assert.ok(ratio > 0.9 && ratio < 1.1, `xsb-size ${measured.xsb} B, xsc ${XSC_SAMPLE_BYTES} B`);
});
