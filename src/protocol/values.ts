/*
 * Typed primitives (type byte + value, PROTOCOL.md §5.2) and InfoTables (§6).
 * Nesting depth: a table passed to encodeInfoTable/decodeInfoTable is depth 1 (a request's params);
 * every INFOTABLE or VARIANT value inside adds one; beyond `maxDepth` is an error, never a stack overflow.
 */
import type { Aspect, FieldDefinition, InfoTable, Location, TypedValue } from "./model";
import { BaseType, baseTypeCode, baseTypeName, DEFAULT_OPTIONS, longCode, tableCode, type CodecOptions } from "./basetypes";
import { DecodeError, EncodeError } from "./errors";
import type { ByteReader } from "./reader";
import type { ByteWriter } from "./writer";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export function encodeTypedValue(w: ByteWriter, value: TypedValue, options: CodecOptions = DEFAULT_OPTIONS): void {
	writeValue(w, value, options, 0);
}

export function decodeTypedValue(r: ByteReader, options: CodecOptions = DEFAULT_OPTIONS): TypedValue {
	return readValue(r, options, 0);
}

export function encodeInfoTable(w: ByteWriter, table: InfoTable, options: CodecOptions = DEFAULT_OPTIONS): void {
	writeTable(w, table, options, 1);
}

export function decodeInfoTable(r: ByteReader, options: CodecOptions = DEFAULT_OPTIONS): InfoTable {
	if (maxDepth(options) < 1) throw new DecodeError(r.position, "nesting too deep");
	return readTable(r, options, 1);
}

function maxDepth(options: CodecOptions): number {
	return options.maxDepth === undefined ? 8 : options.maxDepth;
}

// The push path compares strings held in constants, never literals: under XS a string literal is
// copied into a fresh chunk each time it is evaluated (unless the module is preloaded), while V8
// compares either kind as fast. (A table lookup by type name would cost V8 five times the switch.)
const NUMBER_TYPE = "number";
const BOOLEAN_TYPE = "boolean";
const STRING_TYPE = "string";
const OBJECT_TYPE = "object";
const NOTHING = "NOTHING";
const NUMBER = "NUMBER";
const BOOLEAN = "BOOLEAN";
const LOCATION = "LOCATION";
const DATETIME = "DATETIME";
const INTEGER = "INTEGER";
const LONG = "LONG";
const VARIANT = "VARIANT";
const INFOTABLE = "INFOTABLE";
const IMAGE = "IMAGE";
const BLOB = "BLOB";

