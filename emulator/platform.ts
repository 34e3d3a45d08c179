/*
 * The platform's behaviour (docs/protocol.md §4, §7): authentication, binding with its policy, the
 * NotifyPropertyUpdate / GetPropertySubscriptions synchronization, storing pushes and events,
 * answering the edge's own requests, and the platform -> edge GET/PUT/POST used by REST and the
 * dashboard. Connections call it through EdgeHandler; it never touches a socket.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { Characteristic, Code, codeName, EntityType } from "../src/protocol";
import type { BaseTypeName, BindMessage, FieldDefinition, InfoTable, RequestMessage, ResponseMessage, TypedValue } from "../src/protocol/model";
import type { Counters } from "./counters";
import { EdgeError, type EdgeConnection, type EdgeHandler, type Reply, type WedgeMode } from "./edge-connection";
import { inferBaseType, isBaseTypeName, jsonToValue, paramsToInfoTable, singleValueTable } from "./infotable-json";
import { findLocalService, type LocalContext, ServiceError } from "./local-services";
import type { Logger } from "./log";
import { MetadataError, parseMetadata } from "./metadata";
import type { Binding, PushRow, StoreChange, ThingRecord, ThingStore } from "./store";

export type BindPolicy = "auto-create" | "not-found";

export interface PlatformConfig {
	appKeys: readonly string[];
	bindPolicy: BindPolicy;
	requestTimeoutMs: number;
	/** Ask every newly bound thing for GetMetadata. */
	fetchMetadata: boolean;
	/** How long a GetPropertySubscriptions waits for an outstanding GetMetadata (its bindings). */
	metadataWaitMs: number;
}

/** A failed platform operation; `code` is the AlwaysOn status (REST maps it to HTTP). */
export class PlatformError extends Error {
	readonly code: number;
	constructor(code: number, message: string) {
		super(message);
		this.code = code;
	}
	override get name(): string {
		return "PlatformError";
	}
}

class ParamsError extends Error {}

const NOTHING: TypedValue = Object.freeze({ type: "NOTHING", value: null }) as TypedValue;
const SUBSCRIPTION_FIELDS: readonly FieldDefinition[] = Object.freeze([
	{ name: "edgeName", description: "", baseType: "STRING", aspects: [] },
	{ name: "pushType", description: "", baseType: "STRING", aspects: [] },
	{ name: "pushThreshold", description: "", baseType: "NUMBER", aspects: [] },
]);

/** Platform-side properties every remote thing has; read-only. */
type Builtin = [string, BaseTypeName, (thing: ThingRecord) => TypedValue];
const BUILTIN_PROPERTIES: readonly Builtin[] = Object.freeze<Builtin[]>([
	["name", "STRING", (t) => ({ type: "STRING", value: t.name })],
	["description", "STRING", (t) => ({ type: "STRING", value: t.description })],
	["thingTemplate", "THINGTEMPLATENAME", () => ({ type: "THINGTEMPLATENAME", value: "RemoteThing" })],
	["isConnected", "BOOLEAN", (t) => ({ type: "BOOLEAN", value: t.isConnected })],
	["lastConnection", "DATETIME", (t) => ({ type: "DATETIME", value: t.lastConnection })],
	["isReporting", "BOOLEAN", (t) => ({ type: "BOOLEAN", value: t.isReporting })],
	["reportingLastChange", "DATETIME", (t) => ({ type: "DATETIME", value: t.reportingLastChange })],
]);

function field(name: string, baseType: BaseTypeName): FieldDefinition {
	return { name, description: "", baseType, aspects: [] };
}

