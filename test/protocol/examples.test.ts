// docs/protocol.md §10's worked messages (hex transcribed from the document; `"text"` there is ASCII) decode
// to the values the document states and encode back byte-identically.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
	ByteReader, ByteWriter, Code, decodeMessage, decodeTypedValue, encodeMessageToBytes, encodeName, encodeTypedValue,
	PushWriter, type Message, type TypedValue,
} from "../../src/protocol/index";
import { ascii, captureFrames, hex, unhex } from "./helpers";

const SESSION = 0xbeef;

function roundTrip(text: string, expected: Message, length?: number): void {
	const bytes = unhex(text);
	if (length !== undefined) assert.equal(bytes.length, length);
	assert.deepStrictEqual(decodeMessage(bytes), expected);
	assert.equal(hex(encodeMessageToBytes(expected)), hex(bytes));
}

const header = (code: number, requestId: number, sessionId = SESSION) => ({ version: 1, code, requestId, endpointId: 0, sessionId });

test("§10.1 AUTH appKey abc (27 B)", () => {
	roundTrip("01 14 00000001 00000000 ffffffff 00 | 01 | 06 617070 4b6579 | 03 616263",
		{ kind: "auth", ...header(0x14, 1, 0xffffffff), claims: [["appKey", "abc"]] }, 27);
});

test("§10.2 AUTH success response assigning session 0xBEEF (17 B)", () => {
	roundTrip("01 40 00000001 00000000 0000beef 00 | 00 | ff",
		{ kind: "response", ...header(0x40, 1), reason: null, content: null, contentType: -1, trailing: 0 }, 17);
});

test("§10.3 BIND SteamSensor (30 B), and with gateway MyGateway/MyType", () => {
	roundTrip("01 0a 00000002 00000000 0000beef 00 | 00 | 0001 | 0b 537465616d53656e736f72",
		{ kind: "bind", ...header(0x0a, 2), gateway: null, names: ["SteamSensor"] }, 30);
	roundTrip("01 0a 00000002 00000000 0000beef 00 | 01 09 4d7947617465776179 06 4d7954797065 | 0001 | 0b 537465616d53656e736f72",
		{ kind: "bind", ...header(0x0a, 2), gateway: { name: "MyGateway", type: "MyType" }, names: ["SteamSensor"] });
	// UNBIND has the same body (§4.2).
	roundTrip("01 0b 00000009 00000000 0000beef 00 | 00 | 0001 | 0b 537465616d53656e736f72",
		{ kind: "unbind", ...header(0x0b, 9), gateway: null, names: ["SteamSensor"] });
});

test("§10.4 PUT SteamSensor.Temperature = 42.5 (74 B)", () => {
	roundTrip(`01 02 00000003 00000000 0000beef 00
		0a 0b 537465616d53656e736f72
		01 0b 54656d7065726174757265
		00
		05
		01 0b 54656d7065726174757265 00 01 0000
		00
		01 0001 01 4045400000000000
		00`,
	{
		kind: "request", ...header(0x02, 3), entityType: 0x0a, entityName: "SteamSensor", characteristicType: 1,
		characteristicName: "Temperature", headers: [],
		params: { fields: [{ name: "Temperature", description: "", baseType: "NUMBER", aspects: [] }], rows: [[{ type: "NUMBER", value: 42.5 }]] },
	}, 74);
});

test("§10.5 success response to reqId 3 (17 B)", () => {
	roundTrip("01 40 00000003 00000000 0000beef 00 00 ff",
		{ kind: "response", ...header(0x40, 3), reason: null, content: null, contentType: -1, trailing: 0 }, 17);
});

test("§10.6 error response with reason Not Found", () => {
	roundTrip("01 84 00000007 00000000 0000beef 00 | 01 09 4e6f7420466f756e64 | ff",
		{ kind: "response", ...header(Code.NOT_FOUND, 7), reason: "Not Found", content: null, contentType: -1, trailing: 0 });
});

