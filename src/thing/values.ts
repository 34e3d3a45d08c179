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

/** How a type's values are checked and compared. */
export const ValueKind = Object.freeze({
	NONE: 0, // TIMESPAN, SCHEDULE: no value can be written
	NUMBER: 1,
	INTEGER: 2,
	SAFE_INTEGER: 3, // LONG, DATETIME
	BOOLEAN: 4,
	TEXT: 5,
	LOCATION: 6,
	BYTES: 7,
	INFOTABLE: 8,
	VARIANT: 9,
	NOTHING: 10,
});

const NUMBER = "number";
const BOOLEAN = "boolean";
const STRING = "string";
const OBJECT = "object";

export function valueKind(type: BaseTypeName): number {
	switch (type) {
		case "NUMBER": return ValueKind.NUMBER;
		case "INTEGER": return ValueKind.INTEGER;
		case "LONG": case "DATETIME": return ValueKind.SAFE_INTEGER;
		case "BOOLEAN": return ValueKind.BOOLEAN;
		case "LOCATION": return ValueKind.LOCATION;
		case "IMAGE": case "BLOB": return ValueKind.BYTES;
		case "INFOTABLE": return ValueKind.INFOTABLE;
		case "VARIANT": return ValueKind.VARIANT;
		case "NOTHING": return ValueKind.NOTHING;
		case "TIMESPAN": case "SCHEDULE": return ValueKind.NONE;
	}
	return ValueKind.TEXT;
}

/**
 * The ValueKind of a type code as it arrives on the wire (PROTOCOL.md §5.2, LONG at its default 23),
 * or -1 for a code that is no base type. Numbers only: under XS a type name costs an allocation.
 */
export function kindOfCode(code: number): number {
	switch (code) {
		case 0xff: return ValueKind.NOTHING;
		case 1: return ValueKind.NUMBER;
		case 22: return ValueKind.INTEGER;
		case 3: case 23: return ValueKind.SAFE_INTEGER;
		case 2: return ValueKind.BOOLEAN;
		case 6: return ValueKind.LOCATION;
		case 10: case 21: return ValueKind.BYTES;
		case 5: return ValueKind.INFOTABLE;
		case 18: return ValueKind.VARIANT;
		case 4: case 17: return ValueKind.NONE;
	}
	// STRING, XML, JSON, QUERY, the links, PASSWORD, HTML, TEXT, TAGS, GUID and the entity names
	return code <= 16 || code === 20 || (code >= 50 && code <= 52) || (code >= 100 && code <= 120 && code !== 103) ? ValueKind.TEXT : -1;
}

/** NUMBER, INTEGER and LONG mix (a DATETIME is no number here). */
function isNumericCode(code: number): boolean {
	return code === 1 || code === 22 || code === 23;
}

/** Whether a value that arrived typed `actual` may stand for a declared `declared` (numbers and texts mix); type codes. */
export function acceptsCode(declared: number, actual: number): boolean {
	if (declared === actual || declared === VARIANT_CODE) return true;
	if (isNumericCode(declared)) return isNumericCode(actual);
	return kindOfCode(declared) === ValueKind.TEXT && kindOfCode(actual) === ValueKind.TEXT;
}

export const VARIANT_CODE = 18;
export const INTEGER_CODE = 22;
export const NOTHING_CODE = 0xff;

/** Whether `value` is a value of `kind` (allocation-free). */
export function fits(kind: number, value: unknown): boolean {
	switch (kind) {
		case ValueKind.NUMBER: return typeof value === NUMBER;
		case ValueKind.INTEGER: return typeof value === NUMBER && ((value as number) | 0) === value;
		case ValueKind.SAFE_INTEGER: return Number.isSafeInteger(value);
		case ValueKind.BOOLEAN: return typeof value === BOOLEAN;
		case ValueKind.TEXT: return typeof value === STRING;
		case ValueKind.LOCATION: {
			const l = value as Location;
			return typeof l === OBJECT && l !== null && typeof l.longitude === NUMBER && typeof l.latitude === NUMBER && typeof l.elevation === NUMBER;
		}
		case ValueKind.BYTES: return value instanceof Uint8Array;
		case ValueKind.INFOTABLE: {
			const t = value as InfoTable;
			return typeof t === OBJECT && t !== null && Array.isArray(t.fields) && Array.isArray(t.rows);
		}
		case ValueKind.VARIANT: return typeof value === OBJECT && value !== null && typeof (value as TypedValue).type === STRING;
		case ValueKind.NOTHING: return value === null;
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
		case ValueKind.BOOLEAN: return value as boolean;
		case ValueKind.NUMBER: case ValueKind.INTEGER: case ValueKind.SAFE_INTEGER: return value !== 0;
		case ValueKind.TEXT: return (value as string).length > 0;
		case ValueKind.BYTES: return (value as Uint8Array).length > 0;
		case ValueKind.LOCATION: {
			const l = value as Location;
			return l.longitude !== 0 || l.latitude !== 0 || l.elevation !== 0;
		}
		case ValueKind.INFOTABLE: return (value as InfoTable).rows.length > 0;
		case ValueKind.VARIANT: {
			const v = value as TypedValue;
			return truthy(valueKind(v.type), v.value);
		}
	}
	return false;
}
