/*
 * GetMetadata: the JSON the C SDK builds for Composer (twApi.c:845-1012), in the shape captured from
 * the SteamSensor (docs/protocol.md §7.2): properties with their current push settings first among the
 * aspects, services with Inputs/Outputs, events with EventData. Not on the push path.
 */
import type { Property } from "./property";
import type { AspectValue, DataShapeSpec, EventSpec, FieldSpec, ServiceSpec } from "./spec";

type Json = Record<string, unknown>;

function aspectsOf(aspects: Readonly<Record<string, AspectValue>> | undefined): Json {
	const out: Json = {};
	if (aspects) for (const key in aspects) out[key] = aspects[key];
	return out;
}

function fieldDefinitions(fields: readonly FieldSpec[]): Json {
	const out: Json = {};
	for (const f of fields) {
		out[f.name] = { name: f.name, description: f.description ?? "", baseType: f.baseType, aspects: aspectsOf(f.aspects) };
	}
	return out;
}

function property(p: Property): Json {
	const aspects: Json = { pushType: p.pushType, pushThreshold: p.pushThreshold };
	const own = p.aspects;
	for (const key in own) aspects[key] = own[key];
	const out: Json = { name: p.name };
	if (p.description) out.description = p.description;
	out.baseType = p.baseType;
	out.aspects = aspects;
	return out;
}

function service(s: ServiceSpec): Json {
	const output = s.output ?? "NOTHING";
	const outputs: Json = { baseType: output };
	if (s.outputShape) outputs.aspects = { dataShape: s.outputShape.name };
	outputs.fieldDefinitions = s.outputShape ? fieldDefinitions(s.outputShape.fields) : {};
	outputs.name = "result";
	return {
		name: s.name,
		description: s.description ?? "",
		aspects: {},
		Inputs: s.inputs && s.inputs.length ? { fieldDefinitions: fieldDefinitions(s.inputs) } : {},
		Outputs: outputs,
	};
}

function eventData(shape: DataShapeSpec): Json {
	return { fieldDefinitions: fieldDefinitions(shape.fields), name: shape.name, aspects: { dataShape: shape.name } };
}

/** The GetMetadata JSON text of a thing. */
export function metadataJson(
	name: string,
	description: string,
	properties: readonly Property[],
	services: readonly ServiceSpec[],
	events: readonly EventSpec[],
): string {
	const propertyDefinitions: Json = {};
	for (const p of properties) propertyDefinitions[p.name] = property(p);
	const serviceDefinitions: Json = {};
	for (const s of services) serviceDefinitions[s.name] = service(s);
	const eventDefinitions: Json = {};
	for (const e of events) {
		eventDefinitions[e.name] = { name: e.name, description: e.description ?? "", aspects: {}, EventData: eventData(e.shape) };
	}
	return JSON.stringify({ name, description, isSystemObject: false, propertyDefinitions, serviceDefinitions, eventDefinitions });
}
