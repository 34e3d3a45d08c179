/*
 * A platform request's params (docs/protocol.md §3.1, §6) read straight from the received bytes: the whole
 * section is checked once (every marker, type and length against what remains, nothing after the
 * table), then columns are found by name and row 0's cells decoded into plain values. Nothing is
 * allocated but the values handed to the application (a string, a Location, bytes, a nested table);
 * a number or a boolean costs nothing. The codec's decodeInfoTable would build the whole model (a
 * reader and a DataView per call, arrays and objects per field, row and cell, names as strings) for
 * a request the device may then refuse.
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import { DecodeError } from "./errors";
import { bytesEqual } from "./head";
import { kindOfCode, NOTHING_CODE, KIND_BOOLEAN, KIND_BYTES, KIND_INFOTABLE, KIND_INTEGER, KIND_LOCATION, KIND_NONE, KIND_NOTHING, KIND_NUMBER, KIND_SAFE_INTEGER, KIND_TEXT, KIND_VARIANT, type PlainValue } from "./kinds";
import type { Location, TypedValue } from "./model";
import { ByteReader } from "./reader";
import { utf8Read } from "./utf8";
import { decodeTypedValue } from "./values";

const INFOTABLE_CODE = 5;
/** The codec's default nesting limit: the params table is depth 1, each INFOTABLE or VARIANT inside adds one. */
const MAX_DEPTH = 8;
const TWO_32 = 4294967296;
// Markers, by number: a name (for the error message) is made only when one is bad.
const FIELD = 0;
const ROW = 1;

export class ParamsReader {
	/** Where the field definitions start, or -1 when the params are NOTHING. */
	#fields = -1;
	/** Where the rows start. */
	#rows = 0;
	#end = 0;
	#float = new DataView(new ArrayBuffer(8));

	/** Checks `bytes[at, end)`: 0xFF (no params), or 0x05 and an InfoTable that ends at `end`. DecodeError otherwise. */
	open(bytes: Uint8Array, at: number, end: number): void {
		this.#end = end;
		this.#fields = -1;
		const type = byteAt(bytes, at, end);
		if (type === NOTHING_CODE) {
			if (at + 1 !== end) throw trailing(at + 1, end);
			return;
		}
		if (type !== INFOTABLE_CODE) throw new DecodeError(at, "params type " + (type << 24 >> 24) + " is neither INFOTABLE nor NOTHING");
		const fields = at + 1;
		let next = skipFields(bytes, fields, end, 1);
		const rows = next;
		next = skipRows(bytes, next, end, 1);
		if (next !== end) throw trailing(next, end);
		this.#fields = fields;
		this.#rows = rows;
	}

