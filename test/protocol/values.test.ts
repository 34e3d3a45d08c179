// Typed values, InfoTables, the writer/reader and UTF-8: exact encodings (docs/protocol.md §5-§6), round
// trips over random values (fast-check), and the typed errors for what cannot be written or read.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
	BaseType, baseTypeCode, baseTypeName, ByteReader, ByteWriter, DecodeError, decodeInfoTable, decodeTypedValue,
	EncodeError, encodeInfoTable, encodeTypedValue, type CodecOptions, type TypedValue,
} from "../../src/protocol/index";
import { ALL_TYPES, LONE_SURROGATE, table, value } from "./arbitraries";
import { hex, unhex } from "./helpers";

function encode(v: TypedValue, options?: CodecOptions, size = 1 << 16): string {
	const w = new ByteWriter(new Uint8Array(size));
	encodeTypedValue(w, v, options);
	return hex(w.buffer.subarray(0, w.position));
}

function decode(text: string, options?: CodecOptions): TypedValue {
	const r = new ByteReader(unhex(text));
	const v = decodeTypedValue(r, options);
	assert.equal(r.remaining, 0, "the value uses every byte");
	return v;
}

function decodeError(fn: () => unknown, offset: number, reason: RegExp): void {
	assert.throws(fn, (e: unknown) => e instanceof DecodeError && e.offset === offset && reason.test(e.reason) && e.name === "DecodeError");
}

function encodeError(fn: () => unknown, reason: RegExp): void {
	assert.throws(fn, (e: unknown) => e instanceof EncodeError && reason.test(e.reason) && e.name === "EncodeError");
}

test("base type table matches docs/protocol.md §5.2", () => {
	const doc: Record<string, number> = {
		NOTHING: -1, STRING: 0, NUMBER: 1, BOOLEAN: 2, DATETIME: 3, TIMESPAN: 4, INFOTABLE: 5, LOCATION: 6, XML: 7, JSON: 8,
		QUERY: 9, IMAGE: 10, HYPERLINK: 11, IMAGELINK: 12, PASSWORD: 13, HTML: 14, TEXT: 15, TAGS: 16, SCHEDULE: 17,
		VARIANT: 18, GUID: 20, BLOB: 21, INTEGER: 22, LONG: 23, PROPERTYNAME: 50, SERVICENAME: 51, EVENTNAME: 52,
		THINGNAME: 100, THINGSHAPENAME: 101, THINGTEMPLATENAME: 102, DATASHAPENAME: 104, MASHUPNAME: 105, MENUNAME: 106,
		BASETYPENAME: 107, USERNAME: 108, GROUPNAME: 109, CATEGORYNAME: 110, STATEDEFINITIONNAME: 111,
		STYLEDEFINITIONNAME: 112, MODELTAGVOCABULARYNAME: 113, DATATAGVOCABULARYNAME: 114, NETWORKNAME: 115,
		MEDIAENTITYNAME: 116, APPLICATIONKEYNAME: 117, LOCALIZATIONTABLENAME: 118, ORGANIZATIONNAME: 119, DASHBOARDNAME: 120,
	};
	assert.deepStrictEqual({ ...BaseType }, doc);
	for (const [name, code] of Object.entries(doc)) {
		assert.equal(baseTypeCode(name), code);
		assert.equal(baseTypeName(code), name);
	}
	assert.equal(baseTypeName(19), undefined);
	assert.equal(baseTypeCode("FLOAT"), undefined);
	assert.ok(Object.isFrozen(BaseType));
	assert.equal(ALL_TYPES.length, Object.keys(doc).length);
});

