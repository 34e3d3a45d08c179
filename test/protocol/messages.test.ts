// Message-level rules: codes (§2), kinds and bodies (§3-§4), what may follow a body, typed errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
	Characteristic, Code, codeName, DecodeError, decodeMessage, decodeReply, EncodeError, encodeMessage, encodeMessageToBytes, EntityType,
	type Message,
} from "../../src/protocol/index";
import { message } from "./arbitraries";
import { ascii, hex, unhex } from "./helpers";

const HEAD = "00000007 00000000 0000beef 00";

function decodeError(text: string, offset: number, reason: RegExp): void {
	assert.throws(() => decodeMessage(unhex(text)), (e: unknown) => e instanceof DecodeError && e.offset === offset && reason.test(e.reason));
}

test("code, entity type and characteristic tables match docs/protocol.md §2 and §3.1", () => {
	assert.deepStrictEqual({ ...Code }, {
		GET: 1, PUT: 2, POST: 3, DEL: 4, BIND: 0x0a, UNBIND: 0x0b, AUTH: 0x14, KEEP_ALIVE: 0x1f, SUCCESS: 0x40, BAD_REQUEST: 0x80,
		UNAUTHORIZED: 0x81, BAD_OPTION: 0x82, FORBIDDEN: 0x83, NOT_FOUND: 0x84, METHOD_NOT_ALLOWED: 0x85, NOT_ACCEPTABLE: 0x86,
		PRECONDITION_FAILED: 0x8c, ENTITY_TOO_LARGE: 0x8d, UNSUPPORTED_CONTENT_FORMAT: 0x8f, INTERNAL_SERVER_ERROR: 0xa0,
		NOT_IMPLEMENTED: 0xa1, BAD_GATEWAY: 0xa2, SERVICE_UNAVAILABLE: 0xa3, GATEWAY_TIMEOUT: 0xa4,
	});
	assert.equal(codeName(0x84), "NOT_FOUND");
	assert.equal(codeName(0x14), "AUTH");
	assert.equal(codeName(0x77), "UNKNOWN");
	assert.equal(EntityType.THING, 0x0a);
	assert.equal(EntityType.SUBSYSTEM, 0x50);
	assert.equal(Object.keys(EntityType).length, 27);
	assert.deepStrictEqual({ ...Characteristic }, { PROPERTIES: 1, SERVICES: 2, EVENTS: 3 });
	assert.ok([Code, EntityType, Characteristic].every(Object.isFrozen));
});

test("every response code from 0x40 up is a response, including ones §2 does not name", () => {
	for (const code of [0x40, 0x84, 0xa4, 0xa5, 0xff]) {
		const m = decodeMessage(unhex(`01 ${code.toString(16)} ${HEAD} 00 ff`));
		assert.equal(m.kind, "response");
		assert.equal(m.code, code);
	}
});

test("codes no side sends are a DecodeError at offset 1", () => {
	for (const code of ["00", "05", "0c", "13", "15", "1e", "20", "3f"]) decodeError(`01 ${code} ${HEAD} 00 ff`, 1, /unknown message code/);
});

test("a short header is a DecodeError", () => {
	decodeError("", 0, /header/);
	decodeError("01 40 0000", 0, /header needs 15 bytes, 4 left/);
});

test("bytes after a complete response are counted; after a request, AUTH, BIND or KEEP_ALIVE they are an error", () => {
	const r = decodeMessage(unhex(`01 40 ${HEAD} 00 ff 01 02 03`));
	assert.equal(r.kind === "response" && r.trailing, 3);
	decodeError(`01 01 ${HEAD} 0a 01 54 01 01 50 00 ff 00`, 23, /1 trailing bytes after the request body/);
	decodeError(`01 14 ${HEAD} 01 01 61 01 62 00 00`, 20, /2 trailing bytes after the auth body/);
	decodeError(`01 0a ${HEAD} 00 0001 01 54 00`, 20, /1 trailing bytes after the bind body/);
	decodeError(`01 0b ${HEAD} 00 0000 ff`, 18, /after the unbind body/);
	decodeError(`01 1f ${HEAD} 00`, 15, /after the keepalive body/);
});

test("markers other than 0 and 1 are a DecodeError", () => {
	decodeError(`01 40 ${HEAD.slice(0, -2)} 02 0001 0001 2000 00`, 14, /bad multipart marker 2/);
	decodeError(`01 40 ${HEAD} 02 01 61 ff`, 15, /bad reason marker 2/);
	decodeError(`01 0a ${HEAD} 02 0000`, 15, /bad gateway marker 2/);
});

test("request params must be INFOTABLE or NOTHING", () => {
	decodeError(`01 03 ${HEAD} 0a 01 54 02 01 53 00 01`, 22, /params type 1/);
	decodeError(`01 03 ${HEAD} 0a 01 54 02 01 53 00`, 22, /truncated/);
});

test("a response whose content type is not INFOTABLE keeps it and re-encodes it", () => {
	const bytes = unhex(`01 40 ${HEAD} 00 00`);
	const m = decodeMessage(bytes);
	assert.deepStrictEqual(m.kind === "response" && [m.content, m.contentType], [null, 0]);
	assert.equal(hex(encodeMessageToBytes(m)), hex(bytes));
});

