/*
 * The dashboard's HTTP side: its static files (emulator/dashboard/), session opening, a state
 * snapshot, frame details and a server-sent-events stream. Store changes and frames are batched and
 * sent every 250 ms, and only while a browser listens, so a busy fleet costs nothing when nobody
 * watches.
 *   GET  /dashboard/                 the page (no key needed; it asks for one or uses the URL token)
 *   POST /Emulator/Session           {token} or the appKey header -> session cookie
 *   GET  /Emulator/State             things, recent events and frames, counters
 *   GET  /Emulator/Stream            text/event-stream of batches
 *   GET  /Emulator/Frames/{id}       one decoded frame
 *   GET  /Emulator/Status            counters and connections
 *   POST /Emulator/Wedge             {thing [, every] | connection, mode} -> {connection} (faults.ts)
 *   POST /Emulator/Unbind            {thing} -> {connection}: an administrative unbind
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Access } from "./access";
import type { AlwaysOnHub } from "./alwayson-server";
import type { WedgeMode } from "./edge-connection";
import type { Faults } from "./faults";
import { HttpError, readJsonObject, segments, sendJson, sendText } from "./http";
import { PlatformError, type Platform } from "./platform";
import { httpStatus } from "../src/gateway/status";
import { messageToJson, type FrameEntry, type ProtocolLog } from "./protocol-log";
import type { EventRecord, PropertyRecord, StoreChange, ThingRecord, Vtq } from "./store";
import { eventView, thingView, vtqToJson } from "./views";

const STATIC: Readonly<Record<string, [string, string]>> = Object.freeze({
	"": ["index.html", "text/html; charset=utf-8"],
	"index.html": ["index.html", "text/html; charset=utf-8"],
	"app.js": ["app.js", "text/javascript; charset=utf-8"],
	"chart.js": ["chart.js", "text/javascript; charset=utf-8"],
	"style.css": ["style.css", "text/css; charset=utf-8"],
});
const FLUSH_MS = 250;
const FRAMES_PER_BATCH = 100;
const POINTS_PER_PROPERTY = 50;
const HEARTBEAT_MS = 15000;

interface PendingValues {
	thing: ThingRecord;
	property: PropertyRecord;
	points: Vtq[];
}

export class Dashboard {
	#platform: Platform;
	#hub: AlwaysOnHub;
	#access: Access;
	#frames: ProtocolLog;
	#faults: Faults;
	#clients = new Set<ServerResponse>();
	#things = new Set<ThingRecord>();
	#values = new Map<PropertyRecord, PendingValues>();
	#events: EventRecord[] = [];
	#newFrames: FrameEntry[] = [];
	#framesSkipped = 0;
	#timer: NodeJS.Timeout | null = null;
	#heartbeat: NodeJS.Timeout;
	#unsubscribe: Array<() => void>;

	constructor(platform: Platform, hub: AlwaysOnHub, access: Access, frames: ProtocolLog, faults: Faults) {
		this.#platform = platform;
		this.#faults = faults;
		this.#hub = hub;
		this.#access = access;
		this.#frames = frames;
		this.#unsubscribe = [platform.store.on((change) => this.#onChange(change)), frames.on((entry) => this.#onFrame(entry))];
		this.#heartbeat = setInterval(() => {
			for (const client of this.#clients) client.write(": keep-alive\n\n");
		}, HEARTBEAT_MS);
		this.#heartbeat.unref();
	}

	async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
		try {
			await this.#route(req, res, path);
		} catch (error) {
			if (!(error instanceof HttpError)) throw error;
			sendText(res, error.status, error.message);
		}
	}

	async #route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
		if (path === "/dashboard") {
			res.writeHead(302, { Location: "/dashboard/" }).end();
			return;
		}
		if (path.startsWith("/dashboard/")) return this.#static(res, path.slice("/dashboard/".length));
		const parts = segments(path).slice(1);
		const method = req.method ?? "GET";
		if (parts[0] === "Session" && method === "POST") {
			const body = await readJsonObject(req);
			const session = this.#access.open(this.#access.keyOf(req), typeof body.token === "string" ? body.token : undefined);
			if (!session) throw new HttpError(401, "unknown or used token, or wrong application key");
			res.writeHead(204, { "Set-Cookie": this.#access.setCookie(session), "Cache-Control": "no-store" }).end();
			return;
		}
		if (!this.#access.authorized(req)) throw new HttpError(401, "authentication required");
		if (method === "POST" && (parts[0] === "Wedge" || parts[0] === "Unbind")) return this.#fault(res, parts[0], await readJsonObject(req));
		if (method !== "GET") throw new HttpError(405, "GET only");
		switch (parts[0]) {
			case "State":
				return sendJson(res, 200, this.#state());
			case "Status":
				return sendJson(res, 200, { counters: this.#hub.snapshot(), connections: this.#connections() });
			case "Stream":
				return this.#stream(req, res);
			case "Frames": {
				const entry = this.#frames.find(Number(parts[1]));
				if (!entry) throw new HttpError(404, "frame no longer kept");
				return sendJson(res, 200, { ...frameView(entry), message: entry.message ? messageToJson(entry.message) : null });
			}
		}
		throw new HttpError(404, "not found");
	}

	#fault(res: ServerResponse, which: string, body: Record<string, unknown>): void {
		const thing = typeof body.thing === "string" ? body.thing : undefined;
		try {
			if (which === "Unbind") {
				if (thing === undefined) throw new HttpError(400, 'body must be {"thing": name}');
				return sendJson(res, 200, { connection: this.#faults.unbind(thing) });
			}
			const connection = typeof body.connection === "number" ? body.connection : undefined;
			return sendJson(res, 200, { connection: this.#faults.wedge({ thing, connection, every: body.every === true }, body.mode as WedgeMode) });
		} catch (error) {
			if (!(error instanceof PlatformError)) throw error;
			throw new HttpError(httpStatus(error.code), error.message);
		}
	}

	#static(res: ServerResponse, name: string): void {
		const file = STATIC[name];
		if (!file) throw new HttpError(404, "not found");
		const body = readFileSync(new URL(`./dashboard/${file[0]}`, import.meta.url));
		res.writeHead(200, { "Content-Type": file[1], "Content-Length": body.length, "Cache-Control": "no-cache" });
		res.end(body);
	}

	#connections() {
		return [...this.#hub.connections].map((c) => ({
			id: c.id, remote: c.remote, state: c.state, session: c.sessionId, things: [...c.things], deflate: c.deflate,
			openedAt: c.openedAt, lastActivity: c.lastActivity, pendingRequests: c.pendingRequests,
		}));
	}

	#thingView(thing: ThingRecord) {
		return thingView(thing, this.#platform.connectionOf(thing.name)?.id ?? null);
	}

	#state() {
		return {
			things: this.#platform.store.list().map((t) => this.#thingView(t)),
			events: this.#platform.store.recentEvents.toArray().map(eventView),
			frames: this.#frames.entries.toArray().slice(-FRAMES_PER_BATCH).map(frameView),
			counters: this.#hub.snapshot(),
			connections: this.#connections(),
		};
	}

	#stream(req: IncomingMessage, res: ServerResponse): void {
		res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store", Connection: "keep-alive" });
		res.write(`event: state\ndata: ${JSON.stringify(this.#state())}\n\n`);
		this.#clients.add(res);
		req.on("close", () => this.#clients.delete(res));
	}

	#onChange(change: StoreChange): void {
		if (this.#clients.size === 0) return;
		switch (change.kind) {
			case "thing":
			case "bindings":
			case "history-cleared":
				this.#things.add(change.thing);
				break;
			case "values":
				for (const property of change.properties) {
					let pending = this.#values.get(property);
					if (!pending) this.#values.set(property, (pending = { thing: change.thing, property, points: [] }));
					if (property.current && pending.points.length < POINTS_PER_PROPERTY) pending.points.push(property.current);
				}
				break;
			case "event":
				this.#events.push(change.event);
				break;
		}
		this.#schedule();
	}

	#onFrame(entry: FrameEntry): void {
		if (this.#clients.size === 0) return;
		if (this.#newFrames.length >= FRAMES_PER_BATCH) {
			this.#newFrames.shift();
			this.#framesSkipped++;
		}
		this.#newFrames.push(entry);
		this.#schedule();
	}

	#schedule(): void {
		if (this.#timer) return;
		this.#timer = setTimeout(() => this.#flush(), FLUSH_MS);
		this.#timer.unref();
	}

	#flush(): void {
		this.#timer = null;
		const batch = {
			things: [...this.#things].map((t) => this.#thingView(t)),
			values: [...this.#values.values()].map((v) => ({ thing: v.thing.name, property: v.property.name, baseType: v.property.baseType, lastSeen: v.thing.lastSeen, points: v.points.map(vtqToJson) })),
			events: this.#events.map(eventView),
			frames: this.#newFrames.map(frameView),
			framesSkipped: this.#framesSkipped,
			counters: this.#hub.snapshot(),
		};
		this.#things.clear();
		this.#values.clear();
		this.#events = [];
		this.#newFrames = [];
		this.#framesSkipped = 0;
		const text = `event: batch\ndata: ${JSON.stringify(batch)}\n\n`;
		for (const client of this.#clients) client.write(text);
	}

	close(): void {
		for (const off of this.#unsubscribe) off();
		clearInterval(this.#heartbeat);
		if (this.#timer) clearTimeout(this.#timer);
		for (const client of this.#clients) client.end();
		this.#clients.clear();
	}
}

function frameView(entry: FrameEntry) {
	return { id: entry.id, time: entry.time, connection: entry.connection, direction: entry.direction, bytes: entry.bytes, summary: entry.summary };
}