test("fixed-size encodings: NUMBER f64, INTEGER int32, BOOLEAN, DATETIME int64 (no BigInt), LOCATION lon/lat/elev", () => {
	assert.equal(encode({ type: "NUMBER", value: 42.5 }), "014045400000000000");
	assert.equal(encode({ type: "NUMBER", value: -0 }), "018000000000000000");
	assert.equal(encode({ type: "INTEGER", value: -2147483648 }), "1680000000");
	assert.equal(encode({ type: "BOOLEAN", value: false }), "0200");
	assert.equal(encode({ type: "DATETIME", value: 1700000000000 }), "030000018bcfe56800");
	assert.equal(encode({ type: "DATETIME", value: -1 }), "03ffffffffffffffff");
	assert.equal(encode({ type: "DATETIME", value: -4294967296 }), "03ffffffff00000000");
	assert.equal(encode({ type: "DATETIME", value: Number.MAX_SAFE_INTEGER }), "03001fffffffffffff");
	assert.equal(encode({ type: "DATETIME", value: Number.MIN_SAFE_INTEGER }), "03ffe0000000000001");
	assert.equal(encode({ type: "LOCATION", value: { longitude: 1, latitude: 2, elevation: -1 } }), "06" + "3ff0000000000000" + "4000000000000000" + "bff0000000000000");
	assert.equal(encode({ type: "IMAGE", value: new Uint8Array(0) }), "0a00000000");
	assert.deepStrictEqual(decode("03ffe0000000000001"), { type: "DATETIME", value: Number.MIN_SAFE_INTEGER });
	assert.deepStrictEqual(decode("03ffffffff00000000"), { type: "DATETIME", value: -4294967296 });
});

test("DATETIME/LONG outside the safe-integer range are a DecodeError; unsafe or fractional values an EncodeError", () => {
	decodeError(() => decode("030020000000000000"), 1, /safe-integer/);
	decodeError(() => decode("03ffe0000000000000"), 1, /safe-integer/);
	decodeError(() => decode("177fffffffffffffff"), 1, /safe-integer/);
	encodeError(() => encode({ type: "DATETIME", value: 2 ** 53 }), /bad DATETIME/);
	encodeError(() => encode({ type: "DATETIME", value: 1.5 }), /bad DATETIME/);
	encodeError(() => encode({ type: "INTEGER", value: 2 ** 31 }), /bad INTEGER/);
	encodeError(() => encode({ type: "NUMBER", value: "1" } as never), /bad NUMBER/);
	encodeError(() => encode({ type: "STRING", value: 1 } as never), /bad STRING/);
	encodeError(() => encode({ type: "FLOAT", value: 1 } as never), /unknown base type FLOAT/);
});

test("BOOLEAN decodes any non-zero byte as true", () => {
	assert.deepStrictEqual(decode("0201"), { type: "BOOLEAN", value: true });
	assert.deepStrictEqual(decode("02ff"), { type: "BOOLEAN", value: true });
	assert.deepStrictEqual(decode("0200"), { type: "BOOLEAN", value: false });
});

test("LONG: code 23 by default, configurable, or rejected with longTypeCode null", () => {
	const v: TypedValue = { type: "LONG", value: -5 };
	assert.equal(encode(v), "17fffffffffffffffb");
	assert.deepStrictEqual(decode("17fffffffffffffffb"), v);
	assert.equal(encode(v, { longTypeCode: 30 }), "1efffffffffffffffb");
	assert.deepStrictEqual(decode("1efffffffffffffffb", { longTypeCode: 30 }), v);
	decodeError(() => decode("17fffffffffffffffb", { longTypeCode: 30 }), 0, /unknown base type 23/);
	decodeError(() => decode("17fffffffffffffffb", { longTypeCode: null }), 0, /unknown base type 23/);
	encodeError(() => encode(v, { longTypeCode: null }), /LONG is disabled/);
	assert.equal(baseTypeName(23, { longTypeCode: null }), undefined);
	assert.equal(baseTypeCode("LONG", { longTypeCode: 30 }), 30);
});

test("TIMESPAN and SCHEDULE are rejected both ways with a clear error", () => {
	encodeError(() => encode({ type: "TIMESPAN", value: "1" } as never), /^TIMESPAN is not supported$/);
	encodeError(() => encode({ type: "SCHEDULE", value: "x" } as never), /^SCHEDULE is not supported$/);
	decodeError(() => decode("040000000000000000"), 0, /^TIMESPAN is not supported$/);
	decodeError(() => decode("1100"), 0, /^SCHEDULE is not supported$/);
	// ...but a field may declare them: the type of a column is only a name.
	const w = new ByteWriter(new Uint8Array(64));
	encodeInfoTable(w, { fields: [{ name: "t", description: "", baseType: "TIMESPAN", aspects: [] }], rows: [] });
	assert.equal(hex(w.buffer.subarray(0, w.position)), "010174000400000000");
});

