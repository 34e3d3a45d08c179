/*
 * Typed primitives (type byte + value, docs/protocol.md §5.2) and InfoTables (§6).
 * Nesting depth: a table passed to encodeInfoTable/decodeInfoTable is depth 1 (a request's params);
 * every INFOTABLE or VARIANT value inside adds one; beyond `maxDepth` is an error, never a stack overflow.
 */
import type { Aspect, BaseTypeName, FieldDefinition, InfoTable, Location, TypedValue } from "./model";
import { baseTypeCode, baseTypeName, DEFAULT_OPTIONS, longCode, tableCode, type CodecOptions } from "./basetypes";
import { DecodeError, EncodeError, limit } from "./errors";
import type { ByteReader } from "./reader";
import type { ByteWriter } from "./writer";

export function decodeTypedValue(r: ByteReader, options: CodecOptions = DEFAULT_OPTIONS): TypedValue {
	return readValue(r, options, 0);
}

export function encodeInfoTable(w: ByteWriter, table: InfoTable, options: CodecOptions = DEFAULT_OPTIONS): void {
	writeTable(w, table, options, 1);
}

export function decodeInfoTable(r: ByteReader, options: CodecOptions = DEFAULT_OPTIONS): InfoTable {
	if ((options.maxDepth ?? 8) < 1) throw new DecodeError(r.position, TOO_DEEP);
	return readTable(r, options, 1);
}

// The push path compares strings held in constants, never literals: under XS a string literal is
// copied into a fresh chunk each time it is evaluated (unless the module is preloaded), while V8
// compares either kind as fast. (A table lookup by type name would cost V8 five times the switch.)
// Type codes are written as numbers so the bundle inlines them (a frozen table's property is a read).
// The push row writer (push.ts) compares with the exported ones.
export const NUMBER_TYPE = "number";
export const BOOLEAN_TYPE = "boolean";
const STRING_TYPE = "string";
const OBJECT_TYPE = "object";
const NOTHING = "NOTHING";
export const STRING = "STRING";
export const NUMBER = "NUMBER";
export const BOOLEAN = "BOOLEAN";
export const LOCATION = "LOCATION";
const DATETIME = "DATETIME";
export const INTEGER = "INTEGER";
const LONG = "LONG";
const VARIANT = "VARIANT";
const INFOTABLE = "INFOTABLE";
const IMAGE = "IMAGE";
const BLOB = "BLOB";
const UNKNOWN_TYPE = "unknown base type ";
const TOO_DEEP = "nesting too deep";

// The last string value written, and its wire bytes once it came twice in a row: an unchanged string
// (a path, a status) is then one native copy instead of a loop over its characters. Bytes are made
// only for a string seen twice, so a string that changes at every push never allocates. The push row
// writer (push.ts) reads them too.
export let lastText = "";
export let lastBytes: Uint8Array | null = null;

function writeString(w: ByteWriter, text: string): void {
	if (text === lastText && lastBytes !== null) {
		w.bytes(lastBytes);
		return;
	}
	const start = w.position;
	w.string(text);
	if (text === lastText) lastBytes = w.buffer.slice(start, w.position);
	else {
		lastText = text;
		lastBytes = null;
	}
}

/** `depth`: the nesting so far (callers leave it out). */
export function encodeTypedValue(w: ByteWriter, v: TypedValue, options: CodecOptions = DEFAULT_OPTIONS, depth = 0): void {
	const value = v.value;
	const type: string = v.type;
	switch (type) {
		// The push path's types first, each with one room check (a writer call costs more than a byte).
		case NUMBER: {
			if (typeof value !== NUMBER_TYPE) break;
			const at = w.take(9);
			w.buffer[at] = 1;
			w.view.setFloat64(at + 1, value as number);
			return;
		}
		case BOOLEAN: {
			if (typeof value !== BOOLEAN_TYPE) break;
			const at = w.take(2);
			w.buffer[at] = 2;
			w.buffer[at + 1] = value ? 1 : 0;
			return;
		}
		case STRING:
			if (typeof value !== STRING_TYPE) break;
			w.u8(0);
			writeString(w, value as string);
			return;
		case LOCATION: {
			const l = value as Location;
			if (!l || typeof l.longitude !== NUMBER_TYPE || typeof l.latitude !== NUMBER_TYPE || typeof l.elevation !== NUMBER_TYPE) break;
			const at = w.take(25);
			w.buffer[at] = 6;
			w.view.setFloat64(at + 1, l.longitude);
			w.view.setFloat64(at + 9, l.latitude);
			w.view.setFloat64(at + 17, l.elevation);
			return;
		}
		case DATETIME:
		case LONG: {
			const code = type === LONG ? longCode(options) : 3;
			if (code === null) throw new EncodeError("LONG is disabled (longTypeCode null)");
			if (!Number.isSafeInteger(value)) break;
			w.u8(code);
			w.int64(value as number);
			return;
		}
		case INTEGER:
			if (((value as number) | 0) !== value) break; // an int32 (also rejects NaN, fractions, non-numbers)
			w.u8(22);
			w.i32(value as number);
			return;
		case NOTHING:
			w.u8(0xff);
			return;
		case IMAGE:
		case BLOB:
			if (!(value instanceof Uint8Array)) break;
			w.u8(type === IMAGE ? 10 : 21);
			w.u32(value.length);
			w.bytes(value);
			return;
		case INFOTABLE:
		case VARIANT: {
			if (!value || typeof value !== OBJECT_TYPE) break;
			const next = deeper(depth, options, -1);
			if (type === VARIANT) {
				w.u8(18);
				encodeTypedValue(w, value as TypedValue, options, next);
			} else {
				w.u8(5);
				writeTable(w, value as InfoTable, options, next);
			}
			return;
		}
		default: {
			// The string-valued types; TIMESPAN and SCHEDULE are not in TypedValue but JSON may carry them.
			const code = tableCode(type);
			if (code === undefined) throw new EncodeError(UNKNOWN_TYPE + type);
			if (code === 4 || code === 17) throw new EncodeError(type + " is not supported");
			if (typeof value !== STRING_TYPE) break;
			w.u8(code);
			w.string(value as string);
			return;
		}
	}
	throw new EncodeError("bad " + type + " value");
}

