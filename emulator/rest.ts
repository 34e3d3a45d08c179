/*
 * The REST API, shaped like ThingWorx's for the calls scripts use (appKey header, JSON bodies,
 * InfoTable JSON answers):
 *   GET  /Thingworx/Things                              things, one row each
 *   GET  /Thingworx/Things/{thing}                      the thing's definition (properties, services, events)
 *   GET  /Thingworx/Things/{thing}/Properties           one row with every property
 *   GET  /Thingworx/Things/{thing}/Properties/{name}    one property (from the edge when cacheTime asks)
 *   PUT  /Thingworx/Things/{thing}/Properties/{name}    body {"<name>": value}; "*" writes several
 *   POST /Thingworx/Things/{thing}/Services/{service}   body {param: value}; platform-local or forwarded
 * Edge statuses map to HTTP as src/gateway/status.ts says (the gateway's proxy maps them the same way).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { httpStatus } from "../src/gateway/status";
import type { InfoTable, TypedValue } from "../src/protocol/model";
import type { Access } from "./access";
import { HttpError, readJsonObject, segments, sendEmpty, sendJson, sendText } from "./http";
import { ConversionError, infoTableToJson, jsonToValue } from "./infotable-json";
import { Platform, PlatformError } from "./platform";
import type { ThingRecord } from "./store";
import { thingView } from "./views";

export { httpStatus };

export class RestApi {
	#platform: Platform;
	#access: Access;

	constructor(platform: Platform, access: Access) {
		this.#platform = platform;
		this.#access = access;
	}

	/** Serves a /Thingworx/... request. */
	async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
		try {
			if (!this.#access.authorized(req)) throw new HttpError(401, "authentication required: send a valid appKey header");
			await this.#route(req, res, segments(path).slice(1));
		} catch (error) {
			if (error instanceof HttpError) sendText(res, error.status, error.message);
			else if (error instanceof PlatformError) sendText(res, httpStatus(error.code), error.message);
			else if (error instanceof ConversionError) sendText(res, 400, error.message);
			else throw error;
		}
	}

	async #route(req: IncomingMessage, res: ServerResponse, parts: string[]): Promise<void> {
		const method = req.method ?? "GET";
		if (parts[0] !== "Things") throw new HttpError(404, "only /Thingworx/Things/... is served by the emulator");
		if (parts.length === 1) return this.#only(method, "GET", () => sendJson(res, 200, this.#thingList()));
		const thing = this.#platform.thing(parts[1]);
		if (parts.length === 2) return this.#only(method, "GET", () => sendJson(res, 200, thingView(thing, this.#platform.connectionOf(thing.name)?.id ?? null)));
		const [collection, name] = [parts[2], parts[3]];
		if (parts.length > 4 || (collection !== "Properties" && collection !== "Services")) throw new HttpError(404, `no such resource: ${parts.slice(2).join("/")}`);
		if (collection === "Properties" && name === undefined) {
			return this.#only(method, "GET", () => sendJson(res, 200, infoTableToJson(this.#platform.allProperties(thing))));
		}
		if (name === undefined) throw new HttpError(404, "a service name is required");
		if (collection === "Services") {
			if (method !== "POST") throw new HttpError(405, "services are invoked with POST");
			const result = await this.#platform.invokeService(thing, name, await readJsonObject(req));
			return result ? sendJson(res, 200, infoTableToJson(result)) : sendEmpty(res);
		}
		if (method === "GET") return sendJson(res, 200, infoTableToJson(await this.#platform.readProperty(thing, name)));
		if (method === "PUT") {
			await this.#write(thing, name, await readJsonObject(req));
			return sendEmpty(res);
		}
		throw new HttpError(405, "properties are read with GET and written with PUT");
	}

	#only(method: string, allowed: string, serve: () => void): void {
		if (method !== allowed) throw new HttpError(405, `only ${allowed} is allowed here`);
		serve();
	}

	async #write(thing: ThingRecord, name: string, body: Record<string, unknown>): Promise<void> {
		const names = name === "*" ? Object.keys(body) : [name];
		if (names.length === 0 || !(names[0] in body)) throw new HttpError(400, `body must be {"${name}": value}`);
		const values: Array<[string, TypedValue]> = names.map((n) => [n, jsonToValue(body[n], this.#platform.propertyType(thing, n, body[n]), n)]);
		for (const [n, value] of values) await this.#platform.writeProperty(thing, n, value);
	}

	#thingList(): ReturnType<typeof infoTableToJson> {
		const table: InfoTable = {
			fields: [
				{ name: "name", description: "", baseType: "STRING", aspects: [] },
				{ name: "description", description: "", baseType: "STRING", aspects: [] },
				{ name: "thingTemplate", description: "", baseType: "THINGTEMPLATENAME", aspects: [] },
				{ name: "isConnected", description: "", baseType: "BOOLEAN", aspects: [] },
				{ name: "lastConnection", description: "", baseType: "DATETIME", aspects: [] },
			],
			rows: this.#platform.store.list().map((t) => [
				{ type: "STRING", value: t.name },
				{ type: "STRING", value: t.description },
				{ type: "THINGTEMPLATENAME", value: "RemoteThing" },
				{ type: "BOOLEAN", value: t.isConnected },
				{ type: "DATETIME", value: t.lastConnection },
			]),
		};
		return infoTableToJson(table);
	}
}