const PUSH_167 = `01 03 00000004 00000000 0000beef 00
	0a 0b 537465616d53656e736f72
	02 1e 5570646174655375627363726962656450726f706572747956616c756573
	00 05
	01 06 76616c756573 00 05 0000  00
	01 0001 05
	01 04 6e616d65 00 00 0000
	01 05 76616c7565 00 12 0000
	01 04 74696d65 00 03 0000
	01 07 7175616c697479 00 00 0000  00
	01 0004 00 0b 54656d7065726174757265 12 01 4045400000000000 03 0000018bcfe56800 00 04 474f4f44
	00
	00`;

test("§10.7 UpdateSubscribedPropertyValues, one VTQ (167 B): decodes as stated", () => {
	const bytes = unhex(PUSH_167);
	assert.equal(bytes.length, 167);
	const shape = [["name", "STRING"], ["value", "VARIANT"], ["time", "DATETIME"], ["quality", "STRING"]]
		.map(([name, baseType]) => ({ name, description: "", baseType, aspects: [] }));
	const expected = {
		kind: "request", ...header(0x03, 4), entityType: 0x0a, entityName: "SteamSensor", characteristicType: 2,
		characteristicName: "UpdateSubscribedPropertyValues", headers: [],
		params: {
			fields: [{ name: "values", description: "", baseType: "INFOTABLE", aspects: [] }],
			rows: [[{
				type: "INFOTABLE",
				value: {
					fields: shape,
					rows: [[
						{ type: "STRING", value: "Temperature" },
						{ type: "VARIANT", value: { type: "NUMBER", value: 42.5 } },
						{ type: "DATETIME", value: 1700000000000 },
						{ type: "STRING", value: "GOOD" },
					]],
				},
			}]],
		},
	} as Message;
	roundTrip(PUSH_167, expected);
});

test("§10.7 UpdateSubscribedPropertyValues produced by PushWriter equals the document's 167 bytes", () => {
	const buffer = new Uint8Array(512);
	const w = new ByteWriter(buffer);
	const push = new PushWriter();
	push.begin(w, 4, SESSION, encodeName("SteamSensor"));
	push.row(w, encodeName("Temperature"), { type: "NUMBER", value: 42.5 }, 1700000000000, encodeName("GOOD"));
	push.end(w);
	assert.equal(hex(buffer.subarray(0, w.position)), hex(unhex(PUSH_167)));
});

test("§10.8 platform POST NotifyPropertyUpdate without params", () => {
	roundTrip("01 03 000003e9 00000000 0000beef 00 0a 0b 537465616d53656e736f72 02 14 4e6f7469667950726f7065727479557064617465 00 ff",
		{ kind: "request", ...header(0x03, 1001), entityType: 0x0a, entityName: "SteamSensor", characteristicType: 2, characteristicName: "NotifyPropertyUpdate", headers: [], params: null });
});

test("§10.9 GetPropertySubscriptions params (the captured frame of reqId 6)", () => {
	const text = "01 03 00000006 00000000 0000beef 00 0a 0b 537465616d53656e736f72" +
		`02 18 ${ascii("GetPropertySubscriptions")} 00 05 | 01 07 6f7074696f6e73 00 08 0000 00 | 01 0001 08 14 7b226861734465616462616e64223a747275657d | 00`;
	roundTrip(text, {
		kind: "request", ...header(0x03, 6), entityType: 0x0a, entityName: "SteamSensor", characteristicType: 2,
		characteristicName: "GetPropertySubscriptions", headers: [],
		params: { fields: [{ name: "options", description: "", baseType: "JSON", aspects: [] }], rows: [[{ type: "JSON", value: '{"hasDeadband":true}' }]] },
	});
	assert.ok(captureFrames().some((f) => f.hex === hex(unhex(text))), "the same bytes are in the capture");
});

test("§10.10 edge reply to GET Temperature (Temperature = 423)", () => {
	const text = `01 40 000003ea 00000000 0000beef 00 | 00 05 | 01 0b ${ascii("Temperature")} 00 01 0000 00 | 01 0001 01 407a700000000000 | 00`;
	roundTrip(text, {
		kind: "response", ...header(0x40, 1002), reason: null, contentType: 5, trailing: 0,
		content: { fields: [{ name: "Temperature", description: "", baseType: "NUMBER", aspects: [] }], rows: [[{ type: "NUMBER", value: 423 }]] },
	});
	assert.ok(captureFrames().some((f) => f.hex === hex(unhex(text))));
});

