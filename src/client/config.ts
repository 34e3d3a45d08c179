/*
 * EdgeClient configuration, its defaults (the C SDK's where it has one: docs/protocol.md §1.4, §7.1, §8.4)
 * and the transport seam: the WebSocket client by default, a fake in unit tests.
 */
import type { Hal, ProxyOptions, TlsOptions } from "../../hal/hal";
import type { Bindings } from "./bindings";
import type { RequestQueue } from "./requestqueue";
import type { Session } from "./session";
import type { WebSocketExtension } from "../ws/client";
import type { BoundEntity } from "./entity";
import type { Reassembler, ReassemblerOptions } from "../protocol/multipart";
import { VERBOSE } from "../verbose";

/** What the client needs of a WebSocket client (src/ws's WebSocketClient has this shape). */
export interface Transport {
	/** Its user's (the client's): the callbacks, called as the transport's methods, reach it through this. */
	owner?: unknown;
	open(): void;
	/** Where a message of up to `capacity` bytes goes in `options.txBuffer`, or -1 while it is busy (onWritable follows). */
	beginMessage(capacity: number): number;
	/** Sends the `length` bytes written there. */
	commitMessage(length: number, binary?: boolean): void;
	close(code?: number, reason?: string): void;
	onOpen: (() => void) | null;
	onMessage: ((bytes: Uint8Array, binary: boolean) => void) | null;
	/** A message over the RX limits, skipped by the transport: its head (at least an AlwaysOn header when it fits) and full length. */
	onOversize?: ((head: Uint8Array, length: number) => void) | null;
	onWritable: (() => void) | null;
	onClose: ((code: number, reason: string, error: Error | null) => void) | null;
}

export interface TransportOptions {
	host: string;
	port: number;
	path: string;
	tls: boolean | TlsOptions;
	headers: Array<[string, string]>;
	maxFrameSize: number;
	maxMessageSize: number;
	handshakeTimeoutMs: number;
	pingIntervalMs: number;
	pongTimeoutMs: number;
	extension?: (hal: Hal) => WebSocketExtension;
	proxy?: ProxyOptions;
	messageTimeoutMs: number;
	/** The client's TX and RX buffers, lent to every connection in turn. */
	txBuffer: Uint8Array;
	rxBuffer: Uint8Array;
}

export type TransportFactory = (hal: Hal, options: TransportOptions) => Transport;

/** The offline queues kept across restarts (journal.ts's Journal): made by the client, told of changes. */
export interface PersistedQueues {
	/** Reads back what the last run left into the queues; returns the rows restored. */
	restore(): number;
	/** A queue changed, or a thing was added or removed. */
	changed(): void;
	/** Writes what waits now. */
	write(): void;
}

/** What `persistence` is: made once by the client, over its parts (`persistIn` in journal.ts). */
export type Persistence = (hal: Hal, s: Settings, bindings: Bindings, requests: RequestQueue, session: Session) => PersistedQueues;

export interface DutyCycle {
	/** Share of each period spent connected, 1-99. */
	percent: number;
	periodMs: number;
}

