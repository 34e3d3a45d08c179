/*
 * startEmulator: one HTTP(S) server carrying the AlwaysOn WebSocket endpoint, the platform-shaped
 * REST API and the dashboard, over one in-memory store. Host-only; other tests start it in-process.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { InfoTable, ResponseMessage } from "../src/protocol/model";
import { Characteristic, Code } from "../src/protocol";
import { Access } from "./access";
import { ALWAYSON_PATH, AlwaysOnHub } from "./alwayson-server";
import { newCounters, type Counters } from "./counters";
import { Dashboard } from "./dashboard-server";
import type { WedgeMode } from "./edge-connection";
import { Faults, type WedgeTarget } from "./faults";
import { sendText } from "./http";
import { Logger, type LogLevel, type LogSink } from "./log";
import { Platform, type BindPolicy } from "./platform";
import { ProtocolLog } from "./protocol-log";
import { RestApi } from "./rest";
import { ThingStore, type ThingDefinition } from "./store";

export interface EmulatorOptions {
	/** 0 = an ephemeral port. Default 0. */
	port?: number;
	host?: string;
	/** Accepted application keys (AUTH claim `appKey`, REST `appKey` header). At least one. */
	appKeys: string[];
	/** Close a connection that has not authenticated after this. Default 15 000 (platform default). */
	authTimeoutMs?: number;
	/** Platform -> edge request timeout. Default 30 000 (platform default). */
	requestTimeoutMs?: number;
	/** Close an authenticated connection silent (no message, no ping) this long; 0 = never. Default 60 000. */
	idleTimeoutMs?: number;
	/** BIND of an unknown thing: create it (default) or answer NOT_FOUND. */
	bindPolicy?: BindPolicy;
	tls?: { cert: string | Buffer; key: string | Buffer };
	/** Log sink; default none. Application keys are replaced by *** in every line. */
	log?: LogSink | null;
	logLevel?: LogLevel;
	/** Things known before any edge binds them (needed with bindPolicy "not-found"). */
	things?: ThingDefinition[];
	/** Values kept per property. Default 500. */
	historySize?: number;
	/** Things auto-created at most (a BIND of one more is answered NOT_FOUND). Default 10 000. */
	maxThings?: number;
	/** Properties a thing gains from what edges push, send as metadata or write (more are dropped, counted in rowsUnbound, or NOT_FOUND). Default 1 000. */
	maxProperties?: number;
	/** Events kept per thing (and in the dashboard's log). Default 500. */
	eventLogSize?: number;
	/** Decoded frames kept for the dashboard. Default 1000. */
	frameLogSize?: number;
	/** AlwaysOn chunk size towards edges (never above the edge's Max-Frame-Size). Default 8192. */
	chunkSize?: number;
	/** Ignore the edge's Max-Frame-Size, chunk at chunkSize alone (what a real platform may do; tests). Default false. */
	ignoreMaxFrameSize?: boolean;
	/** Largest message accepted, single WebSocket message or reassembled multipart. Default 1 MiB. */
	maxMessageSize?: number;
	/** Incomplete multipart sets are dropped after this. Default 50 000. */
	multipartStaleMs?: number;
	/** Things wedged on every connection that binds them (faults.ts; tests, chaos). Default none. */
	wedge?: Record<string, WedgeMode>;
	/** Per connection: platform -> edge requests waiting at once (one more is refused, 503). Default 64. */
	maxPendingRequests?: number;
	/** Per connection: bytes waiting to be written to an edge that does not read; over it the connection is closed 1008. Default 4 MiB (at least maxMessageSize). */
	maxBufferedBytes?: number;
	/** Ask each newly bound thing for GetMetadata. Default true. */
	fetchMetadata?: boolean;
	/** How long GetPropertySubscriptions waits for a GetMetadata in flight. Default min(2000, requestTimeoutMs). */
	metadataWaitMs?: number;
	/** Accept permessage-deflate when offered. Default true. */
	perMessageDeflate?: boolean;
	/**
	 * The printed dashboard link's token: "once" (default) logs one browser in; "reusable" keeps working
	 * for the emulator's lifetime, for a throw-away emulator on loopback only (`npm start`).
	 */
	dashboardLink?: "once" | "reusable";
}

/** Raw platform -> edge requests: the edge's response with its own status (rejects on timeout or no connection). */
export interface EdgeRequests {
	get(thing: string, property: string, timeoutMs?: number): Promise<ResponseMessage>;
	put(thing: string, property: string, value: InfoTable | null, timeoutMs?: number): Promise<ResponseMessage>;
	post(thing: string, service: string, params: InfoTable | null, timeoutMs?: number): Promise<ResponseMessage>;
}