test("§10.11 multipart request chunk headers decode to the chunk form and re-encode", () => {
	const first = unhex(`01 03 0000000b 00000000 0000beef 01 | 0001 0002 2000 | 0a 0b ${ascii("DriverThing")} | 02 07 ${ascii("EchoBig")} 00 05`);
	const chunk = decodeMessage(first);
	assert.deepStrictEqual({ ...chunk, data: hex((chunk as { data: Uint8Array }).data) }, {
		kind: "chunk", ...header(0x03, 11), chunkId: 1, chunkCount: 2, chunkSize: 8192,
		entity: { type: 0x0a, name: "DriverThing" }, data: "0207" + ascii("EchoBig") + "0005",
	});
	assert.equal(hex(encodeMessageToBytes(chunk)), hex(first));
	const tail = new Uint8Array(886).fill(0x61);
	const second = unhex(`01 03 0000000b 00000000 0000beef 01 | 0002 0002 2000 | 0a 0b ${ascii("DriverThing")} | ${hex(tail)}`);
	const chunk2 = decodeMessage(second);
	assert.equal(chunk2.kind, "chunk");
	assert.equal((chunk2 as { data: Uint8Array }).data.length, 886);
	assert.equal(hex(encodeMessageToBytes(chunk2)), hex(second));
});

function value(text: string, expected: TypedValue): void {
	const bytes = unhex(text);
	const r = new ByteReader(bytes);
	assert.deepStrictEqual(decodeTypedValue(r), expected);
	assert.equal(r.remaining, 0);
	const w = new ByteWriter(new Uint8Array(bytes.length));
	encodeTypedValue(w, expected);
	assert.equal(hex(w.buffer.subarray(0, w.position)), hex(bytes));
}

test("§10.12 primitive snippets", () => {
	value("00 0b 48656c6c6f20576f726c64", { type: "STRING", value: "Hello World" });
	value("16 fffffffe", { type: "INTEGER", value: -2 });
	value("02 01", { type: "BOOLEAN", value: true });
	value("15 00000003 010203", { type: "BLOB", value: new Uint8Array([1, 2, 3]) });
	value("08 07 7b2261223a317d", { type: "JSON", value: '{"a":1}' });
	value("12 00 02 6869", { type: "VARIANT", value: { type: "STRING", value: "hi" } });
	value("ff", { type: "NOTHING", value: null });
	value("00 800000c8" + "41".repeat(200), { type: "STRING", value: "A".repeat(200) });
});

test("§5.2 captured LOCATION: longitude, latitude, elevation on the wire", () => {
	const bytes = unhex("06 c052eb27674d1633 404407a493c89f41 0000000000000000");
	const v = decodeTypedValue(new ByteReader(bytes));
	assert.equal(v.type, "LOCATION");
	const { longitude, latitude, elevation } = (v as { value: { longitude: number; latitude: number; elevation: number } }).value;
	assert.ok(Math.abs(longitude - -75.67428) < 1e-5 && Math.abs(latitude - 40.05971) < 1e-5 && elevation === 0);
	value(hex(bytes), v);
});

test("§5.1 captured 9 000-char string uses the 4-byte length 80002328", () => {
	value("00 80002328" + "78".repeat(9000), { type: "STRING", value: "x".repeat(9000) });
});

test("§3.2 the C SDK's error response with 27 trailing zeros decodes with trailing 27 and re-encodes identically", () => {
	roundTrip("01 80 00001092 00000000 0000beef 00 00 ff" + "00".repeat(27),
		{ kind: "response", ...header(Code.BAD_REQUEST, 0x1092), reason: null, content: null, contentType: -1, trailing: 27 }, 17 + 27);
});

test("§6 empty InfoTable is 00 00; §4.3 KEEP_ALIVE is a bare header", () => {
	roundTrip("01 40 00000005 00000000 0000beef 00 00 05 00 00",
		{ kind: "response", ...header(0x40, 5), reason: null, content: { fields: [], rows: [] }, contentType: 5, trailing: 0 });
	roundTrip("01 1f 00000005 00000000 0000beef 00", { kind: "keepalive", ...header(0x1f, 5) }, 15);
});
