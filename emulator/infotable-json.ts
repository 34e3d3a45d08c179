/*
 * The platform's JSON forms (src/gateway/infotable-json.ts) with Node's base64 for IMAGE and BLOB.
 */
import { nodeCodecs } from "../hal/node/index";
import * as json from "../src/gateway/infotable-json";
import type { BaseTypeName, InfoTable, TypedValue } from "../src/protocol/model";

export { ConversionError, inferBaseType, isBaseTypeName, singleValueTable, type FieldJson, type InfoTableJson } from "../src/gateway/infotable-json";

export function valueToJson(value: TypedValue): unknown {
	return json.valueToJson(value, nodeCodecs);
}

export function infoTableToJson(table: InfoTable): json.InfoTableJson {
	return json.infoTableToJson(table, nodeCodecs);
}

export function jsonToValue(value: unknown, baseType: BaseTypeName, where: string): TypedValue {
	return json.jsonToValue(value, baseType, where, nodeCodecs);
}

export function jsonToInfoTable(value: unknown, where: string): InfoTable {
	return json.jsonToInfoTable(value, where, nodeCodecs);
}

export function paramsToInfoTable(params: Record<string, unknown>, declared: ReadonlyArray<{ name: string; baseType: BaseTypeName; description?: string }>): InfoTable | null {
	return json.paramsToInfoTable(params, declared, nodeCodecs);
}
