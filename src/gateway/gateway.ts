/*
 * The edge gateway: an EMS-style local REST interface (HttpServer) in front of the one AlwaysOn
 * connection the edge client holds.
 *
 *   POST /Thingworx/Things/LocalEms/Services/AddEdgeThing     {"name", "persist"?, "callback"?}  -> BIND
 *   POST /Thingworx/Things/LocalEms/Services/RemoveEdgeThing  {"name"}                           -> UNBIND
 *   POST /Thingworx/Things/LocalEms/Services/GetEdgeThings                                       -> InfoTable JSON
 *   GET  /Thingworx/Things/{thing}/Properties/{name}   registered: the gateway's value; else proxied
 *   PUT  /Thingworx/Things/{thing}/Properties/{name}   registered: pushed under its push rules; else proxied
 *   POST /Thingworx/Things/{thing}/Services/{service}  proxied to the platform
 *   any other /Thingworx/Things/... GET                proxied to the platform
 *
 * Registered things: their values live here (answered locally to the platform's GETs), their
 * registrations with `persist` are kept in the HAL store and registered again at start. What binds
 * them on the connection is the `ThingBinder` (binder.ts: the edge client's addThing/removeThing).
 * Proxied calls travel as AlwaysOn requests with the gateway's application key: a local client can do
 * whatever the platform lets that key do, and nothing more (README: gateway).
 */
import type { Hal } from "../../hal/hal";
import { GET, POST, PROPERTIES, PUT, SERVICES } from "../protocol/codes";
import type { BaseTypeName, InfoTable, ResponseMessage, TypedValue } from "../protocol/model";
import { RequestError } from "../client/errors";
import type { HttpRequest, HttpResponder } from "./http-server";
import { ConversionError, inferBaseType, infoTableToJson, isBaseTypeName, jsonToValue, paramsToInfoTable } from "./infotable-json";
import { LimitError } from "./gateway-thing";
import { httpStatus } from "./status";

/** What the gateway asks of the edge client (EdgeClient has it). */
export interface PlatformLink {
	readonly connected: boolean;
	/** `options.queue` false: an HTTP caller waits, so a proxied request fails at once rather than waiting in the offline queue. */
	request(code: number, entity: string, characteristic: number, name: string, params: InfoTable | null, options: { queue: boolean }): Promise<ResponseMessage>;
}

const DIRECT = Object.freeze({ queue: false });

/** A thing registered over REST: its name, callback and the values applications PUT. */
export interface RegisteredThing {
	readonly name: string;
	readonly persist: boolean;
	/** Where the platform's writes and service calls for it are forwarded ("" for none). */
	readonly callback: string;
}

/** Binds and unbinds registered things on the connection (the edge client's bound-entity seam). */
export interface ThingBinder {
	/** Registers `name` (BIND now if connected, and at every reconnect); returns its entity. */
	bind(name: string, callback: string): GatewayThing;
	/** UNBINDs and forgets it. */
	unbind(name: string): void;
	/** BINDs a registered thing again (after the platform refused it). */
	rebind(name: string): void;
	isBound(name: string): boolean;
	isSynchronized(name: string): boolean;
}

/** A registered thing's values, as the gateway reads and writes them. */
export interface GatewayThing {
	/** The value, or undefined for a property never written. */
	value(property: string): TypedValue | undefined;
	/** The type a property was first written with, or undefined. */
	typeOf(property: string): BaseTypeName | undefined;
	/** A new value from a local application: kept, and pushed under its push rules. */
	write(property: string, value: TypedValue, time: number): void;
	/** Resolves when the platform answers the next BIND naming the thing SUCCESS; a RequestError when it refuses it. */
	whenBound(): Promise<void>;
}

export interface GatewayLimits {
	/** Things that may be registered at once. */
	maxThings: number;
	/** AddEdgeThing on a live connection waits this long for the platform's answer to the BIND (default 10 s), then answers 200 (bound later). */
	bindWaitMs?: number;
}

const STORE_KEY = "gw.things";
const PREFIX = "/Thingworx/Things/";
const NAME_LIMIT = 256;

/** A REST answer made while handling a request. */
class HttpError extends Error {
	readonly status: number;
	constructor(status: number, message: string) {
		super(message);
		this.status = status;
	}
}

export class Gateway {
	#hal: Hal;
	#link: PlatformLink;
	#binder: ThingBinder;
	#limits: GatewayLimits;
	#things = new Map<string, RegisteredThing & { entity: GatewayThing }>();

