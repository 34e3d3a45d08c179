/*
 * A virtual thing: the properties, services and events an application declares, and the answers to
 * the platform's requests about them (docs/protocol.md §7.2): GET/PUT of properties, POST of services,
 * with the built-ins GetMetadata and NotifyPropertyUpdate. A Thing is what the client binds (its
 * BoundEntity, src/client/entity.ts); the client attaches itself as the link that carries property
 * changes, events and synchronization requests to the platform.
 *
 * Requests are answered from their received bytes (`answer`): names are compared as bytes or code
 * units, never decoded; a PUT's value or a service's inputs are read from the params in place
 * (ParamsReader); a GET is answered with the property itself, whose one-row table the client writes
 * straight into the TX buffer. Nothing is allocated but the values handed to the application.
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import { baseTypeCode, baseTypeName, ByteWriter, bytesEqual, encodeName, nameEquals, nameText, type ParamsReader, type RequestHead, utf8Length } from "../protocol";
import { BAD_REQUEST, EVENTS, FORBIDDEN, GET, INTERNAL_SERVER_ERROR, METHOD_NOT_ALLOWED, NOT_FOUND, POST, PROPERTIES, PUT, SERVICES, SERVICE_UNAVAILABLE, SUCCESS } from "../protocol/codes";
import type { FieldDefinition, InfoTable, Location, TypedValue } from "../protocol/model";
import type { BoundEntity, EntityLink, Reply } from "../client/entity";
import type { RequestOptions } from "../client/requestqueue";
import { RequestError } from "../client/errors";
import { NOTHING_CODE } from "../protocol/kinds";
import { metadataJson } from "./metadata";
import { Property, type PropertyOwner } from "./property";
import type { DataShapeSpec, EventSpec, PlainValue, ServiceParams, ServiceResult, ServiceSpec, ThingSpec } from "./spec";
import { acceptsCode, INTEGER_CODE, typed, VARIANT_CODE } from "./values";
import { VERBOSE } from "../verbose";

/** Distinct quality strings kept encoded per thing (GOOD, BAD, UNKNOWN, ... in practice). */
const MAX_QUALITIES = 8;
const GOOD = "GOOD";

/** The built-in services, answered by the Thing itself (shared by every thing: no closures per thing). */
const GET_METADATA: ServiceSpec = Object.freeze({ name: "GetMetadata", output: "JSON", handler: builtIn });
const NOTIFY_PROPERTY_UPDATE: ServiceSpec = Object.freeze({ name: "NotifyPropertyUpdate", handler: builtIn });

function builtIn(): never {
	throw new TypeError(VERBOSE ? "a built-in service is answered by its Thing" : "built-in");
}

/** The answer to a PUT that worked (shared: nothing to allocate). */
const DONE: Reply = Object.freeze({ code: SUCCESS, reason: null, content: null, property: null });

/** The FieldDefinitions of a DataShape, for building InfoTables of it. */
export function shapeFields(shape: DataShapeSpec): FieldDefinition[] {
	const out: FieldDefinition[] = [];
	for (const f of shape.fields) out.push({ name: f.name, description: f.description ?? "", baseType: f.baseType, aspects: [] });
	return out;
}

function reply(code: number, reason: string | null = null, content: InfoTable | null = null): Reply {
	return { code, reason, content, property: null };
}

function single(name: string, value: TypedValue): InfoTable {
	return { fields: [{ name, description: "", baseType: value.type, aspects: [] }], rows: [[value]] };
}

function failure(error: unknown): Reply {
	if (error instanceof RequestError) return reply(error.code, error.reason || null);
	return reply(INTERNAL_SERVER_ERROR, error instanceof Error ? error.message : String(error));
}

export class Thing implements BoundEntity, PropertyOwner {
	readonly name: string;
	/** Length-prefixed UTF-8 name (entity address of every message about this thing). */
	readonly nameBytes: Uint8Array;
	readonly description: string;
	readonly properties: readonly Property[];
	/** The application's services followed by the built-ins GetMetadata and NotifyPropertyUpdate. */
	readonly services: readonly ServiceSpec[];
	readonly events: readonly EventSpec[];
	/** What the application gave the constructor for its service handlers (they receive the thing). */
	readonly context: unknown;
	/** Encoded qualities, GOOD first, as [quality, bytes, quality, bytes, ...]. */
	#qualities: Array<string | Uint8Array>;
	#link: EntityLink | null = null;
	/** A GET's answer, reused: the client writes it out before the next request is read. */
	#reading: Reply = reply(SUCCESS);
	/** Where a PUT's LOCATION is read before the property copies it. */
	#location: Location = { longitude: 0, latitude: 0, elevation: 0 };

