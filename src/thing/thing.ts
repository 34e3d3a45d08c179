/*
 * A virtual thing: the properties, services and events an application declares, and the answers to
 * the platform's requests about them (PROTOCOL.md §7.2): GET/PUT of properties, POST of services,
 * with the built-ins GetMetadata and NotifyPropertyUpdate. The client attaches itself as the link
 * that carries property changes, events and synchronization requests to the platform.
 */
import { Characteristic, Code, encodeName } from "../protocol";
import type { FieldDefinition, InfoTable, RequestMessage, TypedValue } from "../protocol/model";
import { RequestError } from "../client/errors";
import { metadataJson } from "./metadata";
import { Property, type PropertyOwner } from "./property";
import type { DataShapeSpec, EventSpec, PlainValue, ServiceParams, ServiceResult, ServiceSpec, ThingSpec } from "./spec";
import { acceptsType, typed } from "./values";

/** What a request is answered with. */
export interface Reply {
	code: number;
	reason: string | null;
	content: InfoTable | null;
}

/** The client side of a thing: where changes, events and sync requests go. */
export interface ThingLink {
	now(): number;
	propertyChanged(property: Property): void;
	/** The platform POSTed NotifyPropertyUpdate: synchronize once the reply is out. */
	propertyUpdateNotified(thing: Thing): void;
	fireEvent(thingName: string, eventName: string, data: InfoTable): Promise<void>;
}

const NOTIFY_PROPERTY_UPDATE = "NotifyPropertyUpdate";
/** Distinct quality strings kept encoded per thing (GOOD, BAD, UNKNOWN, ... in practice). */
const MAX_QUALITIES = 8;
const GET_METADATA = "GetMetadata";

/** The FieldDefinitions of a DataShape, for building InfoTables of it. */
export function shapeFields(shape: DataShapeSpec): FieldDefinition[] {
	const out: FieldDefinition[] = [];
	for (const f of shape.fields) out.push({ name: f.name, description: f.description ?? "", baseType: f.baseType, aspects: [] });
	return out;
}

function reply(code: number, reason: string | null = null, content: InfoTable | null = null): Reply {
	return { code, reason, content };
}

function single(name: string, value: TypedValue): InfoTable {
	return { fields: [{ name, description: "", baseType: value.type, aspects: [] }], rows: [[value]] };
}

/** The cell of column `name` in row 0, or undefined. */
function cell(table: InfoTable | null, name: string): TypedValue | undefined {
	if (!table || table.rows.length === 0) return undefined;
	for (let i = 0; i < table.fields.length; i++) if (table.fields[i].name === name) return table.rows[0][i];
	return undefined;
}

function failure(error: unknown): Reply {
	if (error instanceof RequestError) return reply(error.code, error.reason || null);
	return reply(Code.INTERNAL_SERVER_ERROR, error instanceof Error ? error.message : String(error));
}

export class Thing implements PropertyOwner {
	readonly name: string;
	/** Length-prefixed UTF-8 name (entity address of every message about this thing). */
	readonly nameBytes: Uint8Array;
	readonly description: string;
	readonly properties: readonly Property[];
	/** The application's services followed by the built-ins GetMetadata and NotifyPropertyUpdate. */
	readonly services: readonly ServiceSpec[];
	readonly events: readonly EventSpec[];
	#properties = new Map<string, Property>();
	#services = new Map<string, ServiceSpec>();
	#events = new Map<string, EventSpec>();
	#qualities = new Map<string, Uint8Array>();
	#link: ThingLink | null = null;