function delay(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The rows of an UpdateSubscribedPropertyValues params table (§7.3): values{name, value, time, quality}. */
function pushRows(params: InfoTable | null, now: number): PushRow[] {
	if (!params) throw new ParamsError("UpdateSubscribedPropertyValues without params");
	const column = params.fields.findIndex((f) => f.name === "values");
	if (column < 0) throw new ParamsError("params lack the values field");
	const rows: PushRow[] = [];
	for (const outer of params.rows) {
		const cell = outer[column];
		if (!cell || cell.type === "NOTHING") continue;
		if (cell.type !== "INFOTABLE") throw new ParamsError(`values cell is ${cell.type}, not INFOTABLE`);
		const table = cell.value;
		const at = (name: string) => table.fields.findIndex((f) => f.name === name);
		const [name, value, time, quality] = [at("name"), at("value"), at("time"), at("quality")];
		if (name < 0 || value < 0) throw new ParamsError("values table lacks the name or value field");
		for (const row of table.rows) {
			const nameCell = row[name];
			if (!nameCell || typeof nameCell.value !== "string" || !nameCell.value) throw new ParamsError("a row without a property name");
			const timeCell = time >= 0 ? row[time] : undefined;
			if (timeCell && timeCell.type !== "DATETIME" && timeCell.type !== "NOTHING") throw new ParamsError(`time of ${nameCell.value} is ${timeCell.type}`);
			const qualityCell = quality >= 0 ? row[quality] : undefined;
			rows.push({
				name: nameCell.value,
				value: row[value] ?? NOTHING,
				time: timeCell?.type === "DATETIME" ? timeCell.value : now,
				quality: qualityCell && typeof qualityCell.value === "string" ? qualityCell.value : "GOOD",
			});
		}
	}
	return rows;
}

/** Row 0 of a table as name -> value. */
function firstRow(table: InfoTable | null): Map<string, TypedValue> {
	const out = new Map<string, TypedValue>();
	if (table && table.rows.length) table.fields.forEach((f, i) => out.set(f.name, table.rows[0][i] ?? NOTHING));
	return out;
}

export class Platform implements EdgeHandler {
	readonly store: ThingStore;
	readonly config: PlatformConfig;
	#counters: Counters;
	#log: Logger;
	#keys: Buffer[];
	#bound = new Map<string, EdgeConnection>();
	#sessions = new Set<number>();
	#metadataPending = new Map<string, Promise<void>>();
	/** Things wedged on every connection that binds them (faults.ts). */
	#wedged = new Map<string, WedgeMode>();
	#local: LocalContext;

	constructor(store: ThingStore, config: PlatformConfig, counters: Counters, log: Logger) {
		if (config.appKeys.length === 0 || config.appKeys.some((key) => !key)) throw new RangeError("at least one non-empty application key is required");
		this.store = store;
		this.config = config;
		this.#counters = counters;
		this.#log = log;
		this.#keys = config.appKeys.map((key) => Buffer.from(key, "utf8"));
		store.on((change) => this.#onStoreChange(change));
		this.#local = {
			writeProperty: (thing, name, value) => this.writeProperty(thing, name, value),
			setBinding: (thing, name, patch) => this.#editBinding(() => store.setBinding(thing, name, patch, thing.properties.get(name)?.baseType)),
			removeBinding: (thing, name) => store.removeBinding(thing, name),
			clearHistory: (thing) => store.clearHistory(thing),
			remoteMetadata: (thing) => this.#remoteMetadata(thing),
			allProperties: (thing) => this.allProperties(thing),
		};
	}

	// ---- keys and sessions

	/** Constant-time comparison against every configured key. */
	checkKey(key: string | undefined): boolean {
		if (!key) return false;
		const given = Buffer.from(key, "utf8");
		let ok = false;
		for (const known of this.#keys) if (known.length === given.length && timingSafeEqual(known, given)) ok = true;
		return ok;
	}

	authenticate(claims: Array<[string, string]>): boolean {
		return this.checkKey(claims.find(([name]) => name === "appKey")?.[1]);
	}

	allocateSession(previous: number): number {
		this.#sessions.delete(previous);
		for (;;) {
			const id = randomBytes(4).readUInt32BE(0);
			if (id !== 0 && id !== 0xffffffff && !this.#sessions.has(id)) {
				this.#sessions.add(id);
				return id;
			}
		}
	}

	connectionOf(thingName: string): EdgeConnection | undefined {
		return this.#bound.get(thingName);
	}

	// ---- binding

	bind(connection: EdgeConnection, message: BindMessage): Reply {
		const missing: string[] = [];
		const now = Date.now();
		for (const name of message.names) {
			let thing = this.store.get(name);
			if (!thing) {
				if (this.config.bindPolicy === "not-found" || this.store.list().length >= this.store.maxThings) {
					missing.push(name);
					continue;
				}
				thing = this.store.autoCreate(name);
				this.#log.info(`auto-created thing ${name}`);
			}
			const previous = this.#bound.get(name);
			if (previous && previous !== connection) {
				previous.things.delete(name);
				this.#log.info(`${name} moves from ${previous.label} to connection ${connection.id} (last bind wins)`);
			}
			this.#bound.set(name, connection);
			connection.things.add(name);
			this.store.setConnected(thing, true, message.gateway, now);
		}
		if (missing.length) {
			this.#counters.bindRejected += missing.length;
			const why = this.config.bindPolicy === "not-found" ? "bind policy not-found" : `the store holds its maximum of ${this.store.maxThings} things (maxThings)`;
			this.#log.warn(`${connection.label}: BIND of unknown thing(s) ${missing.join(", ")}: NOT_FOUND (${why})`);
			return { code: Code.NOT_FOUND, reason: `unknown thing: ${missing.join(", ")}` + (this.config.bindPolicy === "not-found" ? "" : ` (${why})`) };
		}
		return { code: Code.SUCCESS };
	}

	afterBind(connection: EdgeConnection, message: BindMessage): void {
		for (const name of message.names) {
			if (this.#bound.get(name) !== connection) continue;
			this.#notify(connection, name);
			if (this.config.fetchMetadata) this.#fetchMetadata(connection, name);
			const mode = this.#wedged.get(name);
			if (mode !== undefined) connection.wedge(mode, mode === "silent" ? name : null);
		}
	}

	/** `name` is wedged (`mode`) on every connection that binds it from now on; "none" ends that. */
	wedgeEvery(name: string, mode: WedgeMode): void {
		if (mode === "none") this.#wedged.delete(name);
		else this.#wedged.set(name, mode);
	}

	unbind(connection: EdgeConnection, message: BindMessage): Reply {
		for (const name of message.names) this.#release(connection, name);
		return { code: Code.SUCCESS };
	}

	/** An administrative unbind: `name` is no longer routed to its connection, whose pushes for it are answered FORBIDDEN until it BINDs it again. */
	unbindThing(name: string): EdgeConnection {
		const connection = this.#bound.get(name);
		if (!connection) throw new PlatformError(Code.SERVICE_UNAVAILABLE, `${name} is not bound`);
		this.#release(connection, name);
		this.#counters.adminUnbinds++;
		this.#log.warn(`${name}: unbound from connection ${connection.id} by the administrator`);
		return connection;
	}

	closed(connection: EdgeConnection): void {
		for (const name of [...connection.things]) this.#release(connection, name);
		this.#sessions.delete(connection.sessionId);
	}

	#release(connection: EdgeConnection, name: string): void {
		connection.things.delete(name);
		if (this.#bound.get(name) !== connection) return;
		this.#bound.delete(name);
		const thing = this.store.get(name);
		if (thing) this.store.setConnected(thing, false, null, Date.now());
	}

	/** POST NotifyPropertyUpdate: the edge answers and comes back for GetPropertySubscriptions (§7.1). */
	#notify(connection: EdgeConnection, name: string): void {
		const thing = this.store.get(name);
		if (thing) this.store.setSynchronized(thing, false);
		connection.request(Code.POST, name, Characteristic.SERVICES, "NotifyPropertyUpdate", null, this.config.requestTimeoutMs).then(
			(response) => {
				if (response.code !== Code.SUCCESS) this.#log.warn(`${name}: NotifyPropertyUpdate answered ${codeName(response.code)}`);
			},
			(error: Error) => this.#log.warn(`${name}: NotifyPropertyUpdate: ${error.message}`),
		);
	}

	#fetchMetadata(connection: EdgeConnection, name: string): void {
		const pending = connection
			.request(Code.POST, name, Characteristic.SERVICES, "GetMetadata", null, this.config.requestTimeoutMs)
			.then((response) => this.#applyMetadata(name, response))
			.catch((error: Error) => this.#log.warn(`${name}: GetMetadata: ${error.message}`))
			.finally(() => {
				if (this.#metadataPending.get(name) === pending) this.#metadataPending.delete(name);
			});
		this.#metadataPending.set(name, pending);
	}

	#applyMetadata(name: string, response: ResponseMessage): void {
		const thing = this.store.get(name);
		if (!thing) return;
		if (response.code !== Code.SUCCESS) {
			this.#log.info(`${name}: GetMetadata answered ${codeName(response.code)}: no metadata`);
			return;
		}
		const cell = response.content?.rows[0]?.[0];
		if (!cell || typeof cell.value !== "string") {
			this.#log.warn(`${name}: GetMetadata result is not JSON text`);
			return;
		}
		try {
			this.store.applyMetadata(thing, parseMetadata(cell.value, isBaseTypeName));
		} catch (error) {
			if (!(error instanceof MetadataError)) throw error;
			this.#log.warn(`${name}: unusable metadata: ${error.message}`);
		}
	}

	#onStoreChange(change: StoreChange): void {
		if (change.kind !== "bindings") return;
		const { thing, origin } = change;
		if (origin === "discovery" || (origin === "metadata" && !thing.synchronized)) return;
		const connection = this.#bound.get(thing.name);
		if (connection) this.#notify(connection, thing.name);
	}

	#editBinding<T>(edit: () => T): T {
		try {
			return edit();
		} catch (error) {
			throw new ServiceError("bad-request", (error as Error).message);
		}
	}

	// ---- requests from the edge

	request(connection: EdgeConnection, message: RequestMessage): Reply | Promise<Reply> {
		if (message.sessionId !== connection.sessionId) this.#counters.sessionMismatches++;
		if (message.entityType !== EntityType.THING) return { code: Code.NOT_FOUND, reason: `entity type 0x${message.entityType.toString(16)} is not served here` };
		const thing = this.store.get(message.entityName);
		if (!thing) return { code: Code.NOT_FOUND, reason: `thing ${message.entityName} not found` };
		if (this.#bound.get(thing.name) !== connection) return { code: Code.FORBIDDEN, reason: `thing ${thing.name} is not bound on this connection` };
		const now = Date.now();
		thing.lastSeen = now;
		const name = message.characteristicName;
		switch (message.characteristicType) {
			case Characteristic.PROPERTIES:
				if (message.code === Code.GET) return this.#edgeRead(thing, name);
				if (message.code === Code.PUT) return this.#edgeWrite(thing, name, message.params, now);
				break;
			case Characteristic.SERVICES:
				if (message.code !== Code.POST) break;
				if (name === "UpdateSubscribedPropertyValues") return this.#push(thing, message.params, now);
				if (name === "GetPropertySubscriptions") return this.#subscriptions(thing);
				return this.#edgeService(thing, name, message.params);
			case Characteristic.EVENTS:
				if (message.code !== Code.POST) break;
				this.store.recordEvent(thing, name, message.params, now);
				this.#counters.eventsRecorded++;
				return { code: Code.SUCCESS };
			default:
				this.#counters.badParams++;
				return { code: Code.BAD_REQUEST, reason: `characteristic type ${message.characteristicType} is unknown` };
		}
		return { code: Code.METHOD_NOT_ALLOWED, reason: `${codeName(message.code)} is not allowed on ${name}` };
	}

	#push(thing: ThingRecord, params: InfoTable | null, now: number): Reply {
		let rows: PushRow[];
		try {
			rows = pushRows(params, now);
		} catch (error) {
			if (!(error instanceof ParamsError)) throw error;
			this.#counters.badParams++;
			this.#log.warn(`${thing.name}: bad UpdateSubscribedPropertyValues: ${error.message}`);
			return { code: Code.BAD_REQUEST, reason: error.message };
		}
		const unboundBefore = thing.unboundRows;
		const { stored, unbound } = this.store.recordPush(thing, rows, now);
		this.#counters.pushes++;
		this.#counters.rowsStored += stored;
		if (unbound) {
			this.#counters.rowsUnbound += unbound;
			if (unboundBefore === 0) this.#log.warn(`${thing.name}: pushed values of unbound properties are dropped (counted in rowsUnbound)`);
		}
		return { code: Code.SUCCESS };
	}

	/** The bindings as GetPropertySubscriptions rows, once any outstanding GetMetadata is in (bounded wait). */
	#subscriptions(thing: ThingRecord): Reply | Promise<Reply> {
		const pending = this.#metadataPending.get(thing.name);
		const answer = (): Reply => {
			const rows = thing.boundProperties().map((p): TypedValue[] => {
				const binding = p.binding as Binding;
				return [{ type: "STRING", value: binding.edgeName }, { type: "STRING", value: binding.pushType }, { type: "NUMBER", value: binding.pushThreshold }];
			});
			this.store.setSynchronized(thing, true);
			return { code: Code.SUCCESS, content: { fields: [...SUBSCRIPTION_FIELDS], rows } };
		};
		if (!pending) return answer();
		return Promise.race([pending, delay(this.config.metadataWaitMs)]).then(answer);
	}

	#edgeRead(thing: ThingRecord, name: string): Reply {
		if (name === "" || name === "*") return { code: Code.SUCCESS, content: this.allProperties(thing) };
		const table = this.#cachedTable(thing, name);
		return table ? { code: Code.SUCCESS, content: table } : { code: Code.NOT_FOUND, reason: `property ${name} not found` };
	}

	#edgeWrite(thing: ThingRecord, name: string, params: InfoTable | null, now: number): Reply {
		const values = firstRow(params);
		if (values.size === 0) {
			this.#counters.badParams++;
			return { code: Code.BAD_REQUEST, reason: `PUT ${name} without a value` };
		}
		const writes: Array<[string, TypedValue]> = name === "*" ? [...values] : [[name, values.get(name) ?? (values.size === 1 ? [...values.values()][0] : NOTHING)]];
		for (const [property] of writes) {
			if (BUILTIN_PROPERTIES.some(([builtin]) => builtin === property)) return { code: Code.FORBIDDEN, reason: `${property} is read-only` };
			if (!thing.properties.has(property) && (!thing.autoBind || thing.properties.size >= this.store.maxProperties)) return { code: Code.NOT_FOUND, reason: `property ${property} not found` };
		}
		for (const [property, value] of writes) this.store.setValue(thing, property, value, now);
		return { code: Code.SUCCESS };
	}

	async #edgeService(thing: ThingRecord, name: string, params: InfoTable | null): Promise<Reply> {
		const service = findLocalService(thing, name);
		if (!service) return { code: Code.NOT_FOUND, reason: `service ${name} not found` };
		try {
			const result = await service.run(this.#local, thing, firstRow(params));
			return { code: Code.SUCCESS, content: result };
		} catch (error) {
			const failure = this.#asPlatformError(error);
			return { code: failure.code, reason: failure.message };
		}
	}

	// ---- the platform's side, for REST and the dashboard

	thing(name: string): ThingRecord {
		const thing = this.store.get(name);
		if (!thing) throw new PlatformError(Code.NOT_FOUND, `thing ${name} not found`);
		return thing;
	}

	/** One row with the built-in and every thing property (GET .../Properties). */
	allProperties(thing: ThingRecord): InfoTable {
		const fields = BUILTIN_PROPERTIES.map(([name, type]) => field(name, type));
		const row = BUILTIN_PROPERTIES.map(([, , read]) => read(thing));
		for (const p of thing.properties.values()) {
			fields.push(field(p.name, p.baseType));
			row.push(p.current?.value ?? NOTHING);
		}
		return { fields, rows: [row] };
	}

	#cachedTable(thing: ThingRecord, name: string): InfoTable | null {
		const builtin = BUILTIN_PROPERTIES.find(([n]) => n === name);
		if (builtin) return singleValueTable(name, builtin[1], builtin[2](thing));
		const p = thing.properties.get(name);
		return p ? singleValueTable(name, p.baseType, p.current?.value ?? NOTHING) : null;
	}

	/** GET property: from the cache, or from the edge when the binding's cacheTime says so (-1 always, > 0 when older). */
	async readProperty(thing: ThingRecord, name: string): Promise<InfoTable> {
		const p = thing.properties.get(name);
		const connection = this.#bound.get(thing.name);
		const cacheTime = p?.binding?.cacheTime ?? 0;
		const stale = cacheTime < 0 || (cacheTime > 0 && (!p?.current || Date.now() - p.current.time > cacheTime * 1000));
		if (p?.binding && connection && stale) {
			const response = await this.#ask(connection, Code.GET, thing.name, Characteristic.PROPERTIES, p.binding.edgeName, null);
			const content = response.content;
			const column = content ? Math.max(0, content.fields.findIndex((f) => f.name === p.binding?.edgeName)) : -1;
			const value = content && content.rows.length ? content.rows[0][column] : undefined;
			if (value && value.type !== "NOTHING") this.store.setValue(thing, name, value, Date.now());
		}
		const table = this.#cachedTable(thing, name);
		if (!table) throw new PlatformError(Code.NOT_FOUND, `property ${name} not found on ${thing.name}`);
		return table;
	}

	/** The base type a JSON value for `name` is converted to. */
	propertyType(thing: ThingRecord, name: string, json: unknown): BaseTypeName {
		const p = thing.properties.get(name);
		if (p && p.baseType !== "NOTHING") return p.baseType;
		return thing.metadata?.properties.get(name)?.baseType ?? inferBaseType(json);
	}

	/** PUT property: forwarded to the bound edge for remote properties; stored once the edge says SUCCESS. */
	async writeProperty(thing: ThingRecord, name: string, value: TypedValue): Promise<void> {
		if (BUILTIN_PROPERTIES.some(([builtin]) => builtin === name)) throw new PlatformError(Code.FORBIDDEN, `${name} is read-only`);
		const p = thing.properties.get(name);
		if (!p) throw new PlatformError(Code.NOT_FOUND, `property ${name} not found on ${thing.name}`);
		if (p.binding) {
			const connection = this.#bound.get(thing.name);
			if (!connection) throw new PlatformError(Code.SERVICE_UNAVAILABLE, `${thing.name} is not connected`);
			const type = p.baseType === "NOTHING" ? (value.type === "VARIANT" ? value.value.type : value.type) : p.baseType;
			await this.#ask(connection, Code.PUT, thing.name, Characteristic.PROPERTIES, p.binding.edgeName, singleValueTable(p.binding.edgeName, type, value));
		}
		this.store.setValue(thing, name, value, Date.now());
	}

	/** Service: platform-local first, else forwarded to the bound edge (JSON params typed by its metadata). */
	async invokeService(thing: ThingRecord, name: string, params: Record<string, unknown>): Promise<InfoTable | null> {
		const local = findLocalService(thing, name);
		try {
			if (local) {
				const values = new Map<string, TypedValue>();
				for (const input of local.inputs) if (input.name in params) values.set(input.name, jsonToValue(params[input.name], input.baseType, input.name));
				return await local.run(this.#local, thing, values);
			}
			const connection = this.#bound.get(thing.name);
			if (!connection) {
				const known = thing.metadata?.services.has(name);
				throw new PlatformError(known === false ? Code.NOT_FOUND : Code.SERVICE_UNAVAILABLE, known === false ? `service ${name} not found on ${thing.name}` : `${thing.name} is not connected`);
			}
			const declared = thing.metadata?.services.get(name)?.inputs ?? [];
			return (await this.#ask(connection, Code.POST, thing.name, Characteristic.SERVICES, name, paramsToInfoTable(params, declared))).content;
		} catch (error) {
			throw this.#asPlatformError(error);
		}
	}

	/** Raw platform -> edge request: the edge's response whatever its status (tests, tools). */
	requestEdge(thingName: string, code: number, characteristic: number, name: string, params: InfoTable | null, timeoutMs = this.config.requestTimeoutMs): Promise<ResponseMessage> {
		const connection = this.#bound.get(thingName);
		if (!connection) return Promise.reject(new PlatformError(Code.SERVICE_UNAVAILABLE, `${thingName} is not connected`));
		return connection.request(code, thingName, characteristic, name, params, timeoutMs);
	}

	async #remoteMetadata(thing: ThingRecord): Promise<InfoTable | null> {
		const connection = this.#bound.get(thing.name);
		if (!connection) throw new PlatformError(Code.SERVICE_UNAVAILABLE, `${thing.name} is not connected`);
		const response = await this.#ask(connection, Code.POST, thing.name, Characteristic.SERVICES, "GetMetadata", null);
		this.#applyMetadata(thing.name, response);
		return response.content;
	}

	/** A request whose non-SUCCESS answer or failure becomes a PlatformError with the edge's status. */
	async #ask(connection: EdgeConnection, code: number, thing: string, characteristic: number, name: string, params: InfoTable | null): Promise<ResponseMessage> {
		let response: ResponseMessage;
		try {
			response = await connection.request(code, thing, characteristic, name, params, this.config.requestTimeoutMs);
		} catch (error) {
			throw this.#asPlatformError(error);
		}
		if (response.code !== Code.SUCCESS) throw new PlatformError(response.code, response.reason ?? `the edge answered ${codeName(response.code)}`);
		return response;
	}

	#asPlatformError(error: unknown): PlatformError {
		if (error instanceof PlatformError) return error;
		if (error instanceof EdgeError) {
			if (error.kind === "timeout") return new PlatformError(Code.GATEWAY_TIMEOUT, error.message);
			if (error.kind === "closed" || error.kind === "busy") return new PlatformError(Code.SERVICE_UNAVAILABLE, error.message);
			return new PlatformError(Code.BAD_GATEWAY, error.message);
		}
		if (error instanceof ServiceError) return new PlatformError(error.status === "not-found" ? Code.NOT_FOUND : Code.BAD_REQUEST, error.message);
		if (error instanceof Error && (error.name === "ConversionError" || error.name === "StoreError")) return new PlatformError(Code.BAD_REQUEST, error.message);
		if (error instanceof Error && error.name === "EncodeError") return new PlatformError(Code.BAD_REQUEST, `cannot encode: ${error.message}`);
		this.#counters.internalErrors++;
		this.#log.error(`internal error: ${(error as Error)?.stack ?? error}`);
		return new PlatformError(Code.INTERNAL_SERVER_ERROR, "internal error");
	}
}
