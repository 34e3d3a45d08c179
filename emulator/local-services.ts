/*
 * Services the platform itself implements on every remote thing (history queries, bindings, remote
 * metadata) and the SteamSensor export's platform-local services (docs/protocol.md §11). Callable through
 * REST, from the dashboard and by the edge itself; parameters arrive as typed values by name.
 */
import type { BaseTypeName, FieldDefinition, InfoTable, TypedValue } from "../src/protocol/model";
import type { Binding, EventRecord, ThingRecord, Vtq } from "./store";

export interface LocalInput {
	name: string;
	baseType: BaseTypeName;
	description: string;
}

/** What a local service may ask of the platform. */
export interface LocalContext {
	writeProperty(thing: ThingRecord, name: string, value: TypedValue): Promise<void>;
	setBinding(thing: ThingRecord, name: string, patch: Partial<Binding>): void;
	removeBinding(thing: ThingRecord, name: string): boolean;
	clearHistory(thing: ThingRecord): void;
	remoteMetadata(thing: ThingRecord): Promise<InfoTable | null>;
	allProperties(thing: ThingRecord): InfoTable;
}

export interface LocalService {
	name: string;
	description: string;
	inputs: LocalInput[];
	output: BaseTypeName;
	/** Only offered where this holds (the SteamSensor services need their property). */
	appliesTo?: (thing: ThingRecord) => boolean;
	run(context: LocalContext, thing: ThingRecord, params: Map<string, TypedValue>): InfoTable | null | Promise<InfoTable | null>;
}

export class ServiceError extends Error {
	readonly status: "bad-request" | "not-found";
	constructor(status: "bad-request" | "not-found", message: string) {
		super(message);
		this.status = status;
	}
	override get name(): string {
		return "ServiceError";
	}
}

function input(name: string, baseType: BaseTypeName, description = ""): LocalInput {
	return { name, baseType, description };
}

function field(name: string, baseType: BaseTypeName): FieldDefinition {
	return { name, description: "", baseType, aspects: [] };
}

const RANGE_INPUTS: readonly LocalInput[] = Object.freeze([
	input("maxItems", "NUMBER", "Maximum number of items to return (default 500)"),
	input("startDate", "DATETIME", "Oldest time to include"),
	input("endDate", "DATETIME", "Newest time to include"),
	input("oldestFirst", "BOOLEAN", "Oldest first (default false: newest first)"),
	input("query", "QUERY", "Ignored by the emulator"),
]);

function number(params: Map<string, TypedValue>, name: string, fallback: number): number {
	const value = params.get(name);
	return value && (value.type === "NUMBER" || value.type === "INTEGER" || value.type === "LONG" || value.type === "DATETIME") ? value.value : fallback;
}

function text(params: Map<string, TypedValue>, name: string): string | null {
	const value = params.get(name);
	return value && typeof value.value === "string" ? value.value : null;
}

function requiredText(params: Map<string, TypedValue>, name: string): string {
	const value = text(params, name);
	if (!value) throw new ServiceError("bad-request", `parameter ${name} is required`);
	return value;
}

/** Items of a time-ordered list inside [startDate, endDate], newest first unless oldestFirst, at most maxItems. */
function range<T>(items: T[], time: (item: T) => number, params: Map<string, TypedValue>): T[] {
	const start = number(params, "startDate", -Infinity);
	const end = number(params, "endDate", Infinity);
	const max = Math.max(0, Math.floor(number(params, "maxItems", 500)));
	const oldestFirst = params.get("oldestFirst")?.value === true;
	const inside = items.filter((item) => time(item) >= start && time(item) <= end);
	const picked = oldestFirst ? inside.slice(0, max) : inside.slice(Math.max(0, inside.length - max)).reverse();
	return picked;
}

function property(thing: ThingRecord, name: string) {
	const found = thing.properties.get(name);
	if (!found) throw new ServiceError("not-found", `property ${name} not found on ${thing.name}`);
	return found;
}