	/** `spec` may be frozen module data shared by every instance: nothing of it is copied but names. */
	constructor(spec: ThingSpec, context: unknown = null) {
		const specs = spec.properties ?? [];
		const texts = [spec.name, GOOD];
		for (const p of specs) texts.push(p.name);
		const names = encodeNames(texts);
		this.name = spec.name;
		this.nameBytes = names[0];
		this.description = spec.description ?? "";
		this.context = context;
		this.#qualities = [GOOD, names[1]];
		const properties: Property[] = [];
		for (const p of specs) {
			if (find(properties, p.name)) throw new TypeError(spec.name + ": property " + p.name + " defined twice");
			properties.push(new Property(p, properties.length, this, names[2 + properties.length]));
		}
		const services: ServiceSpec[] = [];
		for (const s of [...(spec.services ?? []), GET_METADATA, NOTIFY_PROPERTY_UPDATE]) {
			if (find(services, s.name)) throw new TypeError(VERBOSE ? spec.name + ": service " + s.name + " defined twice or reserved" : "duplicate " + s.name);
			services.push(s);
		}
		const events: EventSpec[] = [];
		for (const e of spec.events ?? []) {
			if (find(events, e.name)) throw new TypeError(spec.name + ": event " + e.name + " defined twice");
			events.push(e);
		}
		this.properties = Object.freeze(properties);
		this.services = Object.freeze(services);
		this.events = Object.freeze(events);
	}

	/** The property named `name` (keep the handle: setting through it skips the lookup). */
	property(name: string): Property {
		const p = find(this.properties, name);
		if (!p) throw new TypeError(this.name + ": no property " + name);
		return p;
	}

	/** The property named `name`, or undefined. */
	findProperty(name: string): Property | undefined {
		return find(this.properties, name);
	}

	/** Set a property by name (see Property.set). */
	set(name: string, value: PlainValue, time?: number, quality?: string): void {
		this.property(name).set(value, time, quality);
	}

	get(name: string): PlainValue {
		return this.property(name).get();
	}