export interface Emulator {
	/** ws://host:port/Thingworx/WS (wss:// with TLS). */
	url: string;
	host: string;
	port: number;
	/** http(s)://host:port/Thingworx — the REST base. */
	restUrl: string;
	/** The dashboard, with a one-time login token in the fragment. */
	dashboardUrl: string;
	store: ThingStore;
	platform: Platform;
	edge: EdgeRequests;
	counters(): Counters;
	/**
	 * Wedges a connection (`{connection: id}`, or the one `{thing}` is bound on: "silent" then leaves only
	 * that thing's requests unanswered); returns the connection's id. Modes: see WedgeMode.
	 */
	wedge(target: WedgeTarget, mode: WedgeMode): number;
	/** An administrative unbind: `thing` is no longer routed to its connection (its pushes get FORBIDDEN); returns that connection's id. */
	unbind(thing: string): number;
	close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
	const requestTimeoutMs = options.requestTimeoutMs ?? 30000;
	const log = new Logger(options.log ?? null, options.appKeys, options.logLevel ?? "info");
	const counters = newCounters();
	const store = new ThingStore({ historySize: options.historySize, eventLogSize: options.eventLogSize, maxThings: options.maxThings, maxProperties: options.maxProperties });
	for (const definition of options.things ?? []) store.define(definition);
	const frames = new ProtocolLog(options.frameLogSize ?? 1000);
	const platform = new Platform(store, {
		appKeys: options.appKeys,
		bindPolicy: options.bindPolicy ?? "auto-create",
		requestTimeoutMs,
		fetchMetadata: options.fetchMetadata ?? true,
		metadataWaitMs: options.metadataWaitMs ?? Math.min(2000, requestTimeoutMs),
	}, counters, log);
	const hub = new AlwaysOnHub({
		authTimeoutMs: options.authTimeoutMs ?? 15000,
		idleTimeoutMs: options.idleTimeoutMs ?? 60000,
		chunkSize: options.chunkSize ?? 8192,
		ignoreMaxFrameSize: options.ignoreMaxFrameSize ?? false,
		maxMessageSize: options.maxMessageSize ?? 1048576,
		staleMs: options.multipartStaleMs ?? 50000,
		maxPendingRequests: options.maxPendingRequests ?? 64,
		maxBufferedBytes: Math.max(options.maxBufferedBytes ?? 4 << 20, options.maxMessageSize ?? 1048576),
		perMessageDeflate: options.perMessageDeflate ?? true,
	}, platform, counters, log, frames);
	const access = new Access((key) => platform.checkKey(key), options.dashboardLink === "reusable");
	const rest = new RestApi(platform, access);
	const faults = new Faults(platform, hub);
	for (const [thing, mode] of Object.entries(options.wedge ?? {})) faults.wedge({ thing, every: true }, mode);
	const dashboard = new Dashboard(platform, hub, access, frames, faults);

	const serve = (req: IncomingMessage, res: ServerResponse): void => {
		const path = (req.url ?? "/").split("?")[0];
		let handled: Promise<void>;
		if (path === "/Thingworx" || path.startsWith("/Thingworx/")) handled = rest.handle(req, res, path);
		else if (path === "/" ) {
			res.writeHead(302, { Location: "/dashboard/" }).end();
			return;
		} else if (path.startsWith("/dashboard") || path.startsWith("/Emulator/")) handled = dashboard.handle(req, res, path);
		else {
			sendText(res, 404, "not found");
			return;
		}
		handled.catch((error: Error) => {
			counters.internalErrors++;
			log.error(`${req.method} ${path}: ${error.stack ?? error}`);
			if (!res.headersSent) sendText(res, 500, "internal error");
			else res.destroy();
		});
	};
	const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, serve) : createHttpServer(serve);
	server.on("upgrade", (req, socket, head) => {
		if (hub.handleUpgrade(req, socket, head)) return;
		counters.upgradesRejected++;
		socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
	});
	server.on("clientError", (_error, socket) => socket.destroy());
	const host = options.host ?? "127.0.0.1";
	if (options.dashboardLink === "reusable" && !LOOPBACK.has(host)) throw new Error(`dashboardLink "reusable" is for an emulator on loopback only, not ${host}`);
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(options.port ?? 0, host, () => {
			server.off("error", reject);
			resolve();
		});
	});
	const port = (server.address() as AddressInfo).port;
	const shown = host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
	const scheme = options.tls ? "https" : "http";
	const base = `${scheme}://${shown}:${port}`;
	log.info(`listening on ${base} (AlwaysOn ${options.tls ? "wss" : "ws"}://${shown}:${port}${ALWAYSON_PATH})`);

	const request = (code: number, characteristic: number) => (thing: string, name: string, params: InfoTable | null, timeoutMs?: number) =>
		platform.requestEdge(thing, code, characteristic, name, params, timeoutMs);
	return {
		url: `${options.tls ? "wss" : "ws"}://${shown}:${port}${ALWAYSON_PATH}`,
		host,
		port,
		restUrl: `${base}/Thingworx`,
		dashboardUrl: `${base}/dashboard/#token=${access.token}`,
		store,
		platform,
		edge: {
			get: (thing, property, timeoutMs) => request(Code.GET, Characteristic.PROPERTIES)(thing, property, null, timeoutMs),
			put: request(Code.PUT, Characteristic.PROPERTIES),
			post: request(Code.POST, Characteristic.SERVICES),
		},
		counters: () => hub.snapshot(),
		wedge: (target, mode) => faults.wedge(target, mode),
		unbind: (thing) => faults.unbind(thing),
		async close() {
			dashboard.close();
			await hub.close();
			await new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			});
		},
	};
}
