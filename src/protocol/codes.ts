/*
 * Message codes (docs/protocol.md §2), entity types (§3.1) and characteristics (§3.1).
 */

// Every message code, and the entity type and characteristics a device uses, as plain constants: a
// bundle inlines an imported constant (a frozen table's property is a read) and drops the tables
// below when nothing reads them. Device code imports them from here ("../protocol/codes"); the
// public index keeps to the tables, so the codec bundle does not carry a second name for each.
export const GET = 0x01;
export const PUT = 0x02;
export const POST = 0x03;
export const DEL = 0x04;
export const BIND = 0x0a;
export const UNBIND = 0x0b;
export const AUTH = 0x14;
export const KEEP_ALIVE = 0x1f;
export const SUCCESS = 0x40;
export const BAD_REQUEST = 0x80;
export const UNAUTHORIZED = 0x81;
export const BAD_OPTION = 0x82;
export const FORBIDDEN = 0x83;
export const NOT_FOUND = 0x84;
export const METHOD_NOT_ALLOWED = 0x85;
export const NOT_ACCEPTABLE = 0x86;
export const PRECONDITION_FAILED = 0x8c;
export const ENTITY_TOO_LARGE = 0x8d;
export const UNSUPPORTED_CONTENT_FORMAT = 0x8f;
export const INTERNAL_SERVER_ERROR = 0xa0;
export const NOT_IMPLEMENTED = 0xa1;
export const BAD_GATEWAY = 0xa2;
export const SERVICE_UNAVAILABLE = 0xa3;
export const GATEWAY_TIMEOUT = 0xa4;
export const THING = 0x0a;
export const PROPERTIES = 1;
export const SERVICES = 2;
export const EVENTS = 3;

export const Code = Object.freeze({
	GET,
	PUT,
	POST,
	DEL,
	BIND,
	UNBIND,
	AUTH,
	KEEP_ALIVE,
	SUCCESS,
	BAD_REQUEST,
	UNAUTHORIZED,
	BAD_OPTION,
	FORBIDDEN,
	NOT_FOUND,
	METHOD_NOT_ALLOWED,
	NOT_ACCEPTABLE,
	PRECONDITION_FAILED,
	ENTITY_TOO_LARGE,
	UNSUPPORTED_CONTENT_FORMAT,
	INTERNAL_SERVER_ERROR,
	NOT_IMPLEMENTED,
	BAD_GATEWAY,
	SERVICE_UNAVAILABLE,
	GATEWAY_TIMEOUT,
});

/** The name of a message code, or "UNKNOWN". */
export function codeName(code: number): string {
	for (const name in Code) if (Code[name as keyof typeof Code] === code) return name;
	return "UNKNOWN";
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

export const Characteristic = Object.freeze({ PROPERTIES, SERVICES, EVENTS });