function writeTable(w: ByteWriter, table: InfoTable, options: CodecOptions, depth: number): void {
	for (const field of table.fields) {
		const code = baseTypeCode(field.baseType, options);
		if (code === undefined) throw new EncodeError(UNKNOWN_TYPE + field.baseType);
		w.u8(1);
		w.string(field.name);
		w.string(field.description);
		w.u8(code & 0xff);
		w.u16(limit(field.aspects.length, 0xffff, "aspects"));
		for (const aspect of field.aspects) {
			w.string(aspect.name);
			encodeTypedValue(w, aspect.value, options, depth);
		}
	}
	w.u8(0);
	for (const row of table.rows) {
		w.u8(1);
		w.u16(limit(row.length, 0xffff, "cells"));
		for (const cell of row) encodeTypedValue(w, cell, options, depth);
	}
	w.u8(0);
}

function readValue(r: ByteReader, options: CodecOptions, depth: number): TypedValue {
	const at = r.position;
	const code = r.i8();
	if (code === (options.longTypeCode === undefined ? 23 : options.longTypeCode)) return { type: LONG, value: r.int64() };
	switch (code) {
		case -1:
			return { type: NOTHING, value: null };
		case 0:
			return { type: STRING, value: r.string() };
		case 1:
			return { type: NUMBER, value: r.f64() };
		case 2:
			return { type: BOOLEAN, value: r.u8() !== 0 };
		case 3:
			return { type: DATETIME, value: r.int64() };
		case 5:
			return { type: INFOTABLE, value: readTable(r, options, deeper(depth, options, at)) };
		case 6:
			return { type: LOCATION, value: { longitude: r.f64(), latitude: r.f64(), elevation: r.f64() } };
		case 10:
		case 21:
			return { type: code === 10 ? IMAGE : BLOB, value: r.view(r.u32()).slice() };
		case 18:
			return { type: VARIANT, value: readValue(r, options, deeper(depth, options, at)) };
		case 22:
			return { type: INTEGER, value: r.i32() };
	}
	const type = knownType(code, at, options);
	if (code === 4 || code === 17) throw new DecodeError(at, type + " is not supported");
	return { type, value: r.string() } as TypedValue;
}

function readTable(r: ByteReader, options: CodecOptions, depth: number): InfoTable {
	const fields: FieldDefinition[] = [];
	while (r.marker("field")) {
		const name = r.string();
		const description = r.string();
		const at = r.position;
		const code = r.i8();
		const baseType = baseTypeName(code, options); // not knownType(): one call less per field on the device's receive path
		if (baseType === undefined) throw new DecodeError(at, UNKNOWN_TYPE + code);
		const aspects: Aspect[] = [];
		for (let n = r.u16(); n > 0; n--) aspects.push({ name: r.string(), value: readValue(r, options, depth) });
		fields.push({ name, description, baseType, aspects });
	}
	const rows: TypedValue[][] = [];
	while (r.marker("row")) {
		const row: TypedValue[] = [];
		for (let n = r.u16(); n > 0; n--) row.push(readValue(r, options, depth));
		rows.push(row);
	}
	return { fields, rows };
}

/** The name of the type `code` read at `at`; a code that is no base type (under `options`) is a DecodeError. */
function knownType(code: number, at: number, options: CodecOptions): BaseTypeName {
	const type = baseTypeName(code, options);
	if (type === undefined) throw new DecodeError(at, UNKNOWN_TYPE + code);
	return type;
}

/** `depth + 1`, unless that passes maxDepth: then a DecodeError at `at`, or an EncodeError when `at` < 0. */
function deeper(depth: number, options: CodecOptions, at: number): number {
	if (depth >= (options.maxDepth ?? 8)) throw at < 0 ? new EncodeError(TOO_DEEP) : new DecodeError(at, TOO_DEEP);
	return depth + 1;
}
