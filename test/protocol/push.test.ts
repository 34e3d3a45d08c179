// The device paths: PushWriter/writeVtqRow (byte-exact with the C SDK's pushes), encodeName, and the
// zero-copy request head used to dispatch platform requests.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
	ByteReader, ByteWriter, bytesEqual, DecodeError, decodeInfoTable, decodeMessage, EncodeError, encodeName, PushWriter,
	readRequestHead, RequestHead, writeVtqRow, type RequestMessage, type TypedValue,
} from "../../src/protocol/index";
import { captureFrames, hex, unhex } from "./helpers";
import { STEAM_LOGFILE, SteamPush } from "./fixtures/steam-push";

test("encodeName: the length-prefixed UTF-8 form, 1- or 4-byte length", () => {
	assert.equal(hex(encodeName("GOOD")), "04474f4f44");
	assert.equal(hex(encodeName("")), "00");
	assert.equal(hex(encodeName("é".repeat(64))), "80000080" + "c3a9".repeat(64));
});

test("PushWriter reproduces the C SDK's first captured push byte for byte (7 rows, reqId 4)", () => {
	const frame = captureFrames().find((f) => f.line === 7)!;
	const captured = decodeMessage(unhex(frame.hex)) as RequestMessage;
	const rows = (captured.params!.rows[0][0].value as { rows: TypedValue[][] }).rows;
	const push = new PushWriter();
	const w = new ByteWriter(new Uint8Array(1024));
	push.begin(w, captured.requestId, captured.sessionId, encodeName(captured.entityName));
	for (const [name, variant, time, quality] of rows)
		push.row(w, encodeName(name.value as string), variant.value as TypedValue, time.value as number, encodeName(quality.value as string));
	push.end(w);
	assert.equal(hex(w.buffer.subarray(0, w.position)), frame.hex);
});

test("the SteamSensor 8-value push: 476 bytes with the capture's 35-byte Logfile path (the budget's 472 implies 31)", () => {
	const steam = new SteamPush();
	const w = new ByteWriter(new Uint8Array(1024));
	const length = steam.write(w, 4, 0xbeef, 1795245718363);
	// 15 header + 13 entity + 32 service + 2 + 12 outer field + 1 + 4 outer row + 45 inner shape + 2 ends = 126;
	// rows: 8 x (3 + 2 + 9 + 6) + 80 name bytes + values (4 NUMBER x 10 + LOCATION 26 + 2 BOOLEAN x 3 + STRING 3 + path).
	assert.equal(length, 126 + 8 * 20 + 80 + 40 + 26 + 6 + 3 + STEAM_LOGFILE.length);
	assert.equal(length, 476);
	const m = decodeMessage(w.buffer.subarray(0, length)) as RequestMessage;
	const rows = (m.params!.rows[0][0].value as { rows: TypedValue[][] }).rows;
	assert.deepStrictEqual(rows.map((r) => r[0].value), ["TemperatureLimit", "Logfile", "TotalFlow", "Pressure", "Location", "Temperature", "InletValve", "FaultStatus"]);
	assert.deepStrictEqual(rows[7][1], { type: "VARIANT", value: { type: "BOOLEAN", value: true } });
});

test("writeVtqRow is all or nothing: a row that does not fit leaves the writer where it was", () => {
	const name = encodeName("Temperature");
	const quality = encodeName("GOOD");
	const buffer = new Uint8Array(61).fill(0xee);
	const w = new ByteWriter(buffer);
	writeVtqRow(w, name, { type: "NUMBER", value: 1 }, 0, quality);
	assert.equal(w.position, 41);
	assert.throws(() => writeVtqRow(w, name, { type: "NUMBER", value: 2 }, 0, quality), (e: unknown) => e instanceof EncodeError && /no room/.test(e.reason));
	assert.equal(w.position, 41);
	assert.throws(() => writeVtqRow(w, name, { type: "TIMESPAN", value: "1" } as never, 0, quality), EncodeError);
	assert.equal(w.position, 41);
	const last = new ByteWriter(buffer, 41);
	writeVtqRow(last, encodeName("x"), { type: "BOOLEAN", value: true }, -1, encodeName(""));
	assert.equal(hex(buffer.subarray(41)), "010004" + "000178" + "120201" + "03ffffffffffffffff" + "0000");
});

