// fast-check generators for typed values, InfoTables and messages (bounded depth and size).
import fc from "fast-check";
import type { FieldDefinition, InfoTable, Message, TypedValue } from "../../src/protocol/index";

// docs/protocol.md §5.2, typed in here independently of the codec's table.
export const STRING_TYPES = [
	"STRING", "XML", "JSON", "QUERY", "HYPERLINK", "IMAGELINK", "PASSWORD", "HTML", "TEXT", "TAGS", "GUID",
	"PROPERTYNAME", "SERVICENAME", "EVENTNAME", "THINGNAME", "THINGSHAPENAME", "THINGTEMPLATENAME", "DATASHAPENAME",
	"MASHUPNAME", "MENUNAME", "BASETYPENAME", "USERNAME", "GROUPNAME", "CATEGORYNAME", "STATEDEFINITIONNAME",
	"STYLEDEFINITIONNAME", "MODELTAGVOCABULARYNAME", "DATATAGVOCABULARYNAME", "NETWORKNAME", "MEDIAENTITYNAME",
	"APPLICATIONKEYNAME", "LOCALIZATIONTABLENAME", "ORGANIZATIONNAME", "DASHBOARDNAME",
] as const;
export const ALL_TYPES = [
	...STRING_TYPES, "NOTHING", "NUMBER", "BOOLEAN", "DATETIME", "TIMESPAN", "INFOTABLE", "LOCATION", "IMAGE",
	"SCHEDULE", "VARIANT", "BLOB", "INTEGER", "LONG",
] as const;

/** fc.record with plain prototypes, so deepStrictEqual compares like with like. */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
	return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
}

export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Any well-formed text, with extra weight on non-BMP characters and on byte lengths around 127/128. */
export const text = fc.oneof(
	fc.string({ unit: "binary", maxLength: 24 }).filter((s) => !LONE_SURROGATE.test(s)),
	fc.string({ unit: fc.constantFrom("a", "é", "€", "😀", "\u0000", "\uffff"), maxLength: 12 }),
	fc.tuple(fc.integer({ min: 118, max: 131 }), fc.constantFrom("", "é", "€", "😀")).map(([n, c]) => "x".repeat(n) + c + c),
);

const safeInteger = fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -1, max: 2 ** 32 + 1 }), fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 32, -(2 ** 32)));

export const leaf: fc.Arbitrary<TypedValue> = fc.oneof(
	record({ type: fc.constantFrom(...STRING_TYPES), value: text }),
	fc.constant({ type: "NOTHING", value: null }),
	record({ type: fc.constant("NUMBER"), value: fc.double() }),
	record({ type: fc.constant("INTEGER"), value: fc.integer() }),
	record({ type: fc.constantFrom("DATETIME", "LONG"), value: safeInteger }),
	record({ type: fc.constant("BOOLEAN"), value: fc.boolean() }),
	record({ type: fc.constant("LOCATION"), value: record({ longitude: fc.double(), latitude: fc.double(), elevation: fc.double() }) }),
	record({ type: fc.constantFrom("IMAGE", "BLOB"), value: fc.uint8Array({ maxLength: 40 }) }),
) as fc.Arbitrary<TypedValue>;

const field: fc.Arbitrary<FieldDefinition> = record({
	name: text,
	description: text,
	baseType: fc.constantFrom(...ALL_TYPES),
	aspects: fc.array(record({ name: text, value: leaf }), { maxLength: 2 }),
});

/** Values and tables nested at most 4 deep (the codec's default limit is 8). */
export const { value, table } = fc.letrec<{ value: TypedValue; table: InfoTable }>((tie) => ({
	value: fc.oneof(
		{ maxDepth: 4, depthSize: "small" },
		leaf,
		tie("table").map((t): TypedValue => ({ type: "INFOTABLE", value: t })),
		tie("value").map((v): TypedValue => ({ type: "VARIANT", value: v })),
	),
	table: record({
		fields: fc.array(field, { maxLength: 3 }),
		rows: fc.array(fc.array(tie("value"), { maxLength: 3 }), { maxLength: 3 }),
	}),
}));

const u32 = fc.nat({ max: 0xffffffff });
const head = record({ version: fc.constant(1), requestId: u32, endpointId: u32, sessionId: u32 });
const pair = fc.tuple(text, text);

export const message: fc.Arbitrary<Message> = fc.oneof(
	record({
		kind: fc.constant("request"), code: fc.integer({ min: 1, max: 4 }), entityType: fc.nat({ max: 255 }), entityName: text,
		characteristicType: fc.integer({ min: 1, max: 3 }), characteristicName: text, headers: fc.array(pair, { maxLength: 2 }),
		params: fc.option(table),
	}),
	record({ kind: fc.constant("response"), code: fc.integer({ min: 0x40, max: 0xff }), reason: fc.option(text) }).chain((r) =>
		fc.oneof(
			record({ content: table }).map((c) => ({ ...r, ...c, contentType: 5 })),
			fc.integer({ min: -128, max: 127 }).filter((t) => t !== 5).map((t) => ({ ...r, content: null, contentType: t })),
		).chain((r2) => record({ trailing: fc.nat({ max: 30 }) }).map((t) => ({ ...r2, ...t })))),
	record({ kind: fc.constant("auth"), code: fc.constant(0x14), claims: fc.array(pair, { maxLength: 3 }) }),
	record({
		kind: fc.constantFrom("bind", "unbind"), gateway: fc.option(record({ name: text, type: text })),
		names: fc.array(text, { maxLength: 4 }),
	}).map((b) => ({ ...b, code: b.kind === "bind" ? 0x0a : 0x0b })),
	record({ kind: fc.constant("keepalive"), code: fc.constant(0x1f) }),
).chain((body) => head.map((h) => ({ ...h, ...body }) as Message));
