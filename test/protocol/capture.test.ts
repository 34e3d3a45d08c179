// The C SDK 2.2.1 SteamSensor session: every frame decodes, re-encodes byte-identically, and every
// edge frame decodes to what the capture tool recorded (converted to its notation by code written here,
// independent of the codec's own tables).
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeMessage, encodeMessageToBytes, type InfoTable, type Message, type TypedValue } from "../../src/protocol/index";
import { captureFrames, hex, unhex } from "./helpers";

// Type codes from docs/protocol.md §5.2, typed in again here so a wrong table in the codec cannot hide itself.
const CODES: Record<string, number> = {
	NOTHING: -1, STRING: 0, NUMBER: 1, BOOLEAN: 2, DATETIME: 3, INFOTABLE: 5, LOCATION: 6, XML: 7, JSON: 8, QUERY: 9,
	IMAGE: 10, HYPERLINK: 11, IMAGELINK: 12, PASSWORD: 13, HTML: 14, TEXT: 15, TAGS: 16, VARIANT: 18, GUID: 20,
	BLOB: 21, INTEGER: 22, LONG: 23,
};
// The capture tool writes string-valued cells as [typeCode, text] and the others as [TYPE, value].
const BY_NAME = new Set(["NOTHING", "NUMBER", "BOOLEAN", "DATETIME", "INFOTABLE", "LOCATION", "VARIANT", "IMAGE", "BLOB", "INTEGER", "LONG"]);

function cell(v: TypedValue): unknown {
	switch (v.type) {
		case "BOOLEAN":
			return ["BOOLEAN", v.value ? 1 : 0];
		case "LOCATION":
			return ["LOCATION", [v.value.longitude, v.value.latitude, v.value.elevation]];
		case "VARIANT":
			return ["VARIANT", cell(v.value)];
		case "INFOTABLE":
			return ["INFOTABLE", table(v.value)];
		case "IMAGE":
		case "BLOB":
			return [v.type, hex(v.value)];
	}
	return BY_NAME.has(v.type) ? [v.type, v.value] : [CODES[v.type], v.value];
}

function table(t: InfoTable): unknown {
	return {
		fields: t.fields.map((f) => [f.name, f.description, CODES[f.baseType], f.aspects.map((a) => [a.name, cell(a.value)])]),
		rows: t.rows.map((row) => row.map(cell)),
	};
}

function captureNotation(m: Message): unknown {
	const head = { version: m.version, code: m.code, reqId: m.requestId, endpoint: m.endpointId, session: m.sessionId, multipart: 0 };
	switch (m.kind) {
		case "auth":
			return { ...head, claims: m.claims, trailing: 0 };
		case "bind":
		case "unbind":
			return { ...head, names: m.names, ...(m.gateway ? { gateway: [m.gateway.name, m.gateway.type] } : {}), trailing: 0 };
		case "request":
			return {
				...head,
				entity: [m.entityType, m.entityName],
				char: [m.characteristicType, m.characteristicName],
				headers: m.headers,
				paramsType: m.params ? 5 : -1,
				...(m.params ? { params: table(m.params) } : {}),
				trailing: 0,
			};
		case "response":
			return { ...head, ...(m.reason !== null ? { reason: m.reason } : {}), contentType: m.contentType, ...(m.content ? { content: table(m.content) } : {}), trailing: m.trailing };
	}
	return { ...head };
}

const frames = captureFrames();

test("the capture holds the frames this suite expects", () => {
	assert.equal(frames.length, 50);
	assert.equal(frames.filter((f) => f.from === "edge").length, 25);
	assert.ok(frames.filter((f) => f.from === "edge").every((f) => f.decoded));
});

for (const frame of frames) {
	test(`capture line ${frame.line} (${frame.from}${frame.what ? ": " + frame.what : ""}) decodes and re-encodes byte-identically`, () => {
		const bytes = unhex(frame.hex);
		const message = decodeMessage(bytes);
		assert.notEqual(message.kind, "chunk");
		assert.equal(hex(encodeMessageToBytes(message)), frame.hex);
		if (frame.from === "edge") assert.deepStrictEqual(captureNotation(message as Message), frame.decoded);
	});
}
