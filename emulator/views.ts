/*
 * JSON views of the store for the REST entity endpoint and the dashboard: a thing with its
 * connection state, properties (value, binding), services (remote from the edge's metadata, and
 * platform-local) and events.
 */
import type { TypedValue } from "../src/protocol/model";
import { infoTableToJson, valueToJson } from "./infotable-json";
import { localServicesOf } from "./local-services";
import type { FieldInfo } from "./metadata";
import type { EventRecord, PropertyRecord, ThingRecord, Vtq } from "./store";

function typedToJson(value: TypedValue): { type: string; value: unknown } {
	const inner = value.type === "VARIANT" ? value.value : value;
	return { type: inner.type, value: valueToJson(inner) ?? null };
}

export function vtqToJson(vtq: Vtq): { type: string; value: unknown; time: number; quality: string } {
	return { ...typedToJson(vtq.value), time: vtq.time, quality: vtq.quality };
}

function fieldsView(fields: readonly FieldInfo[]) {
	return fields.map((f) => ({ name: f.name, baseType: f.baseType, description: f.description }));
}

function propertyView(p: PropertyRecord) {
	return {
		name: p.name,
		baseType: p.baseType,
		aspects: p.aspects,
		binding: p.binding,
		current: p.current ? vtqToJson(p.current) : null,
		historySize: p.history.size,
	};
}

export function eventView(e: EventRecord) {
	return { id: e.id, thing: e.thing, name: e.name, time: e.time, data: e.data ? infoTableToJson(e.data) : null };
}

export function thingView(thing: ThingRecord, connectionId: number | null) {
	const metadata = thing.metadata;
	return {
		name: thing.name,
		description: thing.description,
		thingTemplate: "RemoteThing",
		autoCreated: thing.autoCreated,
		isConnected: thing.isConnected,
		lastConnection: thing.lastConnection,
		isReporting: thing.isReporting,
		reportingLastChange: thing.reportingLastChange,
		synchronized: thing.synchronized,
		lastSeen: thing.lastSeen,
		gateway: thing.gateway,
		connection: connectionId,
		hasMetadata: metadata !== null,
		unboundRows: thing.unboundRows,
		properties: [...thing.properties.values()].map(propertyView),
		services: [
			...[...(metadata?.services.values() ?? [])].map((s) => ({
				name: s.name, description: s.description, local: false, inputs: fieldsView(s.inputs), output: s.output.baseType,
			})),
			...localServicesOf(thing).map((s) => ({ name: s.name, description: s.description, local: true, inputs: s.inputs, output: s.output })),
		],
		events: [...(metadata?.events.values() ?? [])].map((e) => ({ name: e.name, description: e.description, fields: fieldsView(e.fields) })),
	};
}