	/**
	 * Fire an event to the platform (POST, characteristic EVENTS); `data` fills the event's DataShape.
	 * While offline it waits in the client's request queue unless `options` say otherwise.
	 */
	fireEvent(name: string, data: Record<string, PlainValue>, options?: RequestOptions): Promise<void> {
		const event = find(this.events, name);
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
		if (!this.#link) return Promise.reject(new RequestError(SERVICE_UNAVAILABLE, VERBOSE ? "not attached to a client" : "attached"));
		return this.#link.fireEvent(this.name, name, table, options);
	}

	/** The GetMetadata JSON. */
	metadata(): string {
		return metadataJson(this.name, this.description, this.properties, this.services, this.events);
	}

	/** Called by the client that carries this thing (one client at a time). */
	attach(link: EntityLink | null): void {
		if (link && this.#link && this.#link !== link) throw new TypeError(VERBOSE ? this.name + ": already attached to a client" : "attached");
		this.#link = link;
	}

	now(): number {
		return this.#link ? this.#link.now() : Date.now();
	}

	propertyChanged(property: Property): void {
		if (this.#link) this.#link.propertyChanged(this, property);
	}

	get goodQuality(): Uint8Array {
		return this.#qualities[1] as Uint8Array;
	}

	encodedQuality(quality: string): Uint8Array {
		const qualities = this.#qualities;
		for (let i = 0; i < qualities.length; i += 2) if (qualities[i] === quality) return qualities[i + 1] as Uint8Array;
		const bytes = encodeName(quality);
		if (qualities.length < 2 * MAX_QUALITIES) qualities.push(quality, bytes);
		return bytes;
	}

	/**
	 * Answers a platform request to this thing from its bytes: `head` is what readRequestHead read of
	 * them, `params` their params, already opened (checked whole) on them; the bytes are valid only
	 * during the call. A value that cannot be decoded is a DecodeError (the client answers BAD_REQUEST
	 * with it). A GET's reply carries the property (valid until the next request); handlers may answer
	 * later (a Promise).
	 */
	answer(bytes: Uint8Array, head: RequestHead, params: ParamsReader): Reply | Promise<Reply> {
		const code = head.code;
		switch (head.characteristicType) {
			case PROPERTIES:
				if (code === GET) return this.read(bytes, head);
				if (code === PUT) return this.write(bytes, head, params);
				break;
			case SERVICES:
				if (code === POST) return this.invoke(bytes, head, params);
				break;
			case EVENTS:
				break;
			default:
				return reply(BAD_REQUEST, "unknown characteristic type " + head.characteristicType);
		}
		return reply(METHOD_NOT_ALLOWED, "method " + code + " not allowed on characteristic " + head.characteristicType);
	}

	/** The property whose name field is at the head's characteristic name, or null. */
	private propertyAt(bytes: Uint8Array, head: RequestHead): Property | null {
		const properties = this.properties;
		for (let i = 0; i < properties.length; i++) {
			if (bytesEqual(bytes, head.characteristicNameOffset, head.characteristicNameLength, properties[i].nameBytes)) return properties[i];
		}
		return null;
	}

	private read(bytes: Uint8Array, head: RequestHead): Reply {
		const p = this.propertyAt(bytes, head);
		if (p === null) return notFound("property", bytes, head);
		const reading = this.#reading;
		reading.property = p;
		return reading;
	}

	private write(bytes: Uint8Array, head: RequestHead, params: ParamsReader): Reply {
		const p = this.propertyAt(bytes, head);
		if (p === null) return notFound("property", bytes, head);
		if (p.readOnly) return reply(FORBIDDEN, "property " + p.name + " is read-only");
		const at = params.cell(bytes, params.column(bytes, p.nameBytes));
		const type = at < 0 ? NOTHING_CODE : bytes[at];
		if (type === NOTHING_CODE) return reply(BAD_REQUEST, "no value for " + p.name);
		const declared = baseTypeCode(p.baseType) as number;
		if (!acceptsCode(declared, type)) return reply(BAD_REQUEST, p.name + ": expected " + p.baseType + ", got " + baseTypeName(type << 24 >> 24));
		const value = declared === VARIANT_CODE ? params.typed(bytes, at) : params.value(bytes, at, this.#location);
		try {
			p.set(value);
		} catch (error) {
			return reply(BAD_REQUEST, (error as Error).message);
		}
		return DONE;
	}

	private invoke(bytes: Uint8Array, head: RequestHead, params: ParamsReader): Reply | Promise<Reply> {
		const service = this.serviceAt(bytes, head);
		if (service === null) return notFound("service", bytes, head);
		const inputs: ServiceParams = {};
		const fields = service.inputs;
		if (fields) {
			for (let i = 0; i < fields.length; i++) {
				const input = fields[i];
				const at = params.cell(bytes, params.columnNamed(bytes, input.name));
				if (at < 0 || bytes[at] === NOTHING_CODE) continue;
				const declared = baseTypeCode(input.baseType) as number;
				const value = declared === VARIANT_CODE ? params.typed(bytes, at) : acceptsCode(declared, bytes[at]) ? params.value(bytes, at, null) : undefined;
				if (value === undefined || (declared === INTEGER_CODE && ((value as number) | 0) !== value)) {
					return reply(BAD_REQUEST, "parameter " + input.name + ": expected " + input.baseType + ", got " + baseTypeName(bytes[at] << 24 >> 24));
				}
				inputs[input.name] = value;
			}
		}
		let result: ServiceResult | Promise<ServiceResult>;
		try {
			if (service === GET_METADATA) result = this.metadata();
			else if (service === NOTIFY_PROPERTY_UPDATE) result = this.#link?.propertyUpdateNotified(this);
			else result = service.handler(inputs, this);
		} catch (error) {
			return failure(error);
		}
		return result instanceof Promise ? this.resultLater(service, result) : this.result(service, result);
	}

	/** Apart from invoke: a variable its closure captures would be allocated for every call. */
	private resultLater(service: ServiceSpec, result: Promise<ServiceResult>): Promise<Reply> {
		return result.then((r) => this.result(service, r), failure);
	}

	private serviceAt(bytes: Uint8Array, head: RequestHead): ServiceSpec | null {
		const services = this.services;
		for (let i = 0; i < services.length; i++) {
			if (nameEquals(bytes, head.characteristicNameOffset, head.characteristicNameLength, services[i].name)) return services[i];
		}
		return null;
	}

	private result(service: ServiceSpec, result: ServiceResult): Reply {
		const output = service.output ?? "NOTHING";
		if (output === "NOTHING") return DONE;
		try {
			if (output === "INFOTABLE") return reply(SUCCESS, null, typed("INFOTABLE", result as PlainValue, "result").value as InfoTable);
			return reply(SUCCESS, null, single("result", typed(output, result as PlainValue, "result")));
		} catch (error) {
			return reply(INTERNAL_SERVER_ERROR, service.name + " " + (error as Error).message);
		}
	}
}

/** `texts` as encodeName makes them, in one buffer: a view each (an XS typed array of its own costs 7 slots). */
function encodeNames(texts: readonly string[]): Uint8Array[] {
	let size = 0;
	for (const text of texts) {
		const length = utf8Length(text);
		size += (length < 0x80 ? 1 : 4) + length;
	}
	const w = new ByteWriter(new Uint8Array(size));
	const views: Uint8Array[] = [];
	for (const text of texts) {
		const start = w.position;
		w.string(text);
		views.push(w.buffer.subarray(start, w.position));
	}
	return views;
}

/** The first of `list` named `name`, or undefined. */
function find<T extends { name: string }>(list: readonly T[], name: string): T | undefined {
	for (let i = 0; i < list.length; i++) if (list[i].name === name) return list[i];
	return undefined;
}

function notFound(what: string, bytes: Uint8Array, head: RequestHead): Reply {
	return reply(NOT_FOUND, "no " + what + " " + nameText(bytes, head.characteristicNameOffset, head.characteristicNameLength));
}