function typedHistory(serviceName: string, types: readonly BaseTypeName[]): LocalService {
	return {
		name: serviceName,
		description: `History of one ${types[0].toLowerCase()} property: rows of timestamp and value`,
		inputs: [input("propertyName", "STRING", "The property"), ...RANGE_INPUTS],
		output: "INFOTABLE",
		run(_context, thing, params) {
			const target = property(thing, requiredText(params, "propertyName"));
			if (!types.includes(target.baseType)) throw new ServiceError("bad-request", `${target.name} is ${target.baseType}, not ${types.join("/")}`);
			const rows = range(target.history.toArray(), (vtq) => vtq.time, params);
			return {
				fields: [field("timestamp", "DATETIME"), field("value", target.baseType)],
				rows: rows.map((vtq) => [{ type: "DATETIME", value: vtq.time }, vtq.value]),
			};
		},
	};
}

const NOTHING: TypedValue = Object.freeze({ type: "NOTHING", value: null }) as TypedValue;

function writer(serviceName: string, propertyName: string, parameter: string, baseType: BaseTypeName): LocalService {
	return {
		name: serviceName,
		description: `Sets ${propertyName} (SteamSensor export)`,
		inputs: [input(parameter, baseType)],
		output: "NOTHING",
		appliesTo: (thing) => thing.properties.has(propertyName),
		async run(context, thing, params) {
			const value = params.get(parameter);
			if (!value || value.type === "NOTHING") throw new ServiceError("bad-request", `parameter ${parameter} is required`);
			await context.writeProperty(thing, propertyName, value);
			return null;
		},
	};
}

