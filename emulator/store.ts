/*
 * The platform side of every thing: connection state, properties with bounded VTQ histories, remote
 * property bindings (what GetPropertySubscriptions answers) and a bounded event log. Everything the
 * REST API, the dashboard and the AlwaysOn server show or change goes through here; listeners hear
 * every change synchronously and batch as they see fit.
 */
import type { BaseTypeName, InfoTable, TypedValue } from "../src/protocol/model";
import type { ThingMetadata } from "./metadata";
import { Ring } from "./ring";

const PUSH_TYPES: readonly string[] = Object.freeze(["ALWAYS", "VALUE", "NEVER", "DEADBAND", "ON", "OFF"]);

/** A remote property binding (platform attributes of the SteamSensor export, docs/protocol.md §7.4). */
export interface Binding {
	/** The edge-side property name (`edgeName` column of GetPropertySubscriptions). */
	edgeName: string;
	pushType: string;
	pushThreshold: number;
	/** 0 = reads come from the platform's cache; -1 = every read goes to the edge (ThingWorx `cacheTime`). */
	cacheTime: number;
}

export interface Vtq {
	value: TypedValue;
	/** Milliseconds since the epoch. */
	time: number;
	quality: string;
}

export interface EventRecord {
	/** Increasing across the whole store: the dashboard's cursor. */
	id: number;
	thing: string;
	name: string;
	time: number;
	data: InfoTable | null;
}

export class PropertyRecord {
	readonly name: string;
	baseType: BaseTypeName;
	aspects: Record<string, unknown> = {};
	binding: Binding | null = null;
	current: Vtq | null = null;
	readonly history: Ring<Vtq>;

	constructor(name: string, baseType: BaseTypeName, historySize: number) {
		this.name = name;
		this.baseType = baseType;
		this.history = new Ring(historySize);
	}
}

export class ThingRecord {
	readonly name: string;
	description: string;
	readonly autoCreated: boolean;
	/** Pushed properties without a binding get a default one (ALWAYS/0) instead of being dropped. */
	readonly autoBind: boolean;
	isConnected = false;
	/** Epoch ms of the last BIND; 0 = never. */
	lastConnection = 0;
	isReporting = false;
	reportingLastChange = 0;
	/** Epoch ms of the last message about this thing. */
	lastSeen = 0;
	/** GetPropertySubscriptions answered since the last NotifyPropertyUpdate. */
	synchronized = false;
	gateway: { name: string; type: string } | null = null;
	metadata: ThingMetadata | null = null;
	readonly properties = new Map<string, PropertyRecord>();
	readonly events: Ring<EventRecord>;
	/** Pushed rows that matched no binding (not auto-bound). */
	unboundRows = 0;

	constructor(name: string, options: { description: string; autoCreated: boolean; autoBind: boolean; eventLogSize: number }) {
		this.name = name;
		this.description = options.description;
		this.autoCreated = options.autoCreated;
		this.autoBind = options.autoBind;
		this.events = new Ring(options.eventLogSize);
	}

	/** The property a pushed row named `edgeName` belongs to. */
	propertyForEdgeName(edgeName: string): PropertyRecord | undefined {
		const direct = this.properties.get(edgeName);
		if (direct?.binding && direct.binding.edgeName === edgeName) return direct;
		for (const property of this.properties.values()) {
			if (property.binding?.edgeName === edgeName) return property;
		}
		return undefined;
	}

	/** Bound properties in name order (the GetPropertySubscriptions rows). */
	boundProperties(): PropertyRecord[] {
		const out: PropertyRecord[] = [];
		for (const property of this.properties.values()) if (property.binding) out.push(property);
		return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	}
}

export interface PropertyDefinition {
	name: string;
	baseType?: BaseTypeName;
	/** false = a platform-local property (no binding). Default true. */
	remote?: boolean;
	edgeName?: string;
	pushType?: string;
	pushThreshold?: number;
	cacheTime?: number;
}

export interface ThingDefinition {
	name: string;
	description?: string;
	/** Bind pushed properties that have no binding yet. Default false for defined things. */
	autoBind?: boolean;
	properties?: PropertyDefinition[];
}

export type BindingOrigin = "user" | "metadata" | "discovery";

export type StoreChange =
	| { kind: "thing"; thing: ThingRecord }
	| { kind: "values"; thing: ThingRecord; properties: PropertyRecord[] }
	| { kind: "event"; event: EventRecord }
	| { kind: "bindings"; thing: ThingRecord; origin: BindingOrigin }
	| { kind: "history-cleared"; thing: ThingRecord };

export interface PushRow {
	/** Edge-side name. */
	name: string;
	value: TypedValue;
	time: number;
	quality: string;
}