	/** The index of the first field whose name field is `name` (length prefix included, as encodeName makes it), or -1. */
	column(bytes: Uint8Array, name: Uint8Array): number {
		let at = this.#fields;
		if (at < 0) return -1;
		for (let i = 0; bytes[at] === 1; i++) {
			const next = skipString(bytes, at + 1, this.#end);
			if (bytesEqual(bytes, at + 1, next - at - 1, name)) return i;
			at = skipField(bytes, at, this.#end, 1);
		}
		return -1;
	}

	/** The index of the first field named `name`, or -1. */
	columnNamed(bytes: Uint8Array, name: string): number {
		let at = this.#fields;
		if (at < 0) return -1;
		for (let i = 0; bytes[at] === 1; i++) {
			if (nameEquals(bytes, at + 1, skipString(bytes, at + 1, this.#end) - at - 1, name)) return i;
			at = skipField(bytes, at, this.#end, 1);
		}
		return -1;
	}

	/** Where row 0's cell of `column` starts (its type byte), or -1: no such column, no row, a shorter row. */
	cell(bytes: Uint8Array, column: number): number {
		let at = this.#rows;
		if (column < 0 || this.#fields < 0 || bytes[at] !== 1 || column >= ((bytes[at + 1] << 8) | bytes[at + 2])) return -1;
		at += 3;
		for (let i = 0; i < column; i++) at = skipValue(bytes, at, this.#end, 1);
		return at;
	}

	/**
	 * The cell at `at` in its plain form: a number, boolean, string, Location (written into `location`
	 * when given, else a new one), bytes, InfoTable, TypedValue (VARIANT) or null (NOTHING).
	 */
	value(bytes: Uint8Array, at: number, location: Location | null): PlainValue {
		const end = this.#end;
		const code = bytes[at];
		switch (kindOfCode(code)) {
			case KIND_NOTHING:
				return null;
			case KIND_NUMBER:
				return this.f64(bytes, at + 1);
			case KIND_INTEGER:
				return (bytes[at + 1] << 24) | (bytes[at + 2] << 16) | (bytes[at + 3] << 8) | bytes[at + 4];
			case KIND_SAFE_INTEGER: {
				const value = ((bytes[at + 1] << 24) | (bytes[at + 2] << 16) | (bytes[at + 3] << 8) | bytes[at + 4]) * TWO_32 + u32(bytes, at + 5);
				if (!Number.isSafeInteger(value)) throw new DecodeError(at + 1, "int64 outside the safe-integer range");
				return value;
			}
			case KIND_BOOLEAN:
				return bytes[at + 1] !== 0;
			case KIND_TEXT: {
				const start = stringStart(bytes, at + 1);
				return utf8Read(bytes, start, skipString(bytes, at + 1, end));
			}
			case KIND_LOCATION: {
				const l = location ?? { longitude: 0, latitude: 0, elevation: 0 };
				l.longitude = this.f64(bytes, at + 1);
				l.latitude = this.f64(bytes, at + 9);
				l.elevation = this.f64(bytes, at + 17);
				return l;
			}
		}
		return this.typed(bytes, at).value; // bytes, tables, variants: the codec builds them
	}

	/** The cell at `at` as a TypedValue (what a VARIANT property or input is handed). */
	typed(bytes: Uint8Array, at: number): TypedValue {
		return decodeTypedValue(new ByteReader(bytes, at, this.#end));
	}

	private f64(bytes: Uint8Array, at: number): number {
		const f = this.#float;
		for (let i = 0; i < 8; i++) f.setUint8(i, bytes[at + i]);
		return f.getFloat64(0);
	}
}

/**
 * Whether the string field `bytes[offset, offset + length)` (length prefix included) holds `text`:
 * ASCII is compared by code unit, anything else decoded first (names are ASCII in practice).
 */
export function nameEquals(bytes: Uint8Array, offset: number, length: number, text: string): boolean {
	const start = stringStart(bytes, offset);
	const n = length - (start - offset);
	for (let i = 0; i < n; i++) {
		const b = bytes[start + i];
		if (b >= 0x80) return utf8Read(bytes, start, start + n) === text;
		if (charCodeAt.call(text, i) !== b) return false;
	}
	const after = charCodeAt.call(text, n);
	return after !== after; // NaN: the text ends here too
}

/** The text of the string field at `offset` (for error messages). */
export function nameText(bytes: Uint8Array, offset: number, length: number): string {
	const start = stringStart(bytes, offset);
	return utf8Read(bytes, start, offset + length);
}

/** XS boxes a primitive string for a method call; the prototype's function called on it does not. */
const charCodeAt = String.prototype.charCodeAt;

function byteAt(bytes: Uint8Array, at: number, end: number): number {
	if (at >= end) throw new DecodeError(at, "truncated params");
	return bytes[at];
}

function u32(bytes: Uint8Array, at: number): number {
	return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

/** `n` more bytes from `at`, or a DecodeError; returns the offset after them. */
function need(at: number, n: number, end: number): number {
	if (n > end - at) throw new DecodeError(at, "truncated params: " + n + " bytes needed, " + (end - at) + " left");
	return at + n;
}

function trailing(at: number, end: number): DecodeError {
	return new DecodeError(at, end - at + " trailing bytes after the request body");
}

/** Where the text of the string field at `at` starts (after its 1- or 4-byte length). */
function stringStart(bytes: Uint8Array, at: number): number {
	return bytes[at] < 0x80 ? at + 1 : at + 4;
}

/** The offset after the string field at `at` (§5.1). */
function skipString(bytes: Uint8Array, at: number, end: number): number {
	const first = byteAt(bytes, at, end);
	if (first < 0x80) return need(at + 1, first, end);
	need(at, 4, end);
	return need(at + 4, u32(bytes, at) & 0x7fffffff, end);
}

function marker(bytes: Uint8Array, at: number, end: number, what: number): number {
	const value = byteAt(bytes, at, end);
	if (value > 1) throw new DecodeError(at, "bad " + (what === FIELD ? "field" : "row") + " marker " + value);
	return value;
}

/** The offset after the field definition at `at` (its marker is 1). */
function skipField(bytes: Uint8Array, at: number, end: number, depth: number): number {
	at = skipString(bytes, at + 1, end); // name
	at = skipString(bytes, at, end); // description
	const code = byteAt(bytes, at, end);
	if (kindOfCode(code) < 0) throw new DecodeError(at, "unknown base type " + (code << 24 >> 24));
	need(at + 1, 2, end);
	let aspects = (bytes[at + 1] << 8) | bytes[at + 2];
	at += 3;
	for (; aspects > 0; aspects--) at = skipValue(bytes, skipString(bytes, at, end), end, depth);
	return at;
}

/** The offset after the field definitions at `at` and their end marker. */
function skipFields(bytes: Uint8Array, at: number, end: number, depth: number): number {
	while (marker(bytes, at, end, FIELD) === 1) at = skipField(bytes, at, end, depth);
	return at + 1;
}

/** The offset after the rows at `at` and their end marker. */
function skipRows(bytes: Uint8Array, at: number, end: number, depth: number): number {
	while (marker(bytes, at, end, ROW) === 1) {
		need(at + 1, 2, end);
		let cells = (bytes[at + 1] << 8) | bytes[at + 2];
		at += 3;
		for (; cells > 0; cells--) at = skipValue(bytes, at, end, depth);
	}
	return at + 1;
}

/** The offset after the typed value at `at` (type byte + value), `depth` being its table's. */
function skipValue(bytes: Uint8Array, at: number, end: number, depth: number): number {
	const code = byteAt(bytes, at, end);
	const next = at + 1;
	switch (kindOfCode(code)) {
		case KIND_NOTHING: return next;
		case KIND_BOOLEAN: return need(next, 1, end);
		case KIND_INTEGER: return need(next, 4, end);
		case KIND_NUMBER: case KIND_SAFE_INTEGER: return need(next, 8, end);
		case KIND_LOCATION: return need(next, 24, end);
		case KIND_TEXT: return skipString(bytes, next, end);
		case KIND_BYTES: return need(need(next, 4, end), u32(bytes, next), end);
		case KIND_INFOTABLE:
			if (depth >= MAX_DEPTH) throw new DecodeError(at, "nesting too deep");
			return skipRows(bytes, skipFields(bytes, next, end, depth + 1), end, depth + 1);
		case KIND_VARIANT:
			if (depth >= MAX_DEPTH) throw new DecodeError(at, "nesting too deep");
			return skipValue(bytes, next, end, depth + 1);
		case KIND_NONE:
			throw new DecodeError(at, (code === 4 ? "TIMESPAN" : "SCHEDULE") + " is not supported");
	}
	throw new DecodeError(at, "unknown base type " + (code << 24 >> 24));
}