test("writeVtqRow: every push type at every time gives the bytes of the layout, whether stored in words or field by field", () => {
	const name = encodeName("Temperature");
	const quality = encodeName("GOOD");
	const f64 = (x: number) => { const b = Buffer.alloc(8); b.writeDoubleBE(x); return b.toString("hex"); };
	const int64 = (t: number) => BigInt.asUintN(64, BigInt(t)).toString(16).padStart(16, "0");
	const path = "/opt/steam/logs/x.txt";
	const values: Array<[TypedValue, string]> = [
		[{ type: "NUMBER", value: 423.25 }, "01" + f64(423.25)],
		[{ type: "NUMBER", value: -0 }, "01" + f64(-0)],
		[{ type: "BOOLEAN", value: false }, "0200"],
		[{ type: "BOOLEAN", value: true }, "0201"],
		[{ type: "INTEGER", value: -7 }, "16fffffff9"],
		[{ type: "LOCATION", value: { longitude: -75.67072, latitude: 40.0573, elevation: 0 } }, "06" + f64(-75.67072) + f64(40.0573) + f64(0)],
		[{ type: "STRING", value: path }, "00" + hex(encodeName(path))], // twice in a row: the second one is the cached bytes
		[{ type: "STRING", value: path }, "00" + hex(encodeName(path))],
		[{ type: "DATETIME", value: 1700000000000 }, "03" + int64(1700000000000)],
	];
	const times = [1, 1700000000000, 2 ** 44 - 1, 2 ** 44, 2 ** 53 - 1, 0, -0, -1, -(2 ** 40), -(2 ** 53) + 1];
	for (const time of times) {
		for (const [value, valueHex] of values) {
			const expected = "01000400" + hex(name) + "12" + valueHex + "03" + int64(time) + "00" + hex(quality);
			const roomy = new ByteWriter(new Uint8Array(200), 3);
			writeVtqRow(roomy, name, value, time, quality);
			assert.equal(hex(roomy.buffer.subarray(3, roomy.position)), expected, `${value.type} at ${time}, roomy`);
			const exact = new ByteWriter(new Uint8Array(expected.length / 2)); // too tight for the word path's room check but LOCATION's
			writeVtqRow(exact, name, value, time, quality);
			assert.equal(hex(exact.buffer), expected, `${value.type} at ${time}, exact`);
		}
	}
	for (const time of [0.5, 1700000000000.25, 2 ** 53, -(2 ** 53), NaN, Infinity])
		assert.throws(() => writeVtqRow(new ByteWriter(new Uint8Array(200)), name, { type: "NUMBER", value: 1 }, time, quality), EncodeError, `time ${time}`);
	for (const value of [{ type: "NUMBER", value: "1" }, { type: "BOOLEAN", value: 1 }, { type: "INTEGER", value: 2 ** 31 }, { type: "LOCATION", value: null }])
		assert.throws(() => writeVtqRow(new ByteWriter(new Uint8Array(200)), name, value as TypedValue, 1, quality), EncodeError, value.type);
});

const requests = captureFrames().filter((f) => f.from === "platform" && /^(GET|PUT|POST)/.test(f.what ?? ""));

test("readRequestHead agrees with decodeMessage on every captured platform request", () => {
	assert.equal(requests.length, 6);
	const head = new RequestHead();
	for (const frame of requests) {
		const message = unhex(frame.hex);
		const bytes = new Uint8Array(message.length + 10);
		bytes.set(message, 7);
		readRequestHead(bytes, 7, message.length, head);
		const m = decodeMessage(message) as RequestMessage;
		assert.deepStrictEqual([head.code, head.requestId, head.endpointId, head.sessionId, head.entityType, head.characteristicType],
			[m.code, m.requestId, m.endpointId, m.sessionId, m.entityType, m.characteristicType]);
		assert.ok(bytesEqual(bytes, head.entityNameOffset, head.entityNameLength, encodeName(m.entityName)));
		assert.ok(bytesEqual(bytes, head.characteristicNameOffset, head.characteristicNameLength, encodeName(m.characteristicName)));
		assert.ok(!bytesEqual(bytes, head.characteristicNameOffset, head.characteristicNameLength, encodeName(m.characteristicName + "x")));
		if (m.params === null) assert.equal(bytes[head.paramsOffset], 0xff);
		else {
			assert.equal(bytes[head.paramsOffset], 0x05);
			assert.deepStrictEqual(decodeInfoTable(new ByteReader(bytes, head.paramsOffset + 1, 7 + message.length)), m.params);
		}
	}
});

test("readRequestHead: every truncation, a response, a chunk and a lying name length are DecodeErrors", () => {
	const head = new RequestHead();
	const put = unhex(requests.find((f) => f.what!.startsWith("PUT"))!.hex);
	const paramsAt = 15 + 1 + 12 + 1 + 17 + 1;
	for (let length = 0; length <= paramsAt; length++)
		assert.throws(() => readRequestHead(put, 0, length, head), DecodeError, `length ${length}`);
	readRequestHead(put, 0, paramsAt + 1, head);
	assert.equal(head.paramsOffset, paramsAt);
	assert.throws(() => readRequestHead(unhex("014000000002000000000000beef0000ff"), 0, 17, head), (e: unknown) => e instanceof DecodeError && e.offset === 1);
	const chunk = put.slice();
	chunk[14] = 1;
	assert.throws(() => readRequestHead(chunk, 0, chunk.length, head), (e: unknown) => e instanceof DecodeError && e.offset === 14);
	const lying = put.slice();
	lying[16] = 0x80;
	assert.throws(() => readRequestHead(lying, 0, lying.length, head), (e: unknown) => e instanceof DecodeError && e.offset === 16);
	assert.throws(() => readRequestHead(put, 10, put.length, head), DecodeError);
});
