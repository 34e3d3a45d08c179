/*
 * A thing registered over the gateway's REST interface, as the edge client binds it (BoundEntity) and
 * as the gateway's routes read and write it (GatewayThing). Its properties come into being when an
 * application first PUTs them (at most `maxProperties`), typed by that first value; their values live
 * here, go through the client's push rules (queued until the thing is synchronized) and answer the
 * platform's GETs. The platform's PUTs and service calls go to the registering application's callback
 * URL when it gave one:
 *   PUT  <callback>/Properties/<name>   {"<name>": value}             2xx: the value is taken (and kept here)
 *   POST <callback>/Services/<name>     {"<input>": value, ...}       2xx: empty (no result), an InfoTable
 *                                                                     JSON ({dataShape?, rows}), or any JSON
 *                                                                     value (a one-row "result" table)
 * Without one a PUT is kept here (the application reads it with GET) and a service call is refused
 * NOT_IMPLEMENTED, as is GetMetadata (the gateway knows no more than the values' types). The callback's refusals come back as the platform's codes (400, 403, 404, else 500);
 * an unreachable or silent callback is BAD_GATEWAY or GATEWAY_TIMEOUT.
 */
import type { Hal } from "../../hal/hal";
import type { BoundEntity, EntityLink, PushedProperty, Reply } from "../client/entity";
import { applyPushType, PUSH_ALWAYS } from "../client/entity";
import { RequestError } from "../client/errors";
import { decodeMessage, encodeName, type ParamsReader, type RequestHead } from "../protocol";
import {
	BAD_GATEWAY, BAD_REQUEST, FORBIDDEN, GATEWAY_TIMEOUT, GET, INTERNAL_SERVER_ERROR, METHOD_NOT_ALLOWED, NOT_FOUND, NOT_IMPLEMENTED,
	POST, PROPERTIES, PUT, SERVICE_UNAVAILABLE, SERVICES, SUCCESS,
} from "../protocol/codes";
import { valueKind } from "../protocol/kinds";
import type { BaseTypeName, InfoTable, RequestMessage, TypedValue } from "../protocol/model";
import type { GatewayThing } from "./gateway";
import { HttpClientError, type HttpAnswer, type HttpClient } from "./http-client";
import { inferBaseType, jsonToInfoTable, jsonToValue, singleValueTable, valueToJson } from "./infotable-json";

const GOOD = "GOOD";
const GOOD_BYTES = encodeName(GOOD);
const NOTIFY_PROPERTY_UPDATE = "NotifyPropertyUpdate";
const GET_METADATA = "GetMetadata";

/** More properties than a registered thing may have. */
export class LimitError extends Error {}

class GatewayProperty implements PushedProperty {
	readonly name: string;
	readonly nameBytes: Uint8Array;
	readonly index: number;
	readonly baseType: BaseTypeName;
	readonly kind: number;
	readonly fold = false;
	pushCode = PUSH_ALWAYS;
	pushThreshold = 0;
	value: TypedValue;
	time = 0;
	readonly quality = GOOD;
	readonly qualityBytes = GOOD_BYTES;

	constructor(name: string, index: number, value: TypedValue) {
		this.name = name;
		this.nameBytes = encodeName(name);
		this.index = index;
		this.baseType = value.type;
		this.kind = valueKind(value.type);
		this.value = value;
	}

	applySubscription(pushType: string, threshold: number): boolean {
		return applyPushType(this, pushType, threshold);
	}
}

export class RegisteredGatewayThing implements BoundEntity, GatewayThing {
	readonly name: string;
	readonly nameBytes: Uint8Array;
	readonly properties: GatewayProperty[] = [];
	#callback: string;
	#http: HttpClient;
	#hal: Hal;
	#maxProperties: number;
	#link: EntityLink | null = null;
	/** Waiting for the answer to the next BIND that names the thing: resolve, reject, resolve, ... */
	#bindWaiters: Array<((value: void) => void) | ((error: Error) => void)> = [];