export interface EdgeClientConfig {
	host: string;
	port: number;
	/** TLS (wss) with certificate checks unless `{insecure: true}`; default true. `false` = ws://. */
	tls?: boolean | TlsOptions;
	/** Default "/Thingworx/WS". */
	path?: string;
	/** Called each time the application key is needed (every AUTH); the key is never stored or logged. */
	appKey: () => string;
	/** What is bound from the start (src/thing's Thing, or any BoundEntity); addThing/removeThing change the set. */
	things: readonly BoundEntity[];
	/**
	 * Things that may be registered at once (addThing beyond it is refused); each takes its queueBytes
	 * in the client's one buffer, allocated at construction. Default: as many as `things` holds.
	 */
	maxThings?: number;
	/**
	 * AlwaysOn chunk size = WebSocket frame and message limit (Max-Frame-Size header); the TX and RX
	 * buffers hold one chunk each. Default 8192 (the C SDK's and the platform's).
	 */
	chunkSize?: number;
	/** Largest reassembled message in either direction (memory taken only while one is under way). Default 1 MiB. */
	maxMessageSize?: number;
	/** Wait for the AUTH answer. Default 10 000 ms. */
	authTimeoutMs?: number;
	/** Wait for any other answer. Default 10 000 ms. */
	requestTimeoutMs?: number;
	/** TCP + TLS + upgrade. Default 10 000 ms. */
	connectTimeoutMs?: number;
	/** WebSocket ping period (0 = none). Default 55 000 ms. */
	pingIntervalMs?: number;
	/** Default 10 000 ms. */
	pongTimeoutMs?: number;
	/**
	 * An incoming message left unfinished this long is a loss: a WebSocket message whose fragments stop
	 * (the connection is failed, checked at each ping) or an AlwaysOn multipart set whose chunks stop
	 * (dropped and counted; when nothing else came in meanwhile the connection is failed too, onRecovery
	 * "stale-message"). Default 50 000 ms (the C SDK's stale-message time).
	 */
	messageTimeoutMs?: number;
	/** Exponential back-off with full jitter between reconnect attempts. Defaults 500 ms and 30 000 ms. */
	backoffBaseMs?: number;
	backoffCapMs?: number;
	/** Offline queue (encoded rows) per thing. Default 4096 bytes: 19 SteamSensor scans of 5 values (215 bytes each). */
	queueBytes?: number;
	/**
	 * The offline request queue (requestqueue.ts): events, service calls and property writes of the
	 * application wait there, encoded, until the platform answers them; its bytes (allocated at the first
	 * queued request) and its length. When full, the oldest is dropped (its promise rejected), or the new
	 * one refused if its caller asked for that. Defaults 2048 bytes, 16 requests.
	 */
	requestQueueBytes?: number;
	requestQueueLength?: number;
	/**
	 * Keep the offline queues (each thing's rows and the request queue) in flash, so that a restart during
	 * an outage loses nothing they hold: `persistIn(hal.openFlash(name, bytes))` from src/client/journal.ts
	 * (README "Persistence"). Default none: RAM only, and a bundle carries no journal.
	 */
	persistence?: Persistence;
	/** How long a queued change waits before it is written to flash (`persistence`), with every other change of that time. Default 1000 ms. */
	persistDelayMs?: number;
	/** Requests that may wait for an answer at once. Default 8. */
	maxPending?: number;
	/**
	 * This many requests in a row without an answer (a platform that answers pings but not requests)
	 * mean the connection is lost: it is closed and made again (onRecovery "unanswered"). Default 3.
	 */
	maxConsecutiveTimeouts?: number;
	/**
	 * Messages that wait to be sent while the connection takes no more (or go chunk by chunk), and the
	 * memory they may hold; when either is reached the peer is not reading: the connection is failed,
	 * reported and counted. Defaults 16 and maxMessageSize.
	 */
	outboxMessages?: number;
	outboxBytes?: number;
	/** Connect for `percent` of every `periodMs`, then UNBIND and close for the rest. Default always on. */
	dutyCycle?: DutyCycle;
	/** Sent with BIND and UNBIND when both are set. */
	gateway?: { name: string; type: string };
	/**
	 * Push when values change, without waiting for `push()`: `pushDelayMs` after the first change not
	 * yet pushed. Default true. When false, values wait for `push()` (and failed pushes for their retry).
	 */
	autoPush?: boolean;
	/**
	 * How long a change waits for more before it is pushed: the changes of that window go in one push.
	 * Default 0: at the end of the current turn (the values an application sets in one callback go
	 * together). Calling `push()` pushes at once.
	 */
	pushDelayMs?: number;
	/** Wait after a failed push before the next attempt. Default 1000 ms. */
	pushRetryMs?: number;
	/** Replaces the WebSocket client (tests). */
	transport?: TransportFactory;
	/**
	 * Offer permessage-deflate (`permessageDeflate` from src/ws/deflate.ts; hosts: needs hal.compression),
	 * used when the platform accepts it. Default none: a device bundle carries no compressor.
	 */
	compression?: (hal: Hal) => WebSocketExtension;
	/** Reach the platform through an HTTP proxy (CONNECT, optional basic credentials); hosts (hal/node) only. */
	proxy?: ProxyOptions;
	/**
	 * Reassemble what the platform sends AlwaysOn-chunked (messages over chunkSize): `Reassembler` from
	 * src/protocol/multipart.ts, made at the first chunk, bounded by maxMessageSize, unfinished sets dropped
	 * after messageTimeoutMs (a set begun and never finished, nothing else received: onRecovery
	 * "stale-message"). Default none, and a bundle carries no reassembler: a chunk is dropped and counted
	 * (stats.chunksRefused), a request's first chunk answered ENTITY_TOO_LARGE.
	 */
	reassembly?: new (options: ReassemblerOptions) => Reassembler;
}