	constructor(spec: ThingSpec) {
		this.name = spec.name;
		this.nameBytes = encodeName(spec.name);
		this.description = spec.description ?? "";
		const good = encodeName("GOOD");
		this.#qualities.set("GOOD", good);
		const properties: Property[] = [];
		for (const p of spec.properties ?? []) {
			if (this.#properties.has(p.name)) throw new TypeError(spec.name + ": property " + p.name + " defined twice");
			const property = new Property(p, properties.length, this, good);
			properties.push(property);
			this.#properties.set(p.name, property);
		}
		const services: ServiceSpec[] = [];
		const builtIns: ServiceSpec[] = [
			{ name: GET_METADATA, output: "JSON", handler: () => this.metadata() },
			{ name: NOTIFY_PROPERTY_UPDATE, handler: () => this.#link?.propertyUpdateNotified(this) },
		];
		for (const s of [...(spec.services ?? []), ...builtIns]) {
			if (this.#services.has(s.name)) throw new TypeError(spec.name + ": service " + s.name + " defined twice or reserved");
			services.push(s);
			this.#services.set(s.name, s);
		}
		for (const e of spec.events ?? []) {
			if (this.#events.has(e.name)) throw new TypeError(spec.name + ": event " + e.name + " defined twice");
			this.#events.set(e.name, e);
		}
		this.properties = Object.freeze(properties);
		this.services = Object.freeze(services);
		this.events = Object.freeze([...this.#events.values()]);
	}

	/** The property named `name` (keep the handle: setting through it skips the lookup). */
	property(name: string): Property {
		const p = this.#properties.get(name);
		if (!p) throw new TypeError(this.name + ": no property " + name);
		return p;
	}

	/** The property named `name`, or undefined. */
	findProperty(name: string): Property | undefined {
		return this.#properties.get(name);
	}

	/** Set a property by name (see Property.set). */
	set(name: string, value: PlainValue, time?: number, quality?: string): void {
		this.property(name).set(value, time, quality);
	}

	get(name: string): PlainValue {
		return this.property(name).get();
	}

	/** Fire an event to the platform (POST, characteristic EVENTS); `data` fills the event's DataShape. */
	fireEvent(name: string, data: Record<string, PlainValue>): Promise<void> {
		const event = this.#events.get(name);
		if (!event) return Promise.reject(new TypeError(this.name + ": no event " + name));
		let table: InfoTable;
		try {
			const row: TypedValue[] = [];
			for (const f of event.shape.fields) {
				const v = data[f.name];
				row.push(v === undefined || v === null ? { type: "NOTHING", value: null } : typed(f.baseType, v, name + "." + f.name));
			}
			table = { fields: shapeFields(event.shape), rows: [row] };
		} catch (error) {
			return Promise.reject(error);
		}
		if (!this.#link) return Promise.reject(new RequestError(Code.SERVICE_UNAVAILABLE, "not attached to a client"));
		return this.#link.fireEvent(this.name, name, table);
	}

	/** The GetMetadata JSON. */
	metadata(): string {
		return metadataJson(this.name, this.description, this.properties, this.services, this.events);
	}

	/** Called by the client that carries this thing (one client per thing). */
	attach(link: ThingLink | null): void {
		if (link && this.#link && this.#link !== link) throw new TypeError(this.name + ": already attached to a client");
		this.#link = link;
	}

	now(): number {
		return this.#link ? this.#link.now() : Date.now();
	}

	propertyChanged(property: Property): void {
		if (this.#link) this.#link.propertyChanged(property);
	}

	encodedQuality(quality: string): Uint8Array {
		let bytes = this.#qualities.get(quality);
		if (bytes === undefined) {
			bytes = encodeName(quality);
			if (this.#qualities.size < MAX_QUALITIES) this.#qualities.set(quality, bytes);
		}
		return bytes;
	}

	/** Answer a platform request addressed to this thing. */
	dispatch(request: RequestMessage): Reply | Promise<Reply> {
		switch (request.characteristicType) {
			case Characteristic.PROPERTIES:
				if (request.code === Code.GET) return this.#read(request.characteristicName);
				if (request.code === Code.PUT) return this.#write(request.characteristicName, request.params);
				break;
			case Characteristic.SERVICES:
				if (request.code === Code.POST) return this.#invoke(request.characteristicName, request.params);
				break;
			case Characteristic.EVENTS:
				break;
			default:
				return reply(Code.BAD_REQUEST, "unknown characteristic type " + request.characteristicType);
		}
		return reply(Code.METHOD_NOT_ALLOWED, "method " + request.code + " not allowed on characteristic " + request.characteristicType);
	}

	#read(name: string): Reply {
		const p = this.#properties.get(name);
		if (!p) return reply(Code.NOT_FOUND, "no property " + name);
		const value: TypedValue = p.hasValue ? typed(p.baseType, p.value.value, name) : { type: "NOTHING", value: null };
		const table = single(name, value);
		table.fields[0].baseType = p.baseType;
		return reply(Code.SUCCESS, null, table);
	}

	#write(name: string, params: InfoTable | null): Reply {
		const p = this.#properties.get(name);
		if (!p) return reply(Code.NOT_FOUND, "no property " + name);
		if (p.readOnly) return reply(Code.FORBIDDEN, "property " + name + " is read-only");
		const value = cell(params, name);
		if (value === undefined || value.type === "NOTHING") return reply(Code.BAD_REQUEST, "no value for " + name);
		if (!acceptsType(p.baseType, value.type)) return reply(Code.BAD_REQUEST, name + ": expected " + p.baseType + ", got " + value.type);
		try {
			p.set(p.baseType === "VARIANT" ? value : value.value);
		} catch (error) {
			return reply(Code.BAD_REQUEST, (error as Error).message);
		}
		return reply(Code.SUCCESS);
	}

	#invoke(name: string, params: InfoTable | null): Reply | Promise<Reply> {
		const service = this.#services.get(name);
		if (!service) return reply(Code.NOT_FOUND, "no service " + name);
		const inputs: ServiceParams = {};
		for (const input of service.inputs ?? []) {
			const value = cell(params, input.name);
			if (value === undefined || value.type === "NOTHING") continue;
			if (!acceptsType(input.baseType, value.type) || (input.baseType === "INTEGER" && ((value.value as number) | 0) !== value.value)) {
				return reply(Code.BAD_REQUEST, "parameter " + input.name + ": expected " + input.baseType + ", got " + value.type);
			}
			inputs[input.name] = input.baseType === "VARIANT" ? value : value.value;
		}
		let result: ServiceResult | Promise<ServiceResult>;
		try {
			result = service.handler(inputs);
		} catch (error) {
			return failure(error);
		}
		if (result instanceof Promise) return result.then((r) => this.#result(service, r), failure);
		return this.#result(service, result);
	}

	#result(service: ServiceSpec, result: ServiceResult): Reply {
		const output = service.output ?? "NOTHING";
		if (output === "NOTHING") return reply(Code.SUCCESS);
		try {
			if (output === "INFOTABLE") return reply(Code.SUCCESS, null, typed("INFOTABLE", result as PlainValue, "result").value as InfoTable);
			return reply(Code.SUCCESS, null, single("result", typed(output, result as PlainValue, "result")));
		} catch (error) {
			return reply(Code.INTERNAL_SERVER_ERROR, service.name + " " + (error as Error).message);
		}
	}
}