function writeValue(w: ByteWriter, v: TypedValue, options: CodecOptions, depth: number): void {
	const value = v.value;
	const type: string = v.type;
	switch (type) {
		case NUMBER:
			if (typeof value !== NUMBER_TYPE) break;
			w.u8(BaseType.NUMBER);
			w.f64(value as number);
			return;
		case BOOLEAN:
			if (typeof value !== BOOLEAN_TYPE) break;
			w.u8(BaseType.BOOLEAN);
			w.u8(value ? 1 : 0);
			return;
		case LOCATION: {
			const l = value as Location;
			if (!l || typeof l.longitude !== NUMBER_TYPE || typeof l.latitude !== NUMBER_TYPE || typeof l.elevation !== NUMBER_TYPE) break;
			w.u8(BaseType.LOCATION);
			w.f64(l.longitude);
			w.f64(l.latitude);
			w.f64(l.elevation);
			return;
		}
		case DATETIME:
		case LONG: {
			const code = type === LONG ? longCode(options) : BaseType.DATETIME;
			if (code === null) throw new EncodeError("LONG is disabled (longTypeCode null)");
			if (!Number.isSafeInteger(value)) break;
			w.u8(code);
			w.int64(value as number);
			return;
		}
		case INTEGER:
			if (!Number.isInteger(value) || (value as number) < INT32_MIN || (value as number) > INT32_MAX) break;
			w.u8(BaseType.INTEGER);
			w.i32(value as number);
			return;
		case NOTHING:
			w.u8(0xff);
			return;
		case IMAGE:
		case BLOB:
			if (!(value instanceof Uint8Array)) break;
			w.u8(type === IMAGE ? BaseType.IMAGE : BaseType.BLOB);
			w.u32(value.length);
			w.bytes(value);
			return;
		case INFOTABLE:
		case VARIANT:
			if (!value || typeof value !== OBJECT_TYPE) break;
			if (depth >= maxDepth(options)) throw new EncodeError("nesting too deep");
			if (type === VARIANT) {
				w.u8(BaseType.VARIANT);
				writeValue(w, value as TypedValue, options, depth + 1);
			} else {
				w.u8(BaseType.INFOTABLE);
				writeTable(w, value as InfoTable, options, depth + 1);
			}
			return;
		default: {
			// The string-valued types; TIMESPAN and SCHEDULE are not in TypedValue but JSON may carry them.
			const code = tableCode(type);
			if (code === undefined) throw new EncodeError("unknown base type " + type);
			if (code === BaseType.TIMESPAN || code === BaseType.SCHEDULE) throw new EncodeError(type + " is not supported");
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
		if (code === undefined) throw new EncodeError("unknown base type " + field.baseType);
		w.u8(1);
		w.string(field.name);
		w.string(field.description);
		w.u8(code & 0xff);
		w.u16(count(field.aspects.length, "aspects"));
		for (const aspect of field.aspects) {
			w.string(aspect.name);
			writeValue(w, aspect.value, options, depth);
		}
	}
	w.u8(0);
	for (const row of table.rows) {
		w.u8(1);
		w.u16(count(row.length, "cells"));
		for (const cell of row) writeValue(w, cell, options, depth);
	}
	w.u8(0);
}

function count(n: number, what: string): number {
	if (n > 0xffff) throw new EncodeError("too many " + what + ": " + n);
	return n;
}

function readValue(r: ByteReader, options: CodecOptions, depth: number): TypedValue {
	const at = r.position;
	const code = r.i8();
	const longCode = options.longTypeCode === undefined ? 23 : options.longTypeCode;
	if (code === longCode) return { type: "LONG", value: r.int64() };
	switch (code) {
		case -1:
			return { type: "NOTHING", value: null };
		case 0:
			return { type: "STRING", value: r.string() };
		case 1:
			return { type: "NUMBER", value: r.f64() };
		case 2:
			return { type: "BOOLEAN", value: r.u8() !== 0 };
		case 3:
			return { type: "DATETIME", value: r.int64() };
		case 4:
		case 17:
			throw new DecodeError(at, (code === 4 ? "TIMESPAN" : "SCHEDULE") + " is not supported");
		case 5:
			if (depth >= maxDepth(options)) throw new DecodeError(at, "nesting too deep");
			return { type: "INFOTABLE", value: readTable(r, options, depth + 1) };
		case 6:
			return { type: "LOCATION", value: { longitude: r.f64(), latitude: r.f64(), elevation: r.f64() } };
		case 10:
		case 21:
			return { type: code === 10 ? "IMAGE" : "BLOB", value: r.view(r.u32()).slice() };
		case 18:
			if (depth >= maxDepth(options)) throw new DecodeError(at, "nesting too deep");
			return { type: "VARIANT", value: readValue(r, options, depth + 1) };
		case 22:
			return { type: "INTEGER", value: r.i32() };
	}
	const type = baseTypeName(code, options);
	if (type === undefined) throw new DecodeError(at, "unknown base type " + code);
	return { type, value: r.string() } as TypedValue;
}

function readTable(r: ByteReader, options: CodecOptions, depth: number): InfoTable {
	const fields: FieldDefinition[] = [];
	while (marker(r, "field")) {
		const name = r.string();
		const description = r.string();
		const at = r.position;
		const code = r.i8();
		const baseType = baseTypeName(code, options);
		if (baseType === undefined) throw new DecodeError(at, "unknown base type " + code);
		const aspects: Aspect[] = [];
		for (let n = r.u16(); n > 0; n--) aspects.push({ name: r.string(), value: readValue(r, options, depth) });
		fields.push({ name, description, baseType, aspects });
	}
	const rows: TypedValue[][] = [];
	while (marker(r, "row")) {
		const row: TypedValue[] = [];
		for (let n = r.u16(); n > 0; n--) row.push(readValue(r, options, depth));
		rows.push(row);
	}
	return { fields, rows };
}

/** A field or row marker: 1 = one follows, 0 = end of the list. */
function marker(r: ByteReader, what: string): boolean {
	const at = r.position;
	const value = r.u8();
	if (value > 1) throw new DecodeError(at, "bad " + what + " marker " + value);
	return value === 1;
}