	constructor(hal: Hal, link: PlatformLink, binder: ThingBinder, limits: GatewayLimits) {
		this.#hal = hal;
		this.#link = link;
		this.#binder = binder;
		this.#limits = limits;
	}

	/** Registers again what was registered with `persist` (kept in the HAL store), then `extra` (auto_bind). */
	restore(extra: ReadonlyArray<{ name: string; callback: string }>): string[] {
		const names: string[] = [];
		const saved = this.#hal.store.get(STORE_KEY);
		if (saved !== undefined) {
			let list: unknown;
			try {
				list = JSON.parse(saved);
			} catch {
				list = null;
			}
			if (!Array.isArray(list)) this.#hal.log("warn", "gateway: the saved registrations (" + STORE_KEY + ") are not a list; ignored");
			else for (const entry of list) {
				const e = entry as { name?: unknown; callback?: unknown };
				if (typeof e.name !== "string" || e.name === "") continue;
				this.register(e.name, true, typeof e.callback === "string" ? e.callback : "");
				names.push(e.name);
			}
		}
		for (const e of extra) if (!this.#things.has(e.name)) {
			this.register(e.name, false, e.callback);
			names.push(e.name);
		}
		return names;
	}

	/** The registered things, in registration order. */
	get registered(): readonly RegisteredThing[] {
		return Array.from(this.#things.values());
	}

	/** The HttpServer's handler. */
	handle = (request: HttpRequest, response: HttpResponder): void => {
		let pending: Promise<void> | void;
		try {
			pending = this.route(request, response);
		} catch (error) {
			return this.fail(error, response);
		}
		if (pending) pending.catch((error: unknown) => this.fail(error, response));
	};

	private fail(error: unknown, response: HttpResponder): void {
		if (error instanceof HttpError) return response.send(error.status, error.message + "\n", "text/plain");
		if (error instanceof ConversionError) return response.send(400, error.message + "\n", "text/plain");
		if (error instanceof LimitError) return response.send(409, error.message + "\n", "text/plain");
		if (error instanceof RequestError) return response.send(httpStatus(error.code), "platform: " + error.message + "\n", "text/plain");
		this.#hal.log("error", "gateway: " + (error instanceof Error ? error.message : String(error)));
		response.send(500, "internal error: " + (error instanceof Error ? error.message : String(error)) + "\n", "text/plain");
	}

	private route(request: HttpRequest, response: HttpResponder): Promise<void> | void {
		const query = request.target.indexOf("?");
		const path = query < 0 ? request.target : request.target.slice(0, query);
		if (!path.startsWith(PREFIX)) throw new HttpError(404, "only /Thingworx/Things/... is served here");
		const parts = path.slice(PREFIX.length).split("/");
		for (let i = 0; i < parts.length; i++) parts[i] = decode(parts[i]);
		const [thing, collection, name] = parts;
		if (thing === "" || parts.length > 3 || (parts.length > 1 && name === undefined && collection !== "Properties")) throw new HttpError(404, "no such resource: " + path);
		if (thing === "LocalEms") return this.local(request, response, collection, name);
		const registered = this.#things.get(thing);
		const method = request.method;
		if (collection === "Properties" && name !== undefined && registered !== undefined) {
			if (method === "GET") return this.readLocal(registered, name, response);
			if (method === "PUT") return this.writeLocal(registered, name, request, response);
			throw new HttpError(405, "properties are read with GET and written with PUT");
		}
		if (collection === "Services") {
			if (method !== "POST") throw new HttpError(405, "services are invoked with POST");
			return this.proxy(POST, thing, SERVICES, name!, paramsToInfoTable(body(request, this.#hal), [], this.#hal), response);
		}
		if (collection === "Properties" && name !== undefined) {
			if (method === "GET") return this.proxy(GET, thing, PROPERTIES, name, null, response);
			if (method === "PUT") return this.proxy(PUT, thing, PROPERTIES, name, this.propertyTable(name, body(request, this.#hal), undefined), response);
			throw new HttpError(405, "properties are read with GET and written with PUT");
		}
		throw new HttpError(404, "the gateway serves /Thingworx/Things/{thing}/Properties/{name} and /Services/{name}, not " + path);
	}

	private local(request: HttpRequest, response: HttpResponder, collection: string | undefined, service: string | undefined): Promise<void> | void {
		if (collection !== "Services" || service === undefined) throw new HttpError(404, "LocalEms has services only: AddEdgeThing, RemoveEdgeThing, GetEdgeThings");
		if (request.method !== "POST") throw new HttpError(405, "services are invoked with POST");
		const input = body(request, this.#hal);
		switch (service) {
			case "AddEdgeThing": {
				const name = thingName(input.name);
				if (input.persist !== undefined && typeof input.persist !== "boolean") throw new HttpError(400, "persist must be true or false");
				const callback = input.callback === undefined ? "" : callbackUrl(input.callback);
				if (!this.#things.has(name) && this.#things.size >= this.#limits.maxThings) throw new HttpError(409, "the gateway holds " + this.#limits.maxThings + " things already (its limit); remove one first");
				const known = this.#things.get(name)?.callback === callback;
				this.register(name, input.persist === true, callback);
				this.save();
				if (!this.#link.connected || this.#binder.isBound(name)) return response.send(200, "", "");
				if (known) this.#binder.rebind(name); // registered again after a refusal: the platform is asked again
				return this.bound(name, response);
			}
			case "RemoveEdgeThing": {
				const name = thingName(input.name);
				if (!this.#things.delete(name)) throw new HttpError(404, "no registered thing is named " + name);
				this.#binder.unbind(name);
				this.save();
				this.#hal.log("info", "gateway: " + name + " removed");
				return response.send(200, "", "");
			}
			case "GetEdgeThings":
				return response.send(200, JSON.stringify(infoTableToJson(this.list(), this.#hal)), "application/json");
			default:
				throw new HttpError(404, "LocalEms has no service " + service + " (AddEdgeThing, RemoveEdgeThing, GetEdgeThings)");
		}
	}

	/**
	 * Answers AddEdgeThing once the platform answered the thing's BIND: 200, or its refusal (the thing
	 * is then forgotten, as the EMS does not keep what the platform will not bind). No answer within
	 * bindWaitMs (or the connection lost meanwhile): 200, the thing is bound when the platform allows.
	 */
	private bound(name: string, response: HttpResponder): Promise<void> {
		const thing = this.#things.get(name)!;
		return new Promise<void>((resolve, reject) => {
			const timer = this.#hal.timers.set(() => {
				response.send(200, "", "");
				resolve();
			}, this.#limits.bindWaitMs ?? 10000);
			thing.entity.whenBound().then(
				() => {
					this.#hal.timers.clear(timer);
					response.send(200, "", "");
					resolve();
				},
				(error: unknown) => {
					this.#hal.timers.clear(timer);
					if (this.#things.get(name) === thing) {
						this.#things.delete(name);
						this.#binder.unbind(name);
						this.save();
					}
					reject(error);
				},
			);
		});
	}

	private register(name: string, persist: boolean, callback: string): void {
		const known = this.#things.get(name);
		if (known !== undefined && known.callback === callback) {
			this.#things.set(name, { name, persist, callback, entity: known.entity });
			return;
		}
		if (known !== undefined) this.#binder.unbind(name);
		const entity = this.#binder.bind(name, callback);
		this.#things.set(name, { name, persist, callback, entity });
		this.#hal.log("info", "gateway: " + name + " registered" + (persist ? " (persisted)" : ""));
	}

	private save(): void {
		const list: Array<{ name: string; callback: string }> = [];
		for (const t of this.#things.values()) if (t.persist) list.push({ name: t.name, callback: t.callback });
		if (list.length === 0) this.#hal.store.delete(STORE_KEY);
		else this.#hal.store.set(STORE_KEY, JSON.stringify(list));
	}

	private list(): InfoTable {
		const rows: TypedValue[][] = [];
		for (const t of this.#things.values()) {
			rows.push([
				{ type: "STRING", value: t.name },
				{ type: "BOOLEAN", value: t.persist },
				{ type: "BOOLEAN", value: this.#binder.isBound(t.name) },
				{ type: "BOOLEAN", value: this.#binder.isSynchronized(t.name) },
				{ type: "STRING", value: t.callback },
			]);
		}
		return {
			fields: [field("name", "STRING"), field("persist", "BOOLEAN"), field("isBound", "BOOLEAN"), field("isSynchronized", "BOOLEAN"), field("callback", "STRING")],
			rows,
		};
	}

	private readLocal(thing: RegisteredThing & { entity: GatewayThing }, name: string, response: HttpResponder): void {
		const value = thing.entity.value(name);
		if (value === undefined) throw new HttpError(404, thing.name + " has no property " + name + " yet (PUT it first)");
		const table: InfoTable = { fields: [field(name, thing.entity.typeOf(name) ?? value.type)], rows: [[value]] };
		response.send(200, JSON.stringify(infoTableToJson(table, this.#hal)), "application/json");
	}

	private writeLocal(thing: RegisteredThing & { entity: GatewayThing }, name: string, request: HttpRequest, response: HttpResponder): void {
		const table = this.propertyTable(name, body(request, this.#hal), thing.entity.typeOf(name));
		const value = table.rows[0][0];
		const declared = thing.entity.typeOf(name);
		if (declared !== undefined && declared !== value.type) throw new HttpError(400, thing.name + "." + name + " is a " + declared + ", not a " + value.type);
		thing.entity.write(name, value, this.#hal.now());
		response.send(200, "", "");
	}

	/** `{"<name>": value}` (the platform's PUT body) as a one-row table; the type is `known`, else inferred. */
	private propertyTable(name: string, input: Record<string, unknown>, known: BaseTypeName | undefined): InfoTable {
		if (!(name in input)) throw new HttpError(400, 'body must be {"' + name + '": value}');
		let raw = input[name];
		let type = known;
		// The InfoTable form a ThingWorx client may send: {"<name>": {"dataShape": ..., "rows": [{"<name>": v}]}}.
		if (raw !== null && typeof raw === "object" && !Array.isArray(raw) && Array.isArray((raw as { rows?: unknown }).rows) && known !== "INFOTABLE") {
			const table = raw as { rows: Array<Record<string, unknown>>; dataShape?: { fieldDefinitions?: Record<string, { baseType?: unknown }> } };
			const declared = table.dataShape?.fieldDefinitions?.[name]?.baseType;
			if (type === undefined && typeof declared === "string" && isBaseTypeName(declared)) type = declared;
			raw = table.rows[0]?.[name];
		}
		const baseType = type ?? inferBaseType(raw);
		if (baseType === "NOTHING") throw new HttpError(400, name + ": a value is required");
		return { fields: [field(name, baseType)], rows: [[jsonToValue(raw, baseType, name, this.#hal)]] };
	}

	private proxy(code: number, thing: string, characteristic: number, name: string, params: InfoTable | null, response: HttpResponder): Promise<void> {
		if (!this.#link.connected) throw new HttpError(503, "not connected to the platform; try again when the gateway is connected");
		return this.#link.request(code, thing, characteristic, name, params, DIRECT).then((answer) => {
			const content = answer.content;
			if (content === null) response.send(200, "", "");
			else response.send(200, JSON.stringify(infoTableToJson(content, this.#hal)), "application/json");
		});
	}
}

function field(name: string, baseType: BaseTypeName) {
	return { name, description: "", baseType, aspects: [] };
}

function decode(segment: string): string {
	try {
		return decodeURIComponent(segment);
	} catch {
		throw new HttpError(400, "malformed percent-encoding in the path");
	}
}

/** The request body as a JSON object ({} when empty). */
function body(request: HttpRequest, hal: Hal): Record<string, unknown> {
	if (request.body.length === 0) return {};
	let value: unknown;
	try {
		value = JSON.parse(hal.utf8Decode(request.body, 0, request.body.length));
	} catch {
		throw new HttpError(400, "the body must be a JSON object in UTF-8");
	}
	if (value === null || typeof value !== "object" || Array.isArray(value)) throw new HttpError(400, "the body must be a JSON object");
	return value as Record<string, unknown>;
}

function thingName(value: unknown): string {
	if (typeof value !== "string" || value === "") throw new HttpError(400, 'body must be {"name": "<thing name>"}');
	if (value.length > NAME_LIMIT) throw new HttpError(400, "a thing name is at most " + NAME_LIMIT + " characters");
	return value;
}

/** A callback must be plain http to a host and port: the gateway forwards to local applications only. */
function callbackUrl(value: unknown): string {
	if (typeof value !== "string" || !/^http:\/\/[A-Za-z0-9.\-]+:\d{1,5}(\/[^\s]*)?$/.test(value)) throw new HttpError(400, 'callback must be "http://host:port/path"');
	return value;
}
