/*
 * The SteamSensor of the C SDK example (SteamThing.c; docs/protocol.md §11): eight properties pushed
 * ALWAYS/0, the SteamSensorFault event, its services and the GenericEdgeThingTemplate's two.
 * Definitions only; the behaviour that drives the values is in app.ts.
 */
import type { InfoTable, TypedValue } from "../../protocol/model";
import { RequestError } from "../../client/errors";
import { BAD_REQUEST } from "../../protocol/codes";
import { Thing, shapeFields } from "../../thing/thing";
import type { DataShapeSpec, EventSpec, PropertySpec, ServiceParams, ServiceSpec } from "../../thing/spec";

// Frozen to the leaves, as all module data here: a preloaded build keeps it in flash (xsl warns of an
// object left unfrozen, which would be copied to RAM if written).
export const READINGS_SHAPE: DataShapeSpec = Object.freeze({
	name: "SteamSensorReadingShape",
	fields: Object.freeze([
		Object.freeze({ name: "ActivationTime", baseType: "DATETIME" }),
		Object.freeze({ name: "SensorName", baseType: "NUMBER" }), // sic: the rows hold STRINGs (SteamThing.c:176)
		Object.freeze({ name: "Temperature", baseType: "NUMBER" }),
		Object.freeze({ name: "Pressure", baseType: "NUMBER" }),
		Object.freeze({ name: "FaultStatus", baseType: "BOOLEAN" }),
		Object.freeze({ name: "InletValve", baseType: "BOOLEAN" }),
		Object.freeze({ name: "TemperatureLimit", baseType: "NUMBER" }),
		Object.freeze({ name: "TotalFlow", baseType: "INTEGER" }),
	]),
} as DataShapeSpec);

export const FAULT_SHAPE: DataShapeSpec = Object.freeze({
	name: "SteamSensorFault",
	fields: Object.freeze([Object.freeze({ name: "message", baseType: "STRING" })]),
} as DataShapeSpec);

/** "This is a really big string. " appended while room is left in 10 000 bytes, as getBigStringService does. */
const BIG_TEXT = "This is a really big string. ";
const BIG_LENGTH = 10000;

export function bigString(): string {
	let out = "";
	for (let left = BIG_LENGTH; left > BIG_TEXT.length; left -= BIG_TEXT.length) {
		out += BIG_TEXT.slice(0, Math.min(BIG_TEXT.length, left - BIG_TEXT.length - 1));
	}
	return out;
}

/** The three fixed rows of getSteamSensorReadingsService, NOTHING cells and NUMBER TotalFlows included. */
export function steamSensorReadings(now: number): InfoTable {
	const row = (name: string, temperature: number | null, pressure: number, fault: boolean, valve: boolean, limit: number | null, flow: number): TypedValue[] => [
		{ type: "DATETIME", value: now },
		{ type: "STRING", value: name },
		temperature === null ? { type: "NOTHING", value: null } : { type: "NUMBER", value: temperature },
		{ type: "NUMBER", value: pressure },
		{ type: "BOOLEAN", value: fault },
		{ type: "BOOLEAN", value: valve },
		limit === null ? { type: "NOTHING", value: null } : { type: "NUMBER", value: limit },
		{ type: "NUMBER", value: flow },
	];
	return {
		fields: shapeFields(READINGS_SHAPE),
		rows: [
			row("Sensor Alpha", 60, 25, true, true, 150, 77),
			row("Sensor Beta", null, 35, false, true, null, 88),
			row("Sensor Gamma", null, 80, true, false, 150, 99),
		],
	};
}

export interface SteamSensorHooks {
	now(): number;
	/** StartLogging (true) / StopLogging (false). */
	setLogging(enabled: boolean): void;
	/** loadShapeLibrary / AddEdgeThingShape: nothing to load on this runtime; told for the record. */
	note(message: string): void;
}

function addNumbers(params: ServiceParams): number {
	const a = params.a;
	const b = params.b;
	if (typeof a !== "number" || typeof b !== "number") throw new RequestError(BAD_REQUEST, "AddNumbers needs the NUMBERs a and b");
	return a + b;
}

