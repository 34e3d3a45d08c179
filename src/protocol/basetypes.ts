/*
 * Base type codes (docs/protocol.md §5.2), written on the wire as a signed byte (NOTHING = -1 = 0xFF),
 * and the codec options that change how types map to codes.
 */
import type { BaseTypeName } from "./model";

export const BaseType: Readonly<Record<BaseTypeName, number>> = Object.freeze({
	NOTHING: -1,
	STRING: 0,
	NUMBER: 1,
	BOOLEAN: 2,
	DATETIME: 3,
	TIMESPAN: 4,
	INFOTABLE: 5,
	LOCATION: 6,
	XML: 7,
	JSON: 8,
	QUERY: 9,
	IMAGE: 10,
	HYPERLINK: 11,
	IMAGELINK: 12,
	PASSWORD: 13,
	HTML: 14,
	TEXT: 15,
	TAGS: 16,
	SCHEDULE: 17,
	VARIANT: 18,
	GUID: 20,
	BLOB: 21,
	INTEGER: 22,
	LONG: 23,
	PROPERTYNAME: 50,
	SERVICENAME: 51,
	EVENTNAME: 52,
	THINGNAME: 100,
	THINGSHAPENAME: 101,
	THINGTEMPLATENAME: 102,
	DATASHAPENAME: 104,
	MASHUPNAME: 105,
	MENUNAME: 106,
	BASETYPENAME: 107,
	USERNAME: 108,
	GROUPNAME: 109,
	CATEGORYNAME: 110,
	STATEDEFINITIONNAME: 111,
	STYLEDEFINITIONNAME: 112,
	MODELTAGVOCABULARYNAME: 113,
	DATATAGVOCABULARYNAME: 114,
	NETWORKNAME: 115,
	MEDIAENTITYNAME: 116,
	APPLICATIONKEYNAME: 117,
	LOCALIZATIONTABLENAME: 118,
	ORGANIZATIONNAME: 119,
	DASHBOARDNAME: 120,
});

/**
 * Options shared by the encoder and decoder.
 * - `longTypeCode`: LONG is absent from C SDK 2.2.1 and its code is unconfirmed (§5.2 [uncertain]);
 *   23 by default, another number to follow a platform that differs, `null` to reject LONG both ways.
 * - `maxDepth`: nesting limit for INFOTABLE and VARIANT values (a request's params table is depth 1);
 *   deeper input is a DecodeError/EncodeError instead of unbounded recursion. Default 8.
 */
export interface CodecOptions {
	longTypeCode?: number | null;
	maxDepth?: number;
}

export const DEFAULT_OPTIONS: Readonly<CodecOptions> = Object.freeze({ longTypeCode: 23, maxDepth: 8 });

export function longCode(options: CodecOptions): number | null {
	return options.longTypeCode === undefined ? 23 : options.longTypeCode;
}

/** The name of a type code, or undefined when the code is not a base type (under `options`). */
export function baseTypeName(code: number, options: CodecOptions = DEFAULT_OPTIONS): BaseTypeName | undefined {
	if (code === longCode(options)) return "LONG";
	for (const name in BaseType) {
		if (BaseType[name as BaseTypeName] === code && name !== "LONG") return name as BaseTypeName;
	}
	return undefined;
}

/** The code of a type name, or undefined when unknown (LONG follows `options.longTypeCode`). */
export function baseTypeCode(name: string, options: CodecOptions = DEFAULT_OPTIONS): number | undefined {
	const code = tableCode(name);
	return code === 23 ? longCode(options) ?? undefined : code; // 23: BaseType.LONG
}

/** BaseType[name] for own keys only. No string literal is evaluated: under XS each one allocates. */
export function tableCode(name: string): number | undefined {
	return Object.prototype.hasOwnProperty.call(BaseType, name) ? BaseType[name as BaseTypeName] : undefined;
}
