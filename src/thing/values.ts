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
import { KIND_BOOLEAN, KIND_BYTES, KIND_INFOTABLE, KIND_INTEGER, KIND_LOCATION, KIND_NOTHING, KIND_NUMBER, KIND_SAFE_INTEGER, KIND_TEXT, KIND_VARIANT, kindOfCode, valueKind, type PlainValue } from "../protocol/kinds";

const NUMBER = "number";
const BOOLEAN = "boolean";
const STRING = "string";
const OBJECT = "object";

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
