/*
 * Plain JavaScript values against AlwaysOn base types: checks, conversions, and the C SDK's notions
 * of "changed" and "true" (twPrimitive_Compare / twPrimitive_IsTrue) used by the push types (§7.4).
 *
 * The push path works on a small-integer kind fixed when a property is defined, never on type names:
 * XS copies a string literal into a fresh chunk each time code that is not preloaded evaluates it,
 * so comparing names (or `typeof x === "number"`) would allocate on every set. The typeof names are
 * module constants for the same reason.
 */
import type { BaseTypeName, InfoTable, Location, TypedValue } from "../protocol/model";
import type { PlainValue } from "./spec";

/** How a type's values are checked and compared (plain constants: a bundle inlines them). */
export const KIND_NONE = 0; // TIMESPAN, SCHEDULE: no value can be written
export const KIND_NUMBER = 1;
export const KIND_INTEGER = 2;
export const KIND_SAFE_INTEGER = 3; // LONG, DATETIME
export const KIND_BOOLEAN = 4;
export const KIND_TEXT = 5;
export const KIND_LOCATION = 6;
export const KIND_BYTES = 7;
export const KIND_INFOTABLE = 8;
export const KIND_VARIANT = 9;
export const KIND_NOTHING = 10;

const NUMBER = "number";
const BOOLEAN = "boolean";
const STRING = "string";
const OBJECT = "object";

export function valueKind(type: BaseTypeName): number {
	switch (type) {
		case "NUMBER": return KIND_NUMBER;
		case "INTEGER": return KIND_INTEGER;
		case "LONG": case "DATETIME": return KIND_SAFE_INTEGER;
		case "BOOLEAN": return KIND_BOOLEAN;
		case "LOCATION": return KIND_LOCATION;
		case "IMAGE": case "BLOB": return KIND_BYTES;
		case "INFOTABLE": return KIND_INFOTABLE;
		case "VARIANT": return KIND_VARIANT;
		case "NOTHING": return KIND_NOTHING;
		case "TIMESPAN": case "SCHEDULE": return KIND_NONE;
	}
	return KIND_TEXT;
}

/**
 * The kind (KIND_*) of a type code as it arrives on the wire (docs/protocol.md §5.2, LONG at its default 23),
 * or -1 for a code that is no base type. Numbers only: under XS a type name costs an allocation.
 */
export function kindOfCode(code: number): number {
	switch (code) {
		case 0xff: return KIND_NOTHING;
		case 1: return KIND_NUMBER;
		case 22: return KIND_INTEGER;
		case 3: case 23: return KIND_SAFE_INTEGER;
		case 2: return KIND_BOOLEAN;
		case 6: return KIND_LOCATION;
		case 10: case 21: return KIND_BYTES;
		case 5: return KIND_INFOTABLE;
		case 18: return KIND_VARIANT;
		case 4: case 17: return KIND_NONE;
	}
	// STRING, XML, JSON, QUERY, the links, PASSWORD, HTML, TEXT, TAGS, GUID and the entity names
	return code <= 16 || code === 20 || (code >= 50 && code <= 52) || (code >= 100 && code <= 120 && code !== 103) ? KIND_TEXT : -1;
}

/** NUMBER, INTEGER and LONG mix (a DATETIME is no number here). */
function isNumericCode(code: number): boolean {
	return code === 1 || code === 22 || code === 23;
}

/** Whether a value that arrived typed `actual` may stand for a declared `declared` (numbers and texts mix); type codes. */
export function acceptsCode(declared: number, actual: number): boolean {
	if (declared === actual || declared === VARIANT_CODE) return true;
	if (isNumericCode(declared)) return isNumericCode(actual);
	return kindOfCode(declared) === KIND_TEXT && kindOfCode(actual) === KIND_TEXT;
}

export const VARIANT_CODE = 18;
export const INTEGER_CODE = 22;
export const NOTHING_CODE = 0xff;

/** Whether `value` is a value of `kind` (allocation-free). */
export function fits(kind: number, value: unknown): boolean {
	switch (kind) {
		case KIND_NUMBER: return typeof value === NUMBER;
		case KIND_INTEGER: return typeof value === NUMBER && ((value as number) | 0) === value;
		case KIND_SAFE_INTEGER: return Number.isSafeInteger(value);
		case KIND_BOOLEAN: return typeof value === BOOLEAN;
		case KIND_TEXT: return typeof value === STRING;
		case KIND_LOCATION: {
			const l = value as Location;
			return typeof l === OBJECT && l !== null && typeof l.longitude === NUMBER && typeof l.latitude === NUMBER && typeof l.elevation === NUMBER;
		}
		case KIND_BYTES: return value instanceof Uint8Array;
		case KIND_INFOTABLE: {
			const t = value as InfoTable;
			return typeof t === OBJECT && t !== null && Array.isArray(t.fields) && Array.isArray(t.rows);
		}
		case KIND_VARIANT: return typeof value === OBJECT && value !== null && typeof (value as TypedValue).type === STRING;
		case KIND_NOTHING: return value === null;
	}
	return false;
}

/** Why `value` cannot be a `type`, or null when it can. */
export function plainTypeError(type: BaseTypeName, value: unknown): string | null {
	if (fits(valueKind(type), value)) return null;
	return "expected " + type + ", got " + (value === null ? "null" : value instanceof Uint8Array ? "bytes" : typeof value);
}

/** A new TypedValue of `type` holding `value` (checked; TypeError when it does not fit). */
export function typed(type: BaseTypeName, value: PlainValue | undefined, what: string): TypedValue {
	const problem = plainTypeError(type, value === undefined ? null : value);
	if (problem !== null) throw new TypeError(what + ": " + problem);
	if (type === "LOCATION") {
		const l = value as Location;
		return { type, value: { longitude: l.longitude, latitude: l.latitude, elevation: l.elevation } };
	}
	return { type, value } as TypedValue;
}

/** twPrimitive_IsTrue: booleans as they are, numbers non-zero, texts and bytes non-empty, locations off the origin. */
export function truthy(kind: number, value: unknown): boolean {
	switch (kind) {
		case KIND_BOOLEAN: return value as boolean;
		case KIND_NUMBER: case KIND_INTEGER: case KIND_SAFE_INTEGER: return value !== 0;
		case KIND_TEXT: return (value as string).length > 0;
		case KIND_BYTES: return (value as Uint8Array).length > 0;
		case KIND_LOCATION: {
			const l = value as Location;
			return l.longitude !== 0 || l.latitude !== 0 || l.elevation !== 0;
		}
		case KIND_INFOTABLE: return (value as InfoTable).rows.length > 0;
		case KIND_VARIANT: {
			const v = value as TypedValue;
			return truthy(valueKind(v.type), v.value);
		}
	}
	return false;
}