/** The client's view of the configuration, every default applied. */
export interface Settings {
	maxThings: number;
	chunkSize: number;
	maxMessageSize: number;
	authTimeoutMs: number;
	requestTimeoutMs: number;
	queueBytes: number;
	requestQueueBytes: number;
	requestQueueLength: number;
	persistDelayMs: number;
	maxPending: number;
	maxConsecutiveTimeouts: number;
	outboxMessages: number;
	outboxBytes: number;
	autoPush: boolean;
	pushDelayMs: number;
	pushRetryMs: number;
	backoffBaseMs: number;
	backoffCapMs: number;
	dutyOnMs: number;
	dutyOffMs: number;
	reassembly: (new (options: ReassemblerOptions) => Reassembler) | null;
	/** All but the buffers, which the client allocates. */
	transport: Omit<TransportOptions, "txBuffer" | "rxBuffer">;
}

function positive(value: number | undefined, fallback: number, what: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
	const v = value === undefined ? fallback : value;
	if (!(Number.isFinite(v) && v >= min && v <= max)) throw new RangeError(VERBOSE ? what + " must be between " + min + " and " + max + ", not " + v : "range " + what);
	return v;
}

/** Every option EdgeClientConfig names: anything else is a typo, refused rather than silently ignored (hosts; a device app is type-checked). */
const OPTIONS: readonly string[] = Object.freeze([
	"host", "port", "tls", "path", "appKey", "things", "chunkSize", "maxMessageSize", "authTimeoutMs",
	"requestTimeoutMs", "connectTimeoutMs", "pingIntervalMs", "pongTimeoutMs", "messageTimeoutMs", "backoffBaseMs", "backoffCapMs",
	"queueBytes", "requestQueueBytes", "requestQueueLength", "persistence", "persistDelayMs", "maxPending", "maxConsecutiveTimeouts", "outboxMessages", "outboxBytes", "dutyCycle", "gateway", "autoPush", "pushDelayMs", "pushRetryMs", "transport",
	"compression", "proxy", "maxThings", "reassembly",
]);

/** The name closest to a misspelt one (fewest single-letter edits), to name in the error. */
export function closestName(name: string, names: readonly string[]): string {
	const wanted = name.toLowerCase();
	let best = names[0];
	let bestDistance = Infinity;
	for (const option of names) {
		const candidate = option.toLowerCase();
		let previous = [];
		for (let j = 0; j <= candidate.length; j++) previous.push(j);
		for (let i = 1; i <= wanted.length; i++) {
			const row = [i];
			for (let j = 1; j <= candidate.length; j++) row.push(Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (wanted[i - 1] === candidate[j - 1] ? 0 : 1)));
			previous = row;
		}
		if (previous[candidate.length] < bestDistance) {
			bestDistance = previous[candidate.length];
			best = option;
		}
	}
	return best;
}

function proxyOptions(proxy: ProxyOptions | undefined): ProxyOptions | undefined {
	if (proxy === undefined) return undefined;
	if (typeof proxy.host !== "string" || !proxy.host) throw new TypeError(VERBOSE ? "proxy.host is required" : "required proxy.host");
	positive(proxy.port, 0, "proxy.port", 1, 65535);
	if ((proxy.username === undefined) !== (proxy.password === undefined)) throw new TypeError(VERBOSE ? "proxy: give both username and password, or neither" : "pair proxy.username");
	return proxy;
}

