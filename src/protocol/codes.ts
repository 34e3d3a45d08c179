/*
 * Message codes (PROTOCOL.md §2), entity types (§3.1) and characteristics (§3.1).
 */

// The codes the codec itself uses, as plain constants so a bundle inlines them and drops the tables
// below when the application does not use them.
export const GET = 0x01;
export const POST = 0x03;
export const DEL = 0x04;
export const BIND = 0x0a;
export const UNBIND = 0x0b;
export const AUTH = 0x14;
export const KEEP_ALIVE = 0x1f;
export const SUCCESS = 0x40;
export const THING = 0x0a;
export const SERVICES = 2;

export const Code = Object.freeze({
	GET,
	PUT: 0x02,
	POST,
	DEL,
	BIND,
	UNBIND,
	AUTH,
	KEEP_ALIVE,
	SUCCESS,
	BAD_REQUEST: 0x80,
	UNAUTHORIZED: 0x81,
	BAD_OPTION: 0x82,
	FORBIDDEN: 0x83,
	NOT_FOUND: 0x84,
	METHOD_NOT_ALLOWED: 0x85,
	NOT_ACCEPTABLE: 0x86,
	PRECONDITION_FAILED: 0x8c,
	ENTITY_TOO_LARGE: 0x8d,
	UNSUPPORTED_CONTENT_FORMAT: 0x8f,
	INTERNAL_SERVER_ERROR: 0xa0,
	NOT_IMPLEMENTED: 0xa1,
	BAD_GATEWAY: 0xa2,
	SERVICE_UNAVAILABLE: 0xa3,
	GATEWAY_TIMEOUT: 0xa4,
});

/** The name of a message code, or "UNKNOWN". */
export function codeName(code: number): string {
	return keyOf(Code, code) ?? "UNKNOWN";
}

/** Request codes GET, PUT, POST, DEL: the ones that carry an entity address (§3.1, §1.2). */
export function isRequestCode(code: number): boolean {
	return code >= GET && code <= DEL;
}

/** Responses are every code from 0x40 up (the C SDK's dispatch, §2). */
export function isResponseCode(code: number): boolean {
	return code >= SUCCESS;
}

export const EntityType = Object.freeze({
	UNDEFINED: 0x00,
	THING,
	THINGSHAPES: 0x0b,
	THINGTEMPLATES: 0x0c,
	THINGPACKAGES: 0x0d,
	NETWORKS: 0x0e,
	DATASHAPES: 0x0f,
	MODELTAGS: 0x14,
	DATATAGS: 0x15,
	MASHUPS: 0x1e,
	WIDGETS: 0x1f,
	STYLEDEFINITIONS: 0x20,
	STATEDEFINITIONS: 0x21,
	MENUS: 0x22,
	MEDIAENTITIES: 0x23,
	LOCALIZATIONTABLES: 0x24,
	DASHBOARDS: 0x27,
	LOGS: 0x28,
	USERS: 0x32,
	GROUPS: 0x33,
	ORGANIZATIONS: 0x34,
	APPLICATIONKEYS: 0x35,
	DIRECTORYSERVICES: 0x36,
	RESOURCE: 0x3c,
	SCRIPTFUNCTIONLIBRARIES: 0x3d,
	EXTENSIONPACKAGES: 0x46,
	SUBSYSTEM: 0x50,
});

export const Characteristic = Object.freeze({
	PROPERTIES: 1,
	SERVICES,
	EVENTS: 3,
});

/** The key of `table` whose value is `value` (reverse lookup without a second table). */
export function keyOf(table: Readonly<Record<string, number>>, value: number): string | undefined {
	for (const key in table) if (table[key] === value) return key;
	return undefined;
}