const LOCAL_SERVICES: readonly LocalService[] = Object.freeze([
	{
		name: "GetPropertyValues",
		description: "All property values as one row",
		inputs: [],
		output: "INFOTABLE",
		run: (context, thing) => context.allProperties(thing),
	},
	{
		name: "GetPropertyValuesVTQ",
		description: "All property values with time and quality",
		inputs: [],
		output: "INFOTABLE",
		run(_context, thing) {
			const rows: TypedValue[][] = [];
			for (const p of thing.properties.values()) {
				const vtq = p.current;
				rows.push([
					{ type: "STRING", value: p.name },
					vtq ? { type: "VARIANT", value: vtq.value } : NOTHING,
					vtq ? { type: "DATETIME", value: vtq.time } : NOTHING,
					vtq ? { type: "STRING", value: vtq.quality } : NOTHING,
				]);
			}
			return { fields: [field("name", "STRING"), field("value", "VARIANT"), field("time", "DATETIME"), field("quality", "STRING")], rows };
		},
	},
	{
		name: "QueryPropertyHistory",
		description: "History of every property: one row per timestamp",
		inputs: [...RANGE_INPUTS],
		output: "INFOTABLE",
		run(_context, thing, params) {
			const logged = [...thing.properties.values()].filter((p) => p.history.size > 0);
			const byTime = new Map<number, Map<string, Vtq>>();
			for (const p of logged) {
				for (const vtq of p.history.toArray()) {
					let row = byTime.get(vtq.time);
					if (!row) byTime.set(vtq.time, (row = new Map()));
					row.set(p.name, vtq);
				}
			}
			const times = range([...byTime.keys()].sort((a, b) => a - b), (t) => t, params);
			return {
				fields: [field("timestamp", "DATETIME"), ...logged.map((p) => field(p.name, p.baseType))],
				rows: times.map((t) => {
					const row = byTime.get(t) as Map<string, Vtq>;
					return [{ type: "DATETIME", value: t } as TypedValue, ...logged.map((p) => row.get(p.name)?.value ?? NOTHING)];
				}),
			};
		},
	},
	typedHistory("QueryNumberPropertyHistory", ["NUMBER"]),
	typedHistory("QueryIntegerPropertyHistory", ["INTEGER", "LONG"]),
	typedHistory("QueryBooleanPropertyHistory", ["BOOLEAN"]),
	typedHistory("QueryStringPropertyHistory", ["STRING", "TEXT", "JSON", "XML", "HTML", "HYPERLINK", "IMAGELINK", "GUID"]),
	typedHistory("QueryLocationPropertyHistory", ["LOCATION"]),
	typedHistory("QueryDateTimePropertyHistory", ["DATETIME"]),
	{
		name: "QueryEventHistory",
		description: "Emulator: events fired by the edge (optionally one event name)",
		inputs: [input("eventName", "STRING", "Only this event (default: all)"), ...RANGE_INPUTS],
		output: "INFOTABLE",
		run(_context, thing, params) {
			const only = text(params, "eventName");
			const events = range(thing.events.toArray().filter((e) => !only || e.name === only), (e: EventRecord) => e.time, params);
			return {
				fields: [field("timestamp", "DATETIME"), field("eventName", "STRING"), field("source", "THINGNAME"), field("eventData", "INFOTABLE")],
				rows: events.map((e) => [
					{ type: "DATETIME", value: e.time },
					{ type: "STRING", value: e.name },
					{ type: "THINGNAME", value: e.thing },
					e.data ? { type: "INFOTABLE", value: e.data } : NOTHING,
				]),
			};
		},
	},
	{
		name: "GetRemotePropertyBindings",
		description: "The remote property bindings (what GetPropertySubscriptions answers)",
		inputs: [],
		output: "INFOTABLE",
		run(_context, thing) {
			return {
				fields: [field("propertyName", "STRING"), field("sourceName", "STRING"), field("pushType", "STRING"), field("pushThreshold", "NUMBER"), field("cacheTime", "NUMBER"), field("foldType", "STRING"), field("timeout", "NUMBER")],
				rows: thing.boundProperties().map((p) => {
					const b = p.binding as Binding;
					return [
						{ type: "STRING", value: p.name }, { type: "STRING", value: b.edgeName }, { type: "STRING", value: b.pushType },
						{ type: "NUMBER", value: b.pushThreshold }, { type: "NUMBER", value: b.cacheTime }, { type: "STRING", value: "NONE" }, { type: "NUMBER", value: 0 },
					];
				}),
			};
		},
	},
	{
		name: "SetRemotePropertyBinding",
		description: "Creates or edits a remote property binding; the edge is told (NotifyPropertyUpdate)",
		inputs: [
			input("propertyName", "STRING"), input("sourceName", "STRING", "Edge-side name (default: propertyName)"),
			input("pushType", "STRING", "ALWAYS, VALUE, NEVER, DEADBAND, ON or OFF"), input("pushThreshold", "NUMBER"),
			input("cacheTime", "NUMBER", "0: read from cache; -1: read from the edge every time"),
		],
		output: "NOTHING",
		run(context, thing, params) {
			const patch: Partial<Binding> = {};
			const source = text(params, "sourceName");
			const pushType = text(params, "pushType");
			if (source) patch.edgeName = source;
			if (pushType) patch.pushType = pushType;
			if (params.has("pushThreshold")) patch.pushThreshold = number(params, "pushThreshold", 0);
			if (params.has("cacheTime")) patch.cacheTime = number(params, "cacheTime", 0);
			context.setBinding(thing, requiredText(params, "propertyName"), patch);
			return null;
		},
	},
	{
		name: "RemoveRemotePropertyBinding",
		description: "Unbinds a property; the edge is told (NotifyPropertyUpdate)",
		inputs: [input("propertyName", "STRING")],
		output: "NOTHING",
		run(context, thing, params) {
			const name = requiredText(params, "propertyName");
			if (!context.removeBinding(thing, name)) throw new ServiceError("not-found", `property ${name} has no binding`);
			return null;
		},
	},
	{
		name: "GetRemoteMetadata",
		description: "Asks the edge for its metadata (GetMetadata)",
		inputs: [],
		output: "JSON",
		run: (context, thing) => context.remoteMetadata(thing),
	},
	{
		name: "clearAllHistory",
		description: "Clears every property history and the event log (SteamSensor export)",
		inputs: [],
		output: "NOTHING",
		run(context, thing) {
			context.clearHistory(thing);
			return null;
		},
	},
	writer("setFaultStatus", "FaultStatus", "status", "BOOLEAN"),
	writer("updateTemperatureLimit", "TemperatureLimit", "limit", "NUMBER"),
]);

export function findLocalService(thing: ThingRecord, name: string): LocalService | undefined {
	const service = LOCAL_SERVICES.find((s) => s.name === name);
	return service && (!service.appliesTo || service.appliesTo(thing)) ? service : undefined;
}

export function localServicesOf(thing: ThingRecord): LocalService[] {
	return LOCAL_SERVICES.filter((s) => !s.appliesTo || s.appliesTo(thing));
}
