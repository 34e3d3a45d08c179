// The twx command: decode/encode through the real dispatcher, arguments and stdin, bad lines.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ascii, captureFrames } from "./helpers";
import { DEADLINE_MS } from "../support/deadline";

const twx = fileURLToPath(new URL("../../bin/twx.mjs", import.meta.url));

function run(args: string[], input?: string) {
	const r = spawnSync(process.execPath, [twx, ...args], { input, encoding: "utf8", timeout: DEADLINE_MS });
	return { code: r.status, out: r.stdout, err: r.stderr };
}

const AUTH = "01140000000200000000ffffffff0001066170704b657903616263";

test("twx --help lists the commands found in bin/commands", () => {
	const { code, out } = run(["--help"]);
	assert.equal(code, 0);
	assert.match(out, /^\s+decode\s/m);
	assert.match(out, /^\s+encode\s/m);
	assert.doesNotMatch(out, /^\s+json\s/m, "json.ts is a helper, not a command");
	assert.equal(run(["nonsense"]).code, 2);
});

test("twx decode <hex> prints the message as JSON with typed values and the code's name", () => {
	const push = captureFrames().find((f) => f.line === 7)!;
	const { code, out, err } = run(["decode", push.hex]);
	assert.equal(err, "");
	assert.equal(code, 0);
	const m = JSON.parse(out);
	assert.equal(m.kind, "request");
	assert.equal(m.codeName, "POST");
	assert.equal(m.code, 3);
	const rows = m.params.rows[0][0].value.rows;
	assert.deepStrictEqual(rows[0][1], { type: "VARIANT", value: { type: "NUMBER", value: 435 } });
	assert.deepStrictEqual(rows[0][2], { type: "DATETIME", value: 1795245718274 });
	assert.deepStrictEqual(rows[4][1].value.value, { longitude: -75.67072, latitude: 40.0573, elevation: 0 });
	// Spaced hex as in docs/protocol.md §10 is one frame too.
	const spaced = run(["decode", "01 40 00000001 00000000 0000beef 00 | 00 | ff"]);
	assert.equal(JSON.parse(spaced.out).codeName, "SUCCESS");
});

test("twx encode <json> prints hex; bytes travel as hex strings", () => {
	const json = JSON.stringify({
		kind: "response", code: "SUCCESS", requestId: 3, sessionId: 0xbeef,
		content: { fields: [{ name: "b", baseType: "BLOB" }], rows: [[{ type: "BLOB", value: "010203" }]] },
	});
	const { code, out } = run(["encode", json]);
	assert.equal(code, 0);
	assert.equal(out, "01400000000300000000" + "0000beef00" + "0005" + "010162" + "00" + "15" + "0000" + "00" + "01000115" + "00000003010203" + "00\n");
});

test("stdin: every capture frame decodes (JSON Lines) and re-encodes byte-identically through the CLI", () => {
	// ...plus the two chunks of a multipart request (§10.11), which stay in their chunk form.
	const chunk = (id: number, data: string) => `0103000000` + `0b00000000` + `0000beef01` + `000${id}00022000` + `0a0b${ascii("DriverThing")}` + data;
	const hexes = [...captureFrames().map((f) => f.hex), chunk(1, `0207${ascii("EchoBig")}0005`), chunk(2, "61".repeat(886))];
	const decoded = run(["decode"], hexes.join("\n") + "\n\n");
	assert.equal(decoded.code, 0);
	assert.equal(decoded.err, "");
	const lines = decoded.out.trim().split("\n");
	assert.equal(lines.length, hexes.length);
	assert.deepStrictEqual(JSON.parse(lines[lines.length - 1]).entity, { type: 10, name: "DriverThing" });
	assert.equal(JSON.parse(lines[lines.length - 1]).kind, "chunk");
	const encoded = run(["encode"], decoded.out);
	assert.equal(encoded.code, 0);
	assert.deepStrictEqual(encoded.out.trim().split("\n"), hexes);
});

test("a bad line is one stderr line naming the line and the DecodeError's offset and reason; the other lines go on", () => {
	const { code, out, err } = run(["decode"], [AUTH, "", "0140000000", "zz", AUTH + "00"].join("\n"));
	assert.equal(code, 1);
	assert.equal(out.trim().split("\n").length, 1);
	assert.deepStrictEqual(err.trim().split("\n"), [
		"twx decode: line 3: offset 0: truncated: header needs 15 bytes, 5 left",
		"twx decode: line 4: not hex bytes",
		"twx decode: line 5: offset 27: 1 trailing bytes after the auth body",
	]);
	const enc = run(["encode"], '{"kind":"keepalive","requestId":1}\n{"kind":"request","code":3}\nnot json\n{"kind":"response","code":64,"content":{"fields":[],"rows":[[{"type":"TIMESPAN","value":"1"}]]}}\n');
	assert.equal(enc.code, 1);
	assert.equal(enc.out, "011f" + "00000001" + "00000000" + "00000000" + "00\n");
	const errors = enc.err.trim().split("\n");
	assert.equal(errors.length, 3);
	assert.match(errors[0], /^twx encode: line 2: entityName: expected a string$/);
	assert.match(errors[1], /^twx encode: line 3: /);
	assert.match(errors[2], /^twx encode: line 4: TIMESPAN is not supported$/);
});

test("NUMBER values JSON cannot hold survive the round trip; LONG follows --long-type-code", () => {
	const json = JSON.stringify({
		kind: "response", code: 64, content: { fields: [], rows: [[{ type: "NUMBER", value: "-0" }, { type: "NUMBER", value: "NaN" }, { type: "NUMBER", value: "-Infinity" }, { type: "LONG", value: -2 }]] },
	});
	const hex = run(["encode", json]).out.trim();
	assert.equal(hex, "0140" + "00".repeat(12) + "00" + "00" + "05" + "00" + "010004" +
		"018000000000000000" + "017ff8000000000000" + "01fff0000000000000" + "17fffffffffffffffe" + "00");
	const back = JSON.parse(run(["decode", hex]).out);
	assert.deepStrictEqual(back.content.rows[0], JSON.parse(json).content.rows[0]);
	assert.equal(run(["encode", "--long-type-code=none", json]).code, 1);
	assert.equal(run(["decode", "--long-type-code=none", hex]).code, 1);
	assert.equal(run(["decode", "--bogus", hex]).code, 2);
});