export class StoreError extends Error {
	override get name(): string {
		return "StoreError";
	}
}

function unwrapVariant(value: TypedValue): TypedValue {
	return value.type === "VARIANT" ? value.value : value;
}

export class ThingStore {
	readonly historySize: number;
	readonly eventLogSize: number;
	/** Things auto-created at most (BIND of one more: NOT_FOUND), and properties a thing gains from what edges send. */
	readonly maxThings: number;
	readonly maxProperties: number;
	/** Events of every thing, newest last: the dashboard's event log. */
	readonly recentEvents: Ring<EventRecord>;
	#things = new Map<string, ThingRecord>();
	#listeners = new Set<(change: StoreChange) => void>();
	#nextEventId = 1;

	constructor(options: { historySize?: number; eventLogSize?: number; maxThings?: number; maxProperties?: number } = {}) {
		this.historySize = options.historySize ?? 500;
		this.eventLogSize = options.eventLogSize ?? 500;
		this.maxThings = options.maxThings ?? 10000;
		this.maxProperties = options.maxProperties ?? 1000;
		this.recentEvents = new Ring(this.eventLogSize);
	}

	on(listener: (change: StoreChange) => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	#emit(change: StoreChange): void {
		for (const listener of this.#listeners) listener(change);
	}

	get(name: string): ThingRecord | undefined {
		return this.#things.get(name);
	}

	list(): ThingRecord[] {
		return [...this.#things.values()];
	}

	/** A thing created by the bind policy "auto-create"; a StoreError once maxThings things are held. */
	autoCreate(name: string): ThingRecord {
		if (this.#things.size >= this.maxThings) throw new StoreError(`the store holds its maximum of ${this.maxThings} things (maxThings)`);
		return this.#add(new ThingRecord(name, { description: "", autoCreated: true, autoBind: true, eventLogSize: this.eventLogSize }));
	}

	define(definition: ThingDefinition): ThingRecord {
		const thing = new ThingRecord(definition.name, {
			description: definition.description ?? "",
			autoCreated: false,
			autoBind: definition.autoBind ?? false,
			eventLogSize: this.eventLogSize,
		});
		for (const def of definition.properties ?? []) {
			const property = new PropertyRecord(def.name, def.baseType ?? "NOTHING", this.historySize);
			if (def.remote !== false) {
				property.binding = {
					edgeName: def.edgeName ?? def.name,
					pushType: checkPushType(def.pushType ?? "ALWAYS"),
					pushThreshold: def.pushThreshold ?? 0,
					cacheTime: def.cacheTime ?? 0,
				};
			}
			thing.properties.set(def.name, property);
		}
		return this.#add(thing);
	}

	#add(thing: ThingRecord): ThingRecord {
		if (this.#things.has(thing.name)) throw new StoreError(`thing ${thing.name} already exists`);
		this.#things.set(thing.name, thing);
		this.#emit({ kind: "thing", thing });
		return thing;
	}

	setConnected(thing: ThingRecord, connected: boolean, gateway: { name: string; type: string } | null, now: number): void {
		thing.isConnected = connected;
		if (connected) {
			thing.lastConnection = now;
			thing.gateway = gateway;
		}
		if (thing.isReporting !== connected) {
			thing.isReporting = connected;
			thing.reportingLastChange = now;
		}
		thing.synchronized = false;
		thing.lastSeen = now;
		this.#emit({ kind: "thing", thing });
	}

	setSynchronized(thing: ThingRecord, synchronized: boolean): void {
		if (thing.synchronized === synchronized) return;
		thing.synchronized = synchronized;
		this.#emit({ kind: "thing", thing });
	}

	/** Metadata from the edge's GetMetadata: property types and, for auto-binding things, default bindings. */
	applyMetadata(thing: ThingRecord, metadata: ThingMetadata): void {
		thing.metadata = metadata;
		if (metadata.description && !thing.description) thing.description = metadata.description;
		let bound = false;
		for (const info of metadata.properties.values()) {
			let property = thing.properties.get(info.name);
			if (!property) {
				if (thing.properties.size >= this.maxProperties) continue;
				property = new PropertyRecord(info.name, info.baseType, this.historySize);
				thing.properties.set(info.name, property);
			} else if (property.baseType === "NOTHING") {
				property.baseType = info.baseType;
			}
			property.aspects = info.aspects;
			if (!property.binding && thing.autoBind) {
				const pushType = typeof info.aspects.pushType === "string" && PUSH_TYPES.includes(info.aspects.pushType) ? info.aspects.pushType : "ALWAYS";
				const threshold = typeof info.aspects.pushThreshold === "number" && Number.isFinite(info.aspects.pushThreshold) ? info.aspects.pushThreshold : 0;
				property.binding = { edgeName: info.name, pushType, pushThreshold: threshold, cacheTime: 0 };
				bound = true;
			}
		}
		this.#emit({ kind: "thing", thing });
		if (bound) this.#emit({ kind: "bindings", thing, origin: "metadata" });
	}

	/** Stores the rows of an UpdateSubscribedPropertyValues. Returns how many were stored and dropped. */
	recordPush(thing: ThingRecord, rows: PushRow[], now: number): { stored: number; unbound: number } {
		const touched: PropertyRecord[] = [];
		let unbound = 0;
		let discovered = false;
		for (const row of rows) {
			let property = thing.propertyForEdgeName(row.name);
			const value = unwrapVariant(row.value);
			if (!property) {
				if (!thing.autoBind || thing.properties.has(row.name) || thing.properties.size >= this.maxProperties) {
					unbound++;
					continue;
				}
				property = new PropertyRecord(row.name, value.type, this.historySize);
				property.binding = { edgeName: row.name, pushType: "ALWAYS", pushThreshold: 0, cacheTime: 0 };
				thing.properties.set(row.name, property);
				discovered = true;
			}
			this.#store(property, { value, time: row.time, quality: row.quality });
			if (!touched.includes(property)) touched.push(property);
		}
		thing.unboundRows += unbound;
		thing.lastSeen = now;
		if (discovered) this.#emit({ kind: "bindings", thing, origin: "discovery" });
		if (touched.length) this.#emit({ kind: "values", thing, properties: touched });
		return { stored: rows.length - unbound, unbound };
	}

	/** A platform-side write (REST, a local service, an edge PUT, a confirmed remote write). */
	setValue(thing: ThingRecord, name: string, value: TypedValue, time: number, quality = "GOOD"): PropertyRecord {
		let property = thing.properties.get(name);
		const inner = unwrapVariant(value);
		if (!property) {
			property = new PropertyRecord(name, inner.type, this.historySize);
			thing.properties.set(name, property);
		}
		this.#store(property, { value: inner, time, quality });
		this.#emit({ kind: "values", thing, properties: [property] });
		return property;
	}

	#store(property: PropertyRecord, vtq: Vtq): void {
		if (property.baseType === "NOTHING" && vtq.value.type !== "NOTHING") property.baseType = vtq.value.type;
		property.current = vtq;
		property.history.push(vtq);
	}

	recordEvent(thing: ThingRecord, name: string, data: InfoTable | null, time: number): EventRecord {
		const event: EventRecord = { id: this.#nextEventId++, thing: thing.name, name, time, data };
		thing.events.push(event);
		this.recentEvents.push(event);
		thing.lastSeen = time;
		this.#emit({ kind: "event", event });
		return event;
	}

	/** Creates or edits the binding of `propertyName` (REST SetRemotePropertyBinding, the dashboard). */
	setBinding(thing: ThingRecord, propertyName: string, patch: Partial<Binding>, baseType: BaseTypeName = "NOTHING"): Binding {
		let property = thing.properties.get(propertyName);
		if (!property) {
			property = new PropertyRecord(propertyName, baseType, this.historySize);
			thing.properties.set(propertyName, property);
		}
		const base = property.binding ?? { edgeName: propertyName, pushType: "ALWAYS", pushThreshold: 0, cacheTime: 0 };
		const next: Binding = {
			edgeName: patch.edgeName ?? base.edgeName,
			pushType: checkPushType(patch.pushType ?? base.pushType),
			pushThreshold: patch.pushThreshold ?? base.pushThreshold,
			cacheTime: patch.cacheTime ?? base.cacheTime,
		};
		if (!next.edgeName) throw new StoreError("edgeName must not be empty");
		if (!Number.isFinite(next.pushThreshold)) throw new StoreError("pushThreshold must be a finite number");
		if (!Number.isFinite(next.cacheTime)) throw new StoreError("cacheTime must be a finite number");
		property.binding = next;
		this.#emit({ kind: "bindings", thing, origin: "user" });
		return next;
	}

	removeBinding(thing: ThingRecord, propertyName: string): boolean {
		const property = thing.properties.get(propertyName);
		if (!property?.binding) return false;
		property.binding = null;
		this.#emit({ kind: "bindings", thing, origin: "user" });
		return true;
	}

	clearHistory(thing: ThingRecord): void {
		for (const property of thing.properties.values()) property.history.clear();
		thing.events.clear();
		this.#emit({ kind: "history-cleared", thing });
	}
}

function checkPushType(pushType: string): string {
	const upper = pushType.toUpperCase();
	if (!PUSH_TYPES.includes(upper)) throw new StoreError(`pushType must be one of ${PUSH_TYPES.join(", ")}, got ${JSON.stringify(pushType)}`);
	return upper;
}