test("request headers (§3.1) are read and written even though the C SDK always sends none", () => {
	const bytes = unhex(`01 01 ${HEAD} 0a 01 54 01 01 50 02 01 61 01 62 01 63 00 ff`);
	const m = decodeMessage(bytes);
	assert.deepStrictEqual(m.kind === "request" && m.headers, [["a", "b"], ["c", ""]]);
	assert.equal(hex(encodeMessageToBytes(m)), hex(bytes));
});

test("AUTH with several claims, and with none", () => {
	const bytes = unhex(`01 14 00000001 00000000 ffffffff 00 02 06 ${ascii("userid")} 01 75 08 ${ascii("password")} 01 70`);
	const m = decodeMessage(bytes);
	assert.deepStrictEqual(m.kind === "auth" && m.claims, [["userid", "u"], ["password", "p"]]);
	assert.equal(hex(encodeMessageToBytes(m)), hex(bytes));
	assert.deepStrictEqual((decodeMessage(unhex(`01 14 ${HEAD} 00`)) as { claims: unknown }).claims, []);
});

test("the encoder refuses a body that does not match the code, and out-of-range header fields", () => {
	const base = { version: 1, requestId: 1, endpointId: 0, sessionId: 0 };
	const wrongKind = { ...base, kind: "auth", code: Code.BIND, claims: [] } as Message;
	assert.throws(() => encodeMessageToBytes(wrongKind), (e: unknown) => e instanceof EncodeError && /code 0xa does not carry a auth body/.test(e.reason));
	const response = { ...base, kind: "response", code: 0x40, reason: null, content: null, contentType: 5, trailing: 0 } as Message;
	assert.throws(() => encodeMessageToBytes(response), (e: unknown) => e instanceof EncodeError && /INFOTABLE without a table/.test(e.reason));
	const badId = { ...base, requestId: -1, kind: "keepalive", code: 0x1f } as Message;
	assert.throws(() => encodeMessageToBytes(badId), (e: unknown) => e instanceof EncodeError && /requestId out of range: -1/.test(e.reason));
	const tooManyClaims = { ...base, kind: "auth", code: Code.AUTH, claims: Array.from({ length: 256 }, () => ["a", "b"]) } as Message;
	assert.throws(() => encodeMessageToBytes(tooManyClaims), (e: unknown) => e instanceof EncodeError && /claims out of range: 256/.test(e.reason));
});

test("encodeMessage writes at an offset, returns the length, and fails with EncodeError when the buffer is short", () => {
	const m: Message = { kind: "response", version: 1, code: 0x40, requestId: 3, endpointId: 0, sessionId: 0xbeef, reason: null, content: null, contentType: -1, trailing: 0 };
	const into = new Uint8Array(40).fill(0xee);
	assert.equal(encodeMessage(m, into, 5), 17);
	assert.equal(hex(into.subarray(5, 22)), "01400000000300000000" + "0000beef0000ff");
	assert.equal(into[4], 0xee);
	assert.equal(into[22], 0xee);
	assert.throws(() => encodeMessage(m, new Uint8Array(16)), (e: unknown) => e instanceof EncodeError && /no room/.test(e.reason));
});

test("encodeMessageToBytes grows past its first guess for large messages", () => {
	const m: Message = { kind: "bind", version: 1, code: Code.BIND, requestId: 3, endpointId: 0, sessionId: 1, gateway: null, names: Array.from({ length: 300 }, (_, i) => "thing" + i) };
	const bytes = encodeMessageToBytes(m);
	assert.deepStrictEqual(decodeMessage(bytes), m);
	assert.equal(bytes.length, 15 + 1 + 2 + m.names.reduce((n, s) => n + 1 + s.length, 0));
});

test("property: random messages of every kind round-trip (message -> bytes -> same message -> same bytes)", () => {
	fc.assert(fc.property(message, (m) => {
		const bytes = encodeMessageToBytes(m);
		const back = decodeMessage(bytes);
		assert.deepStrictEqual(back, m);
		assert.equal(hex(encodeMessageToBytes(back)), hex(bytes));
	}), { numRuns: 500 });
});

test("decodeReply (the edge's decode): a response or chunk as decodeMessage reads it, null for KEEP_ALIVE, AUTH, BIND, UNBIND; a request or unknown code is a DecodeError", () => {
	fc.assert(fc.property(message, (m) => {
		const bytes = encodeMessageToBytes(m);
		if (m.kind === "request") assert.throws(() => decodeReply(bytes), (e: unknown) => e instanceof DecodeError && e.offset === 1);
		else assert.deepStrictEqual(decodeReply(bytes), m.kind === "response" ? m : null);
	}), { numRuns: 300 });
	const chunk = unhex(`02 40 ${HEAD.slice(0, -2)} 01 0002 0002 0004 abcd`);
	assert.deepStrictEqual(decodeReply(chunk), decodeMessage(chunk));
	assert.equal(decodeReply(chunk)?.kind, "chunk");
	assert.throws(() => decodeReply(unhex(`01 1f ${HEAD} 00`)), (e: unknown) => e instanceof DecodeError && e.offset === 15, "a KEEP_ALIVE with trailing bytes");
	assert.throws(() => decodeReply(unhex(`01 05 ${HEAD}`)), (e: unknown) => e instanceof DecodeError && e.offset === 1, "a code no side sends");
	assert.throws(() => decodeReply(unhex("01 40 0000")), DecodeError, "a short header");
});