test("strings: 1-byte length below 128 bytes, 4-byte length with the top bit from 128, UTF-8 byte lengths", () => {
	assert.equal(encode({ type: "STRING", value: "x".repeat(127) }), "007f" + "78".repeat(127));
	assert.equal(encode({ type: "STRING", value: "x".repeat(128) }), "0080000080" + "78".repeat(128));
	assert.equal(encode({ type: "TEXT", value: "é".repeat(63) }), "0f7e" + "c3a9".repeat(63));
	assert.equal(encode({ type: "TEXT", value: "é".repeat(64) }), "0f80000080" + "c3a9".repeat(64));
	assert.equal(encode({ type: "STRING", value: "€😀" }), "0007e282acf09f9880");
	assert.equal(encode({ type: "STRING", value: "" }), "0000");
	assert.deepStrictEqual(decode("0007e282acf09f9880"), { type: "STRING", value: "€😀" });
	// The C SDK reader accepts the 4-byte form for a short string; so do we.
	assert.deepStrictEqual(decode("008000000261" + "62"), { type: "STRING", value: "ab" });
});

test("a lone surrogate is written as U+FFFD, as TextEncoder does", () => {
	assert.equal(encode({ type: "STRING", value: "a\ud800b\udc00" }), "0008" + "61efbfbd62efbfbd");
	assert.equal(hex(new TextEncoder().encode("a\ud800b\udc00")), "61efbfbd62efbfbd");
});

test("malformed UTF-8 is a DecodeError at the offending byte", () => {
	decodeError(() => decode("0002c080"), 2, /lead byte/); // overlong NUL
	decodeError(() => decode("0003e08080"), 2, /code point/); // overlong 3-byte
	decodeError(() => decode("0003eda080"), 2, /code point/); // UTF-16 surrogate
	decodeError(() => decode("0004f4908080"), 2, /code point/); // above U+10FFFF
	decodeError(() => decode("0002e282"), 2, /truncated UTF-8/);
	decodeError(() => decode("000261ff"), 3, /lead byte/);
	decodeError(() => decode("0002c341"), 3, /continuation/);
});

test("UTF-8 agrees with TextEncoder/TextDecoder on random well-formed text", () => {
	fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), (s) => {
		const expected = new TextEncoder().encode(s);
		const v = encode({ type: "STRING", value: s });
		const prefix = expected.length < 128 ? 1 : 4;
		assert.equal(v.slice(2 + prefix * 2), hex(expected));
		if (!LONE_SURROGATE.test(s)) assert.equal((decode(v) as { value: string }).value, s);
	}), { numRuns: 300 });
});

test("lying lengths fail before anything is allocated", () => {
	decodeError(() => decode("00" + "ffffffff" + "41"), 5, /truncated: string/);
	decodeError(() => decode("15" + "ffffffff" + "41"), 5, /truncated: bytes/);
	decodeError(() => decode("0a" + "00000005" + "41"), 5, /truncated: bytes/);
	decodeError(() => decode("0105"), 1, /truncated: float64/);
	decodeError(() => decode(""), 0, /truncated: byte/);
	decodeError(() => decode("13"), 0, /unknown base type 19/);
	decodeError(() => decode("7f"), 0, /unknown base type 127/);
});

test("ByteReader rejects a range outside its bytes with a DecodeError", () => {
	decodeError(() => new ByteReader(new Uint8Array(4), 2, 8), 2, /range/);
	decodeError(() => new ByteReader(new Uint8Array(4), 3, 2), 3, /range/);
});

test("ByteWriter: running out of room is an EncodeError and nothing is written past the end", () => {
	const backing = new Uint8Array(24).fill(0xaa);
	const view = backing.subarray(4, 14);
	const w = new ByteWriter(view, 2);
	w.f64(1);
	encodeError(() => w.u8(1), /^no room: need 1 bytes at 10 of 10$/);
	encodeError(() => w.string("x"), /no room/);
	assert.equal(w.position, 10);
	assert.equal(w.remaining, 0);
	assert.equal(hex(backing), "aaaaaaaa" + "aaaa" + "3ff0000000000000" + "aa".repeat(10));
	const small = new ByteWriter(new Uint8Array(6), 1);
	encodeError(() => small.string("abcdef"), /need 7 bytes at 1 of 6/);
	encodeError(() => small.string("abcd\u00e9"), /need 7 bytes at 1 of 6/);
	assert.equal(small.position, 1, "a string that does not fit moves nothing");
	small.string("abcd");
	assert.equal(hex(small.buffer), "00" + "04" + "61626364");
});

