/*
 * The platform's JSON forms: InfoTables as `{dataShape: {fieldDefinitions}, rows}` (what ThingWorx's
 * REST API answers with Accept: application/json) and plain JSON values turned into typed primitives
 * for the wire, using the declared base type where one is known. Shared by the gateway (on the HAL's
 * base64) and the emulator (emulator/infotable-json.ts binds Node's).
 */
import type { Hal } from "../../hal/hal";
import { baseTypeCode } from "../protocol";
import type { BaseTypeName, FieldDefinition, InfoTable, TypedValue } from "../protocol/model";

/** IMAGE and BLOB values travel as base64 text. */
export type Base64 = Pick<Hal, "base64Encode" | "base64Decode">;

export interface FieldJson {
	name: string;
	description: string;
	baseType: string;
	ordinal: number;
	aspects: Record<string, unknown>;
}

export interface InfoTableJson {
	dataShape: { fieldDefinitions: Record<string, FieldJson> };
	rows: Array<Record<string, unknown>>;
}

export class ConversionError extends Error {
	override get name(): string {
		return "ConversionError";
	}
}

export function isBaseTypeName(name: string): name is BaseTypeName {
	return baseTypeCode(name) !== undefined;
}

// ---- wire -> JSON

/** A cell as the platform's JSON shows it; `undefined` for NOTHING (the key is left out). */
export function valueToJson(value: TypedValue, codec: Base64): unknown {
	switch (value.type) {
		case "NOTHING":
			return undefined;
		case "LOCATION":
			return { latitude: value.value.latitude, longitude: value.value.longitude, elevation: value.value.elevation, units: "WGS84" };
		case "IMAGE":
		case "BLOB":
			return codec.base64Encode(value.value);
		case "INFOTABLE":
			return infoTableToJson(value.value, codec);
		case "VARIANT":
			return valueToJson(value.value, codec);
		case "JSON":
			try {
				return JSON.parse(value.value);
			} catch {
				return value.value;
			}
		default:
			return value.value;
	}
}

function fieldsToJson(fields: FieldDefinition[], codec: Base64): Record<string, FieldJson> {
	const out: Record<string, FieldJson> = {};
	fields.forEach((field, ordinal) => {
		const aspects: Record<string, unknown> = {};
		for (const aspect of field.aspects) aspects[aspect.name] = valueToJson(aspect.value, codec);
		out[field.name] = { name: field.name, description: field.description, baseType: field.baseType, ordinal, aspects };
	});
	return out;
}

export function infoTableToJson(table: InfoTable, codec: Base64): InfoTableJson {
	const rows = table.rows.map((cells) => {
		const row: Record<string, unknown> = {};
		cells.forEach((cell, i) => {
			const field = table.fields[i];
			const json = valueToJson(cell, codec);
			if (field && json !== undefined) row[field.name] = json;
		});
		return row;
	});
	return { dataShape: { fieldDefinitions: fieldsToJson(table.fields, codec) }, rows };
}

// ---- JSON -> wire

export function inferBaseType(value: unknown): BaseTypeName {
	if (value === null || value === undefined) return "NOTHING";
	if (typeof value === "number") return "NUMBER";
	if (typeof value === "boolean") return "BOOLEAN";
	if (typeof value === "string") return "STRING";
	if (typeof value === "object" && !Array.isArray(value)) {
		const object = value as Record<string, unknown>;
		if (typeof object.latitude === "number" && typeof object.longitude === "number") return "LOCATION";
		if (object.dataShape && typeof object.dataShape === "object") return "INFOTABLE";
	}
	return "JSON";
}

function finite(value: unknown, where: string): number {
	const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
	if (typeof number !== "number" || !Number.isFinite(number)) throw new ConversionError(`${where}: expected a number, got ${JSON.stringify(value)}`);
	return number;
}

function base64(value: unknown, where: string, codec: Base64): Uint8Array {
	if (typeof value !== "string") throw new ConversionError(`${where}: expected base64 text`);
	try {
		return codec.base64Decode(value);
	} catch {
		throw new ConversionError(`${where}: expected base64 text`);
	}
}

