/*
 * The AlwaysOn message model (docs/protocol.md §1-§6): what the decoder returns and the general encoder
 * takes. It is also the JSON form printed by `twx decode` (bytes shown as hex strings there).
 * The push hot path does not use it: see push.ts, which writes rows straight into a buffer.
 */

/** Base type names (docs/protocol.md §5.2). Codes are in basetypes.ts. */
export type BaseTypeName =
	| "NOTHING" | "STRING" | "NUMBER" | "BOOLEAN" | "DATETIME" | "TIMESPAN" | "INFOTABLE" | "LOCATION"
	| "XML" | "JSON" | "QUERY" | "IMAGE" | "HYPERLINK" | "IMAGELINK" | "PASSWORD" | "HTML" | "TEXT" | "TAGS"
	| "SCHEDULE" | "VARIANT" | "GUID" | "BLOB" | "INTEGER" | "LONG"
	| "PROPERTYNAME" | "SERVICENAME" | "EVENTNAME"
	| "THINGNAME" | "THINGSHAPENAME" | "THINGTEMPLATENAME"
	| "DATASHAPENAME" | "MASHUPNAME" | "MENUNAME" | "BASETYPENAME" | "USERNAME" | "GROUPNAME" | "CATEGORYNAME"
	| "STATEDEFINITIONNAME" | "STYLEDEFINITIONNAME" | "MODELTAGVOCABULARYNAME" | "DATATAGVOCABULARYNAME"
	| "NETWORKNAME" | "MEDIAENTITYNAME" | "APPLICATIONKEYNAME" | "LOCALIZATIONTABLENAME" | "ORGANIZATIONNAME"
	| "DASHBOARDNAME";

export interface Location {
	longitude: number;
	latitude: number;
	elevation: number;
}

/**
 * A typed primitive (type byte + value on the wire). String-like types (STRING, XML, JSON, QUERY,
 * HYPERLINK, IMAGELINK, PASSWORD, HTML, TEXT, TAGS, GUID and the *NAME types) carry a string.
 */
export type TypedValue =
	| { type: "NOTHING"; value: null }
	| { type: "NUMBER"; value: number }
	| { type: "INTEGER"; value: number }
	/** int64 on the wire; must be a safe integer here. Provisional code 23 (docs/protocol.md §5.2 [uncertain]). */
	| { type: "LONG"; value: number }
	| { type: "BOOLEAN"; value: boolean }
	/** Milliseconds since the Unix epoch, UTC (int64 on the wire). */
	| { type: "DATETIME"; value: number }
	| { type: "LOCATION"; value: Location }
	| { type: "IMAGE" | "BLOB"; value: Uint8Array }
	| { type: "INFOTABLE"; value: InfoTable }
	| { type: "VARIANT"; value: TypedValue }
	| { type: StringTypeName; value: string };

export type StringTypeName = Exclude<
	BaseTypeName,
	"NOTHING" | "NUMBER" | "INTEGER" | "LONG" | "BOOLEAN" | "DATETIME" | "LOCATION" | "IMAGE" | "BLOB"
	| "INFOTABLE" | "VARIANT" | "TIMESPAN" | "SCHEDULE"
>;

export interface Aspect {
	name: string;
	value: TypedValue;
}

export interface FieldDefinition {
	name: string;
	description: string;
	baseType: BaseTypeName;
	/** In wire order. */
	aspects: Aspect[];
}

/** DataShape + rows. Each cell carries its own type, which may differ from the field's (§6). */
export interface InfoTable {
	fields: FieldDefinition[];
	rows: TypedValue[][];
}

/** Header fields common to every message (§1.1). */
export interface MessageHeader {
	/** Always 1 when we write; kept as read. */
	version: number;
	/** Message code (§2): request method, AUTH, BIND, UNBIND, KEEP_ALIVE or response status. */
	code: number;
	requestId: number;
	endpointId: number;
	sessionId: number;
}

export interface RequestMessage extends MessageHeader {
	kind: "request";
	entityType: number;
	entityName: string;
	/** 1 PROPERTIES, 2 SERVICES, 3 EVENTS. */
	characteristicType: number;
	characteristicName: string;
	headers: Array<[string, string]>;
	/** `null` when the params byte is NOTHING (0xFF). */
	params: InfoTable | null;
}

export interface ResponseMessage extends MessageHeader {
	kind: "response";
	/** `null` when the reason marker is 0. */
	reason: string | null;
	/** `null` when the content type is not INFOTABLE. */
	content: InfoTable | null;
	/** The content-type byte when it is not INFOTABLE (the C SDK sends 0xFF); kept for byte-exact re-encoding. */
	contentType: number;
	/** Bytes after a complete body (the C SDK's error responses carry zeros, §3.2); tolerated, counted. */
	trailing: number;
}

export interface AuthMessage extends MessageHeader {
	kind: "auth";
	claims: Array<[string, string]>;
}

export interface BindMessage extends MessageHeader {
	kind: "bind" | "unbind";
	gateway: { name: string; type: string } | null;
	names: string[];
}

export interface KeepAliveMessage extends MessageHeader {
	kind: "keepalive";
}

/** One chunk of a multipart message (§1.2), before reassembly. */
export interface ChunkMessage extends MessageHeader {
	kind: "chunk";
	chunkId: number;
	chunkCount: number;
	chunkSize: number;
	/** The repeated entity address, present on request-code chunks only. */
	entity: { type: number; name: string } | null;
	/** This chunk's slice of the serialized body (a view into the received bytes). */
	data: Uint8Array;
}

/** What the edge sends as a model (src/client): its responses are written in place, its chunks by encodeChunk. */
export type EdgeMessage = RequestMessage | AuthMessage | BindMessage;

export type Message =
	| RequestMessage
	| ResponseMessage
	| AuthMessage
	| BindMessage
	| KeepAliveMessage;
