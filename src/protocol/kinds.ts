/*
 * Value kinds: the small integer the push path and the params reader work on instead of base type
 * names (XS copies a string literal into a fresh chunk each time code that is not preloaded evaluates
 * it, so comparing names would allocate), and the C SDK's notion of "true" (twPrimitive_IsTrue) that
 * the ON and OFF push types use (docs/protocol.md §7.4).
 */
import type { BaseTypeName, InfoTable, Location, TypedValue } from "./model";

/**
 * A value in its JavaScript form: number (NUMBER, INTEGER, LONG, DATETIME in ms), boolean, string
 * (STRING and the other text types), Location, Uint8Array (BLOB, IMAGE), InfoTable, TypedValue
 * (VARIANT) or null (NOTHING).
 */
export type PlainValue = number | boolean | string | Location | Uint8Array | InfoTable | TypedValue | null;

/** The type code of NOTHING (no value, no params). */
export const NOTHING_CODE = 0xff;

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