/** A JSON value as a typed primitive of `baseType` (null -> NOTHING). */
export function jsonToValue(value: unknown, baseType: BaseTypeName, where: string, codec: Base64): TypedValue {
	if (value === null || value === undefined || baseType === "NOTHING") return { type: "NOTHING", value: null };
	switch (baseType) {
		case "NUMBER":
			return { type: "NUMBER", value: finite(value, where) };
		case "INTEGER":
		case "LONG": {
			const number = finite(value, where);
			const fits = baseType === "INTEGER" ? Number.isInteger(number) && number >= -(2 ** 31) && number < 2 ** 31 : Number.isSafeInteger(number);
			if (!fits) throw new ConversionError(`${where}: expected an ${baseType}, got ${JSON.stringify(value)}`);
			return { type: baseType, value: number };
		}
		case "BOOLEAN":
			if (typeof value === "boolean") return { type: "BOOLEAN", value };
			if (value === "true" || value === "false") return { type: "BOOLEAN", value: value === "true" };
			throw new ConversionError(`${where}: expected a boolean, got ${JSON.stringify(value)}`);
		case "DATETIME": {
			const time = typeof value === "string" && !/^-?\d+(\.\d+)?$/.test(value) ? Date.parse(value) : finite(value, where);
			if (!Number.isFinite(time)) throw new ConversionError(`${where}: expected a date, got ${JSON.stringify(value)}`);
			return { type: "DATETIME", value: Math.trunc(time) };
		}
		case "LOCATION": {
			if (typeof value === "string") {
				const parts = value.split(",").map((part) => finite(part, where));
				if (parts.length < 2 || parts.length > 3) throw new ConversionError(`${where}: expected "latitude,longitude[,elevation]"`);
				return { type: "LOCATION", value: { latitude: parts[0], longitude: parts[1], elevation: parts[2] ?? 0 } };
			}
			const object = value as Record<string, unknown>;
			if (typeof value !== "object") throw new ConversionError(`${where}: expected a location object`);
			return {
				type: "LOCATION",
				value: { latitude: finite(object.latitude, `${where}.latitude`), longitude: finite(object.longitude, `${where}.longitude`), elevation: object.elevation === undefined ? 0 : finite(object.elevation, `${where}.elevation`) },
			};
		}
		case "IMAGE":
		case "BLOB":
			return { type: baseType, value: base64(value, where, codec) };
		case "INFOTABLE":
			return { type: "INFOTABLE", value: jsonToInfoTable(value, where, codec) };
		case "VARIANT": {
			const inner = inferBaseType(value);
			return { type: "VARIANT", value: jsonToValue(value, inner, where, codec) };
		}
		case "JSON":
			return { type: "JSON", value: typeof value === "string" ? value : JSON.stringify(value) };
		case "TIMESPAN":
		case "SCHEDULE":
			throw new ConversionError(`${where}: ${baseType} is not supported on the wire (docs/protocol.md §5.2)`);
		default:
			if (typeof value === "object") throw new ConversionError(`${where}: expected text for ${baseType}, got an object`);
			return { type: baseType, value: String(value) } as TypedValue;
	}
}

function field(name: string, baseType: BaseTypeName, description = ""): FieldDefinition {
	return { name, description, baseType, aspects: [] };
}

/** `{dataShape: {fieldDefinitions}, rows}` (fieldDefinitions may be omitted: types are inferred from row 0). */
export function jsonToInfoTable(value: unknown, where: string, codec: Base64): InfoTable {
	if (!value || typeof value !== "object" || Array.isArray(value)) throw new ConversionError(`${where}: expected an InfoTable object`);
	const object = value as Record<string, unknown>;
	const rows = object.rows ?? [];
	if (!Array.isArray(rows)) throw new ConversionError(`${where}.rows: expected an array`);
	const shape = object.dataShape as { fieldDefinitions?: Record<string, { name?: unknown; baseType?: unknown; ordinal?: unknown; description?: unknown }> } | undefined;
	let fields: FieldDefinition[];
	if (shape && typeof shape === "object" && shape.fieldDefinitions && typeof shape.fieldDefinitions === "object") {
		const entries = Object.entries(shape.fieldDefinitions).map(([key, def], index) => {
			const baseType = typeof def?.baseType === "string" ? def.baseType : "";
			if (!isBaseTypeName(baseType)) throw new ConversionError(`${where}.dataShape.${key}: unknown baseType ${JSON.stringify(def?.baseType)}`);
			const ordinal = typeof def.ordinal === "number" ? def.ordinal : index;
			return { ordinal, index, field: field(typeof def.name === "string" ? def.name : key, baseType, typeof def.description === "string" ? def.description : "") };
		});
		entries.sort((a, b) => a.ordinal - b.ordinal || a.index - b.index);
		fields = entries.map((entry) => entry.field);
	} else {
		const first = (rows[0] ?? {}) as Record<string, unknown>;
		fields = Object.keys(first).map((key) => field(key, inferBaseType(first[key])));
	}
	return {
		fields,
		rows: rows.map((row, r) => {
			if (!row || typeof row !== "object") throw new ConversionError(`${where}.rows[${r}]: expected an object`);
			return fields.map((f) => jsonToValue((row as Record<string, unknown>)[f.name], f.baseType, `${where}.rows[${r}].${f.name}`, codec));
		}),
	};
}

/**
 * Service parameters from a JSON object: declared inputs first, in declaration order and with their
 * types; keys the declaration lacks get an inferred type. `null` when there is nothing to send.
 */
export function paramsToInfoTable(params: Record<string, unknown>, declared: ReadonlyArray<{ name: string; baseType: BaseTypeName; description?: string }>, codec: Base64): InfoTable | null {
	const fields: FieldDefinition[] = [];
	const cells: TypedValue[] = [];
	for (const input of declared) {
		if (!(input.name in params)) continue;
		fields.push(field(input.name, input.baseType, input.description ?? ""));
		cells.push(jsonToValue(params[input.name], input.baseType, input.name, codec));
	}
	for (const key of Object.keys(params)) {
		if (declared.some((input) => input.name === key)) continue;
		const baseType = inferBaseType(params[key]);
		fields.push(field(key, baseType));
		cells.push(jsonToValue(params[key], baseType, key, codec));
	}
	return fields.length ? { fields, rows: [cells] } : null;
}

/** A one-row, one-field InfoTable: property reads and writes, scalar service results. */
export function singleValueTable(name: string, baseType: BaseTypeName, value: TypedValue): InfoTable {
	return { fields: [field(name, baseType)], rows: [[value]] };
}