test("InfoTable with descriptions, aspects and cells whose types differ from their field's (§6)", () => {
	const t = {
		fields: [
			{ name: "SensorName", description: "the sensor", baseType: "NUMBER" as const, aspects: [{ name: "isPrimaryKey", value: { type: "BOOLEAN", value: true } as TypedValue }] },
			{ name: "n", description: "", baseType: "INTEGER" as const, aspects: [] },
		],
		rows: [[{ type: "STRING", value: "Sensor Alpha" }, { type: "NOTHING", value: null }]] as TypedValue[][],
	};
	const w = new ByteWriter(new Uint8Array(256));
	encodeInfoTable(w, t);
	const bytes = w.buffer.subarray(0, w.position);
	assert.equal(hex(bytes),
		"01" + "0a" + hex(new TextEncoder().encode("SensorName")) + "0a" + hex(new TextEncoder().encode("the sensor")) + "01" + "0001" +
		"0c" + hex(new TextEncoder().encode("isPrimaryKey")) + "0201" +
		"01" + "016e" + "00" + "16" + "0000" + "00" +
		"01" + "0002" + "00" + "0c" + hex(new TextEncoder().encode("Sensor Alpha")) + "ff" + "00");
	assert.deepStrictEqual(decodeInfoTable(new ByteReader(bytes)), t);
	assert.deepStrictEqual(decodeInfoTable(new ByteReader(unhex("0000"))), { fields: [], rows: [] });
	decodeError(() => decodeInfoTable(new ByteReader(unhex("0200"))), 0, /bad field marker 2/);
	decodeError(() => decodeInfoTable(new ByteReader(unhex("0005"))), 1, /bad row marker 5/);
	decodeError(() => decodeInfoTable(new ByteReader(unhex("01016100130000"))), 4, /unknown base type 19/);
	decodeError(() => decodeInfoTable(new ByteReader(unhex("0001ff"))), 2, /truncated: uint16/);
	decodeError(() => decodeInfoTable(new ByteReader(unhex("0001ffffff"))), 5, /truncated: byte/);
});

function nested(levels: number): TypedValue {
	let v: TypedValue = { type: "NUMBER", value: 1 };
	for (let i = 0; i < levels; i++) v = i % 2 ? { type: "VARIANT", value: v } : { type: "INFOTABLE", value: { fields: [], rows: [[v]] } };
	return v;
}

test("nesting deeper than maxDepth (default 8) is an error both ways, never a stack overflow", () => {
	const ok = encode(nested(8));
	assert.deepStrictEqual(decode(ok), nested(8));
	const deep = encode(nested(9), { maxDepth: 100 });
	encodeError(() => encode(nested(9)), /nesting too deep/);
	assert.throws(() => decode(deep), (e: unknown) => e instanceof DecodeError && /nesting too deep/.test(e.reason));
	assert.throws(() => decode(ok, { maxDepth: 7 }), DecodeError);
	// A cyclic value from a buggy caller: an EncodeError, not a RangeError.
	const cyclic = { type: "VARIANT", value: null as unknown } as { type: "VARIANT"; value: TypedValue };
	cyclic.value = cyclic;
	encodeError(() => encode(cyclic), /nesting too deep/);
	// Tens of thousands of nesting bytes: a DecodeError, not a stack overflow.
	assert.throws(() => decode("12".repeat(50000) + "ff"), DecodeError);
	assert.throws(() => decode("0500010001".repeat(20000)), DecodeError);
});

test("property: every base type round-trips (value -> bytes -> same value -> same bytes)", () => {
	fc.assert(fc.property(value, (v) => {
		const bytes = encode(v);
		const back = decode(bytes);
		assert.deepStrictEqual(back, v);
		assert.equal(encode(back), bytes);
	}), { numRuns: 1500 });
});

test("property: random nested InfoTables round-trip", () => {
	fc.assert(fc.property(table, (t) => {
		const w = new ByteWriter(new Uint8Array(1 << 17));
		encodeInfoTable(w, t);
		const r = new ByteReader(w.buffer, 0, w.position);
		assert.deepStrictEqual(decodeInfoTable(r), t);
		assert.equal(r.remaining, 0);
	}), { numRuns: 500 });
});