function hooks(thing: Thing): SteamSensorHooks {
	return thing.context as SteamSensorHooks;
}

function getReadings(_: ServiceParams, thing: Thing): InfoTable {
	return steamSensorReadings(hooks(thing).now());
}

function startLogging(_: ServiceParams, thing: Thing): void {
	hooks(thing).setLogging(true);
}

function stopLogging(_: ServiceParams, thing: Thing): void {
	hooks(thing).setLogging(false);
}

function loadShapeLibrary(p: ServiceParams, thing: Thing): void {
	hooks(thing).note("loadShapeLibrary " + String(p.libraryName ?? ""));
}

function addEdgeThingShape(p: ServiceParams, thing: Thing): void {
	hooks(thing).note("AddEdgeThingShape " + String(p.shapeName ?? "") + " " + String(p.namespace ?? ""));
}

const freeze = Object.freeze;

// Module data, frozen: a preloaded build keeps it in flash, and every instance shares it.
const PROPERTIES: readonly PropertySpec[] = freeze([
	freeze({ name: "Pressure", baseType: "NUMBER", readOnly: true, aspects: freeze({ isLogged: true }) }),
	// SteamThing.c:247 marks "Pressure" as logged a second time instead of Temperature
	freeze({ name: "Temperature", baseType: "NUMBER", readOnly: true }),
	freeze({ name: "TotalFlow", baseType: "NUMBER", readOnly: true, aspects: freeze({ isLogged: true }) }),
	freeze({ name: "TemperatureLimit", baseType: "NUMBER", defaultValue: 320 }),
	freeze({ name: "FaultStatus", baseType: "BOOLEAN" }),
	freeze({ name: "InletValve", baseType: "BOOLEAN" }),
	freeze({ name: "Location", baseType: "LOCATION", readOnly: true }),
	freeze({ name: "Logfile", baseType: "STRING", readOnly: true }),
] as PropertySpec[]);

const EVENTS: readonly EventSpec[] = freeze([freeze({ name: "SteamSensorFault", description: "Steam sensor event", shape: FAULT_SHAPE })]);

const SERVICES: readonly ServiceSpec[] = freeze([
	freeze({ name: "GetSteamSensorReadings", description: "Returns a set of readings as in InfoTable", output: "INFOTABLE", outputShape: READINGS_SHAPE, handler: getReadings }),
	freeze({
		name: "AddNumbers", description: "Add two numbers together",
		inputs: freeze([freeze({ name: "a", baseType: "NUMBER" }), freeze({ name: "b", baseType: "NUMBER" })]), output: "NUMBER", handler: addNumbers,
	}),
	freeze({ name: "GetBigString", description: "Generates a big string.", output: "STRING", handler: bigString }),
	freeze({ name: "StartLogging", description: "Starts edge-side logging.", handler: startLogging }),
	freeze({ name: "StopLogging", description: "Stops edge-side logging.", handler: stopLogging }),
	freeze({
		name: "loadShapeLibrary", description: "Loads an Edge Thing Shape Library.",
		inputs: freeze([freeze({ name: "libraryName", baseType: "STRING", description: "The name of a remote shared extension library." })]),
		handler: loadShapeLibrary,
	}),
	freeze({
		name: "AddEdgeThingShape", description: "Loads an Edge Thing Shape Library.",
		inputs: freeze([
			freeze({ name: "shapeName", baseType: "STRING", description: "The name of the registered shape to add to this thing." }),
			freeze({ name: "namespace", baseType: "STRING", description: "Optional Namespace to use when adding this shape." }),
		]),
		handler: addEdgeThingShape,
	}),
] as ServiceSpec[]);

/** A SteamSensor named `name`; its service handlers reach the app through `hooks` (the thing's context). */
export function createSteamSensorThing(name: string, hooks: SteamSensorHooks): Thing {
	return new Thing({ name, properties: PROPERTIES, services: SERVICES, events: EVENTS }, hooks);
}