	constructor(hal: Hal, name: string, callback: string, http: HttpClient, maxProperties: number) {
		this.#hal = hal;
		this.name = name;
		this.nameBytes = encodeName(name);
		this.#callback = callback.endsWith("/") ? callback.slice(0, -1) : callback;
		this.#http = http;
		this.#maxProperties = maxProperties;
	}

	// --- GatewayThing: the REST routes ---

	value(property: string): TypedValue | undefined {
		return this.find(property)?.value;
	}

	typeOf(property: string): BaseTypeName | undefined {
		return this.find(property)?.baseType;
	}

	/** A value from a local application (its type checked by the gateway): kept, and handed to the push rules. */
	write(property: string, value: TypedValue, time: number): void {
		let p = this.find(property);
		if (p === undefined) {
			if (this.properties.length >= this.#maxProperties) throw new LimitError(this.name + " has " + this.#maxProperties + " properties already (the gateway's limit per thing)");
			p = new GatewayProperty(property, this.properties.length, value);
			this.properties.push(p);
		}
		p.value = value;
		p.time = time;
		if (this.#link !== null) this.#link.propertyChanged(this, p);
	}

	/** Resolves when the platform answers the next BIND naming the thing SUCCESS; a RequestError when it refuses it. */
	whenBound(): Promise<void> {
		return new Promise<void>((resolve, reject) => this.#bindWaiters.push(resolve, reject));
	}

	// --- BoundEntity: the platform's requests ---

	attach(link: EntityLink | null): void {
		this.#link = link;
	}

	bindAnswered(code: number, reason: string | null): void {
		const waiters = this.#bindWaiters;
		if (waiters.length === 0) return;
		this.#bindWaiters = [];
		const refusal = code === SUCCESS ? null : new RequestError(code, "the platform refused to bind " + this.name + (reason ? " (" + reason + ")" : ""));
		for (let i = 0; i < waiters.length; i += 2) {
			if (refusal === null) (waiters[i] as (value: void) => void)();
			else (waiters[i + 1] as (error: Error) => void)(refusal);
		}
	}

	answer(bytes: Uint8Array, _head: RequestHead, _params: ParamsReader): Reply | Promise<Reply> {
		const request = decodeMessage(bytes) as RequestMessage; // a DecodeError is answered BAD_REQUEST by the client
		const name = request.characteristicName;
		if (request.characteristicType === PROPERTIES) {
			if (request.code === GET) {
				const p = this.find(name);
				return p === undefined ? reply(NOT_FOUND, this.name + " has no property " + name + " (no application has PUT it)") : reply(SUCCESS, null, singleValueTable(name, p.baseType, p.value));
			}
			if (request.code === PUT) return this.platformWrite(name, request.params);
		} else if (request.characteristicType === SERVICES && request.code === POST) {
			if (name === NOTIFY_PROPERTY_UPDATE) {
				if (this.#link !== null) this.#link.propertyUpdateNotified(this);
				return reply(SUCCESS, null);
			}
			if (name === GET_METADATA) return reply(NOT_IMPLEMENTED, "the gateway keeps no metadata for " + this.name + " (its properties are typed by their first value)");
			return this.invoke(name, request.params);
		}
		return reply(METHOD_NOT_ALLOWED, "a registered thing answers property GET and PUT and service POST");
	}

	private platformWrite(name: string, params: InfoTable | null): Reply | Promise<Reply> {
		const column = params === null ? -1 : params.fields.findIndex((f) => f.name === name);
		const value = column < 0 ? undefined : params!.rows[0]?.[column];
		if (value === undefined || value.type === "NOTHING") return reply(BAD_REQUEST, "no value for " + name);
		const known = this.find(name);
		if (known !== undefined && known.baseType !== value.type) return reply(BAD_REQUEST, name + " is a " + known.baseType + ", not a " + value.type);
		if (this.#callback === "") return this.take(name, value);
		const body = JSON.stringify({ [name]: valueToJson(value, this.#hal) });
		return this.forward("PUT", "/Properties/" + encodeURIComponent(name), body).then((answer) => (answer instanceof HttpAnswerError ? answer.reply : this.take(name, value)));
	}

	/** The platform's value, kept as if an application had PUT it. */
	private take(name: string, value: TypedValue): Reply {
		try {
			this.write(name, value, this.#hal.now());
		} catch (error) {
			if (error instanceof LimitError) return reply(FORBIDDEN, error.message);
			throw error;
		}
		return reply(SUCCESS, null);
	}

	private invoke(service: string, params: InfoTable | null): Reply | Promise<Reply> {
		if (this.#callback === "") return reply(NOT_IMPLEMENTED, this.name + " was registered without a callback: the gateway cannot run its service " + service);
		const inputs: Record<string, unknown> = {};
		if (params !== null && params.rows.length > 0) for (let i = 0; i < params.fields.length; i++) inputs[params.fields[i].name] = valueToJson(params.rows[0][i], this.#hal);
		return this.forward("POST", "/Services/" + encodeURIComponent(service), JSON.stringify(inputs)).then((answer) => (answer instanceof HttpAnswerError ? answer.reply : this.result(service, answer)));
	}

	/** The callback's answer to a service call as the platform's result. */
	private result(service: string, answer: HttpAnswer): Reply {
		if (answer.body.length === 0) return reply(SUCCESS, null);
		let json: unknown;
		try {
			json = JSON.parse(this.#hal.utf8Decode(answer.body, 0, answer.body.length));
		} catch {
			return reply(BAD_GATEWAY, "the callback's answer to " + service + " is not JSON");
		}
		try {
			if (json !== null && typeof json === "object" && !Array.isArray(json) && Array.isArray((json as { rows?: unknown }).rows)) return reply(SUCCESS, null, jsonToInfoTable(json, "result", this.#hal));
			const type = inferBaseType(json);
			return reply(SUCCESS, null, type === "NOTHING" ? null : singleValueTable("result", type, jsonToValue(json, type, "result", this.#hal)));
		} catch (error) {
			return reply(BAD_GATEWAY, "the callback's answer to " + service + ": " + (error as Error).message);
		}
	}

	/** The callback's 2xx answer, or the platform's reply for anything else. */
	private forward(method: string, path: string, body: string): Promise<HttpAnswer | HttpAnswerError> {
		const where = method + " " + this.#callback + path;
		return this.#http.request(method, this.#callback + path, body).then(
			(answer) => (answer.status >= 200 && answer.status < 300 ? answer : new HttpAnswerError(reply(callbackCode(answer.status), where + ": HTTP " + answer.status))),
			(error: unknown) => {
				if (!(error instanceof HttpClientError)) throw error;
				const code = error.kind === "timeout" ? GATEWAY_TIMEOUT : error.kind === "busy" ? SERVICE_UNAVAILABLE : BAD_GATEWAY;
				return new HttpAnswerError(reply(code, where + ": " + error.message));
			},
		);
	}

	private find(name: string): GatewayProperty | undefined {
		const properties = this.properties;
		for (let i = 0; i < properties.length; i++) if (properties[i].name === name) return properties[i];
		return undefined;
	}
}

/** A callback's non-2xx answer or failure, as the reply the platform gets. */
class HttpAnswerError {
	readonly reply: Reply;
	constructor(r: Reply) {
		this.reply = r;
	}
}

/** The platform's code for a callback's HTTP status. */
function callbackCode(status: number): number {
	switch (status) {
		case 400: return BAD_REQUEST;
		case 403: return FORBIDDEN;
		case 404: return NOT_FOUND;
		default: return INTERNAL_SERVER_ERROR;
	}
}

function reply(code: number, reason: string | null, content: InfoTable | null = null): Reply {
	return { code, reason, content, property: null };
}
