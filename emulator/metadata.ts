/*
 * What an edge says about its things through `GetMetadata` (docs/protocol.md §7.2): property types and
 * push settings, service inputs/outputs, event shapes. The emulator asks after every BIND and uses the
 * answer for REST parameter types, default bindings and the dashboard's forms.
 */
import type { BaseTypeName } from "../src/protocol/model";

export interface FieldInfo {
	name: string;
	description: string;
	baseType: BaseTypeName;
	aspects: Record<string, unknown>;
}

export interface ServiceInfo {
	name: string;
	description: string;
	inputs: FieldInfo[];
	output: { baseType: BaseTypeName; dataShape: string | null; fields: FieldInfo[] };
}

export interface EventInfo {
	name: string;
	description: string;
	dataShape: string | null;
	fields: FieldInfo[];
}

export interface ThingMetadata {
	description: string;
	properties: Map<string, FieldInfo>;
	services: Map<string, ServiceInfo>;
	events: Map<string, EventInfo>;
}

export class MetadataError extends Error {
	override get name(): string {
		return "MetadataError";
	}
}

type Json = Record<string, unknown>;

function object(value: unknown, where: string): Json {
	if (value === undefined || value === null) return {};
	if (typeof value !== "object" || Array.isArray(value)) throw new MetadataError(`${where}: expected an object`);
	return value as Json;
}

function text(value: unknown): string {
	return typeof value === "string" ? value : "";
}

function field(key: string, raw: unknown, where: string, isBaseType: (name: string) => boolean): FieldInfo {
	const def = object(raw, where);
	const baseType = typeof def.baseType === "string" ? def.baseType : "NOTHING";
	if (!isBaseType(baseType)) throw new MetadataError(`${where}: unknown baseType ${JSON.stringify(baseType)}`);
	return {
		name: typeof def.name === "string" && def.name ? def.name : key,
		description: text(def.description),
		baseType: baseType as BaseTypeName,
		aspects: object(def.aspects, `${where}.aspects`),
	};
}

function fields(raw: unknown, where: string, isBaseType: (name: string) => boolean): FieldInfo[] {
	const defs = object(object(raw, where).fieldDefinitions, `${where}.fieldDefinitions`);
	return Object.keys(defs).map((key) => field(key, defs[key], `${where}.${key}`, isBaseType));
}

/** Parses the JSON text of a GetMetadata result; `isBaseType` validates base type names. */
export function parseMetadata(json: string, isBaseType: (name: string) => boolean): ThingMetadata {
	let root: Json;
	try {
		root = object(JSON.parse(json), "metadata");
	} catch (error) {
		if (error instanceof MetadataError) throw error;
		throw new MetadataError(`metadata is not JSON: ${(error as Error).message}`);
	}
	const properties = new Map<string, FieldInfo>();
	const propertyDefs = object(root.propertyDefinitions, "propertyDefinitions");
	for (const key of Object.keys(propertyDefs)) {
		const info = field(key, propertyDefs[key], `propertyDefinitions.${key}`, isBaseType);
		properties.set(info.name, info);
	}
	const services = new Map<string, ServiceInfo>();
	const serviceDefs = object(root.serviceDefinitions, "serviceDefinitions");
	for (const key of Object.keys(serviceDefs)) {
		const where = `serviceDefinitions.${key}`;
		const def = object(serviceDefs[key], where);
		const outputs = object(def.Outputs, `${where}.Outputs`);
		const outputType = typeof outputs.baseType === "string" && isBaseType(outputs.baseType) ? outputs.baseType : "NOTHING";
		const name = typeof def.name === "string" && def.name ? def.name : key;
		services.set(name, {
			name,
			description: text(def.description),
			inputs: fields(def.Inputs, `${where}.Inputs`, isBaseType),
			output: {
				baseType: outputType as BaseTypeName,
				dataShape: text(object(outputs.aspects, `${where}.Outputs.aspects`).dataShape) || null,
				fields: fields(outputs, `${where}.Outputs`, isBaseType),
			},
		});
	}
	const events = new Map<string, EventInfo>();
	const eventDefs = object(root.eventDefinitions, "eventDefinitions");
	for (const key of Object.keys(eventDefs)) {
		const where = `eventDefinitions.${key}`;
		const def = object(eventDefs[key], where);
		const data = object(def.EventData, `${where}.EventData`);
		const name = typeof def.name === "string" && def.name ? def.name : key;
		events.set(name, {
			name,
			description: text(def.description),
			dataShape: text(object(data.aspects, `${where}.EventData.aspects`).dataShape) || null,
			fields: fields(data, `${where}.EventData`, isBaseType),
		});
	}
	return { description: text(root.description), properties, services, events };
}