export function settings(config: EdgeClientConfig): Settings {
	if (VERBOSE)
		for (const name of Object.keys(config)) {
			if (OPTIONS.indexOf(name) < 0) throw new TypeError("unknown option " + name + " (did you mean " + closestName(name, OPTIONS) + "?)");
		}
	if (typeof config.host !== "string" || !config.host) throw new TypeError(VERBOSE ? "host is required" : "required host");
	if (typeof config.appKey !== "function") throw new TypeError(VERBOSE ? "appKey must be a function that returns the key" : "type appKey");
	if (!Array.isArray(config.things)) throw new TypeError(VERBOSE ? "things: a list of things is required" : "type things");
	if (config.things.length === 0 && config.maxThings === undefined) throw new TypeError(VERBOSE ? "things: at least one thing is required, or maxThings for things added later" : "required things");
	const maxThings = positive(config.maxThings, config.things.length, "maxThings", 1, 65535);
	if (config.things.length > maxThings) throw new RangeError(VERBOSE ? "things: " + config.things.length + " given, over maxThings " + maxThings : "range things");
	const chunkSize = positive(config.chunkSize, 8192, "chunkSize", 256, 0xffff);
	const maxMessageSize = positive(config.maxMessageSize, 1048576, "maxMessageSize", chunkSize);
	let dutyOnMs = 0;
	let dutyOffMs = 0;
	if (config.dutyCycle) {
		const percent = positive(config.dutyCycle.percent, 100, "dutyCycle.percent", 1, 100);
		const period = positive(config.dutyCycle.periodMs, 0, "dutyCycle.periodMs", 0);
		if (percent < 100 && period > 0) {
			dutyOnMs = Math.round((period * percent) / 100);
			dutyOffMs = period - dutyOnMs;
		}
	}
	const backoffBaseMs = positive(config.backoffBaseMs, 500, "backoffBaseMs");
	const outboxBytes = positive(config.outboxBytes, maxMessageSize, "outboxBytes", chunkSize);
	return {
		maxThings,
		chunkSize,
		maxMessageSize,
		authTimeoutMs: positive(config.authTimeoutMs, 10000, "authTimeoutMs"),
		requestTimeoutMs: positive(config.requestTimeoutMs, 10000, "requestTimeoutMs"),
		queueBytes: positive(config.queueBytes, 4096, "queueBytes", 64, 0x7fffffff),
		requestQueueBytes: positive(config.requestQueueBytes, 2048, "requestQueueBytes", 64, outboxBytes),
		requestQueueLength: positive(config.requestQueueLength, 16, "requestQueueLength", 1, 1024),
		persistDelayMs: positive(config.persistDelayMs, 1000, "persistDelayMs", 0),
		maxPending: positive(config.maxPending, 8, "maxPending", 2, 1024),
		maxConsecutiveTimeouts: positive(config.maxConsecutiveTimeouts, 3, "maxConsecutiveTimeouts", 1, 1000),
		outboxMessages: positive(config.outboxMessages, 16, "outboxMessages"),
		outboxBytes,
		autoPush: config.autoPush !== false,
		pushDelayMs: positive(config.pushDelayMs, 0, "pushDelayMs", 0),
		pushRetryMs: positive(config.pushRetryMs, 1000, "pushRetryMs", 0),
		backoffBaseMs,
		backoffCapMs: positive(config.backoffCapMs, Math.max(30000, backoffBaseMs), "backoffCapMs", backoffBaseMs),
		dutyOnMs,
		dutyOffMs,
		reassembly: config.reassembly ?? null,
		transport: {
			host: config.host,
			port: positive(config.port, 443, "port", 1, 65535),
			path: config.path ?? "/Thingworx/WS",
			tls: config.tls ?? true,
			headers: [["Max-Frame-Size", String(chunkSize)]],
			maxFrameSize: chunkSize,
			maxMessageSize: chunkSize,
			handshakeTimeoutMs: positive(config.connectTimeoutMs, 10000, "connectTimeoutMs"),
			pingIntervalMs: positive(config.pingIntervalMs, 55000, "pingIntervalMs", 0),
			pongTimeoutMs: positive(config.pongTimeoutMs, 10000, "pongTimeoutMs"),
			extension: config.compression,
			proxy: proxyOptions(config.proxy),
			messageTimeoutMs: positive(config.messageTimeoutMs, 50000, "messageTimeoutMs"),
		},
	};
}
