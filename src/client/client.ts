/*
 * The connected-thing client (docs/protocol.md §7.1): WebSocket upgrade, AUTH first, one BIND of every
 * thing, synchronization on each NotifyPropertyUpdate (GetPropertySubscriptions), pushes of the
 * subscribed property queues, answers to the platform's requests, and the edge's own requests.
 * Any loss reconnects with exponential back-off and full jitter, then re-AUTHs, re-BINDs and re-syncs;
 * stop() UNBINDs and closes with 1000.
 *
 * Memory: one buffer, allocated once and kept across connections (no 16 KB to find again at each
 * reconnect), holds, for the defaults and one thing (BUDGETS.md's 24 KB XS heap counts them all):
 * - the TX buffer, 8 + 8192 bytes: a frame header (2 + 2 + 4 mask) and one chunk, the most the edge
 *   sends in one frame (docs/protocol.md §1.3); lent to each WebSocket client, which frames and masks in
 *   place: messages are written straight into it, pushes copy their rows in with copyWithin;
 * - each thing's row ring (the offline queue), 4096 bytes: the SteamSensor's 5 values of a scan take
 *   215 bytes there, so 19 scans (95 s at the example's 5 s) wait for the platform; rows are encoded
 *   in place;
 * - the RX buffer, 8192 bytes: one chunk, lent too. The platform never sends a frame over its chunk
 *   size (the C SDK drops one, §8.3) and we announce ours (Max-Frame-Size), so a bigger message comes
 *   AlwaysOn-chunked and is reassembled by the codec's Reassembler (made on the first chunk, bounded by
 *   maxMessageSize); a bigger WebSocket message is refused with 1009.
 * That is 20,488 bytes of chunk heap; the objects (XS slots are 16 bytes on an ESP32) come on top.
 * Requests wait in a fixed table whose deadlines a single repeating tick checks. The push path (set ->
 * ring -> TX -> SUCCESS) allocates nothing, and neither does reading a platform request (its head and
 * params are read in place) beyond the values handed to the application. Only a message that cannot
 * go now (the TX buffer still leaving, or bigger than a chunk) is encoded into a buffer of its own and
 * waits in the outbox (outbox.ts).
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import type { Hal, TimerId } from "../../hal/hal";
import {
	DecodeError, decodeMessage, HEADER_SIZE, isRequestCode, PushWriter, readRequestHead, Reassembler, RequestHead, bytesEqual,
} from "../protocol";
import { AUTH, BAD_REQUEST, BIND, EVENTS, GATEWAY_TIMEOUT, INTERNAL_SERVER_ERROR, NOT_FOUND, POST, SERVICES, SERVICE_UNAVAILABLE, SUCCESS, THING, UNBIND } from "../protocol/codes";
import type { AuthMessage, BindMessage, InfoTable, Message, RequestMessage, ResponseMessage } from "../protocol/model";
import type { Thing, Reply, ThingLink } from "../thing/thing";
import type { Property } from "../thing/property";
import { nameText, ParamsReader } from "../thing/params";
import { rxBufferSize, txBufferSize, WebSocketClient } from "../ws/client";
import { Backoff } from "./backoff";
import { settings, type EdgeClientConfig, type Settings, type Transport, type TransportFactory, type TransportOptions } from "./config";
import { RequestError } from "./errors";
import { column, nothing } from "./requests";
import { Outbox, type OutboxLink } from "./outbox";
import { FOR_APP, FOR_AUTH, FOR_BIND, FOR_PUSH, FOR_SYNC, FOR_UNBIND, PendingTable } from "./pending";
import { SubscribedProperties } from "./subscribed";

const STATE_NAMES = Object.freeze(["stopped", "connecting", "authenticating", "binding", "connected", "disconnecting", "waiting"] as const);
export type ClientState = (typeof STATE_NAMES)[number];
// States: indexes into STATE_NAMES.
const STOPPED = 0;
const CONNECTING = 1;
const AUTHENTICATING = 2;
const BINDING = 3;
const CONNECTED = 4;
const DISCONNECTING = 5;
const WAITING = 6;

const AUTH_SESSION = 0xffffffff;
const SWEEP_MS = 1000;
const GET_PROPERTY_SUBSCRIPTIONS = "GetPropertySubscriptions";
const HAS_DEADBAND = '{"hasDeadband":true}';

/** Counters since construction; read them, never write them. */
export interface ClientStats {
	/** AlwaysOn messages (chunks count one each) and their bytes, without WebSocket framing. */
	messagesSent: number;
	bytesSent: number;
	messagesReceived: number;
	bytesReceived: number;
	/** UpdateSubscribedPropertyValues sent / answered SUCCESS, rows in the answered ones. */
	pushes: number;
	pushesAcknowledged: number;
	rowsAcknowledged: number;
	/** Pushes answered with an error or not at all (their rows stayed queued). */
	pushFailures: number;
	/** Rows dropped from full queues, and changes refused as too big for any message. */
	rowsDropped: number;
	rowsRefused: number;
	/** Requests of any kind that got no answer in time. */
	timeouts: number;
	/** Connection attempts after the first. */
	reconnects: number;
	/** Received messages that could not be decoded, answers nobody waited for, replies for a closed connection. */
	decodeErrors: number;
	unmatchedResponses: number;
	lateReplies: number;
}

function newStats(): ClientStats {
	return {
		messagesSent: 0, bytesSent: 0, messagesReceived: 0, bytesReceived: 0, pushes: 0, pushesAcknowledged: 0,
		rowsAcknowledged: 0, pushFailures: 0, rowsDropped: 0, rowsRefused: 0, timeouts: 0, reconnects: 0,
		decodeErrors: 0, unmatchedResponses: 0, lateReplies: 0,
	};
}

function webSocket(hal: Hal, options: ConstructorParameters<typeof WebSocketClient>[1]): Transport {
	return new WebSocketClient(hal, options) as Transport;
}

/** Also the things' link (ThingLink): they report changes and notifications to it; and the outbox's (OutboxLink). */
export class EdgeClient implements ThingLink, OutboxLink {
	readonly things: readonly Thing[];
	readonly stats: ClientStats = newStats();
	onStateChange: ((state: ClientState) => void) | null = null;
	/** AUTH succeeded; the argument is the credential type ("appKey"), never the key. */
	onAuthenticated: ((credentialType: string) => void) | null = null;
	onBound: ((thingName: string) => void) | null = null;
	onUnbound: ((thingName: string) => void) | null = null;
	onSynchronized: ((thingName: string) => void) | null = null;
	/** A push went out with `rows` values in `bytes` bytes. */
	onPush: ((thingName: string, rows: number, bytes: number) => void) | null = null;
	/** Queued rows were dropped (full queue) or a change was refused (-1: too big for any message). */
	onDropped: ((thingName: string, rows: number, totalDropped: number) => void) | null = null;
	/** Failures that do not throw anywhere else: AUTH/BIND refused, lost connection, failed sync or push. */
	onError: ((error: Error) => void) | null = null;

	#hal: Hal;
	#s: Settings;
	#appKey: () => string;
	#gateway: { name: string; type: string } | null;
	#factory: TransportFactory;
	#state: number = STOPPED;
	#transport: Transport | null = null;
	#generation = 0;
	#nextId = 0;
	#options: TransportOptions;
	#out: Outbox;
	#head = new RequestHead();
	#params = new ParamsReader();
	#spms: SubscribedProperties[] = [];
	/** Every thing is bound (one BIND binds them all). */
	#bound = false;
	#pushRetryAt = 0;
	#pending: PendingTable;
	/** Made when the first chunk arrives (most devices never see one). */
	#reassembler: Reassembler | null = null;
	#backoff: Backoff;
	#tickTimer: TimerId | null = null;
	/** The reconnect delay (WAITING) or the duty cycle's end (CONNECTED): never both. */
	#timer: TimerId | null = null;
	#boundAt = 0;
	#lastSweep = 0;
	#stopping = false;
	#closing = false;
	#dutyOff = false;
	#stopWaiters: Array<() => void> = [];

	constructor(hal: Hal, config: EdgeClientConfig) {
		const s = settings(config);
		this.#hal = hal;
		this.#s = s;
		this.#appKey = config.appKey;
		this.#gateway = config.gateway && config.gateway.name && config.gateway.type ? config.gateway : null;
		this.#factory = config.transport ?? webSocket;
		this.things = Object.freeze(config.things.slice());
		const n = this.things.length;
		// [TX: frame header + chunk | ring 0 | ring 1 | ... | RX], kept across connections.
		// Sized by the WebSocket client's own rules: a chunk is one frame out and one message in.
		const txSize = txBufferSize(s.chunkSize);
		const rxSize = rxBufferSize(s.chunkSize);
		const rings = txSize;
		const mem = new Uint8Array(txSize + n * s.queueBytes + rxSize);
		const tx = mem.subarray(0, txSize);
		this.#out = new Outbox(tx, s, this);
		const options = s.transport as TransportOptions; // completed in place: one object for the client's life
		options.txBuffer = tx;
		options.rxBuffer = mem.subarray(rings + n * s.queueBytes);
		this.#options = options;
		const pushWriter = new PushWriter();
		this.#pending = new PendingTable(s.maxPending);
		this.#backoff = new Backoff(hal, s.backoffBaseMs, s.backoffCapMs);
		for (let i = 0; i < n; i++) {
			const thing = this.things[i];
			for (let j = 0; j < i; j++) if (this.things[j].name === thing.name) throw new TypeError("thing " + thing.name + " given twice");
			const spm = new SubscribedProperties(thing, mem, this.#out.writer, pushWriter, rings + i * s.queueBytes, s.queueBytes, s.chunkSize, s.maxMessageSize);
			this.#spms.push(spm);
			thing.attach(this);
			for (const p of thing.properties) if (p.time > 0) this.changed(spm, p);
		}
	}

	get state(): ClientState {
		return STATE_NAMES[this.#state];
	}

	/** Bound and AUTHenticated: the platform can be asked things. */
	get connected(): boolean {
		return this.#state === CONNECTED;
	}

	/** The session id the platform assigned at the last AUTH. */
	get sessionId(): number {
		return this.#out.session;
	}

	isBound(thingName: string): boolean {
		const i = this.index(thingName);
		return i >= 0 && this.#bound;
	}

	isSynchronized(thingName: string): boolean {
		const i = this.index(thingName);
		return i >= 0 && this.#spms[i].synchronized;
	}

	/** Rows waiting in a thing's offline queue (in flight included). */
	queued(thingName: string): number {
		const i = this.index(thingName);
		return i < 0 ? 0 : this.#spms[i].ring.count;
	}

	/** Rows dropped from a thing's full queue so far. */
	dropped(thingName: string): number {
		const i = this.index(thingName);
		return i < 0 ? 0 : this.#spms[i].ring.dropped;
	}

	/** Connect and keep connected until stop(). */
	start(): void {
		if (this.#state !== STOPPED) return;
		this.#stopping = false;
		this.#dutyOff = false;
		this.#tickTimer = this.#hal.timers.repeat(this.#tick, this.#s.tickMs);
		this.connect();
	}

	/** UNBIND every thing, close with 1000 and stay closed; resolves once the connection is gone. */
	stop(): Promise<void> {
		if (this.#state === STOPPED) return Promise.resolve();
		this.#stopping = true;
		this.clearTimer(this.#timer);
		this.#timer = null;
		return new Promise<void>((resolve) => {
			this.#stopWaiters.push(resolve);
			if (this.#state === WAITING) this.stopped();
			else if (this.#state !== DISCONNECTING) this.disconnect();
		});
	}

	/** Push every synchronized thing's waiting values now (also done at each tick when autoPush is on). */
	push(): void {
		this.flush();
	}

	/** Fire an event (POST, characteristic EVENTS, docs/protocol.md §7.3). */
	fireEvent(thingName: string, eventName: string, data: InfoTable): Promise<void> {
		return this.request(POST, thingName, EVENTS, eventName, data).then(nothing);
	}

	// --- ThingLink: what the things call ---

	/** The wall clock the things stamp their values with. */
	now(): number {
		return this.#hal.now();
	}

	/** A property of one of the things changed: its push rules decide what is queued. */
	propertyChanged(thing: Thing, property: Property): void {
		const i = this.things.indexOf(thing);
		if (i >= 0) this.changed(this.#spms[i], property);
	}

	/** The platform POSTed NotifyPropertyUpdate to a thing: synchronize it once the reply is out. */
	propertyUpdateNotified(thing: Thing): void {
		const i = this.things.indexOf(thing);
		if (i >= 0) this.wantSync(i);
	}

	// --- OutboxLink: what the outbox calls (and the client itself) ---

	/** A failure that throws nowhere else: logged, and handed to onError. */
	report(error: unknown): void {
		const e = error instanceof Error ? error : new Error(String(error));
		this.#hal.log("error", e.message);
		if (this.onError !== null) this.onError(e);
	}

	// --- connection state machine ---

	private setState(state: number): void {
		if (this.#state === state) return;
		this.#state = state;
		if (this.onStateChange !== null) this.onStateChange(STATE_NAMES[state]);
	}

	private connect(): void {
		this.setState(CONNECTING);
		const o = this.#options;
		this.#hal.log("info", "connecting to " + (o.tls ? "wss://" : "ws://") + o.host + ":" + o.port + o.path);
		let t: Transport;
		try {
			t = this.#factory(this.#hal, o);
		} catch (error) {
			this.report(error);
			this.scheduleReconnect();
			return;
		}
		t.onOpen = this.#onOpen;
		t.onMessage = this.#onMessage;
		t.onWritable = this.#onWritable;
		t.onClose = this.#onClose;
		this.#transport = t;
		this.#closing = false;
		this.#generation++;
		try {
			t.open();
		} catch (error) {
			this.#transport = null;
			this.report(error);
			this.scheduleReconnect();
		}
	}

	#onOpen = (): void => {
		this.setState(AUTHENTICATING);
		const id = this.id();
		let key: string;
		try {
			key = this.#appKey();
			if (typeof key !== "string" || key === "") throw new TypeError("the appKey callback returned no key");
		} catch (error) {
			this.report(error);
			this.abort();
			return;
		}
		const msg: AuthMessage = { kind: "auth", version: 1, code: AUTH, requestId: id, endpointId: 0, sessionId: AUTH_SESSION, claims: [["appKey", key]] };
		this.#pending.add(FOR_AUTH, id, this.#hal.ticks() + this.#s.authTimeoutMs, -1, null, null);
		this.send(msg);
	};

	private authenticated(response: ResponseMessage): void {
		if (response.code !== SUCCESS) {
			this.report(refused(response.code, "authentication", response.reason === null ? null : this.scrub(response.reason)));
			this.abort();
			return;
		}
		this.#out.session = response.sessionId;
		this.#hal.log("info", "authenticated (appKey), session " + response.sessionId);
		if (this.onAuthenticated !== null) this.onAuthenticated("appKey");
		this.setState(BINDING);
		this.sendBind(BIND, FOR_BIND);
	}

	private sendBind(code: number, kind: number): void {
		const id = this.id();
		const names: string[] = [];
		for (const thing of this.things) names.push(thing.name);
		const msg: BindMessage = {
			kind: code === BIND ? "bind" : "unbind", version: 1, code, requestId: id, endpointId: 0, sessionId: this.#out.session,
			gateway: this.#gateway, names,
		};
		this.#pending.add(kind, id, this.#hal.ticks() + this.#s.requestTimeoutMs, -1, null, null);
		this.send(msg);
	}

	private boundAll(response: ResponseMessage): void {
		if (response.code !== SUCCESS) {
			this.report(refused(response.code, "BIND", response.reason));
			this.abort();
			return;
		}
		this.#boundAt = this.#hal.ticks();
		this.setState(CONNECTED);
		this.#hal.log("info", "bound " + this.things.length + " thing(s)");
		this.#bound = true;
		for (let i = 0; i < this.things.length; i++) if (this.onBound !== null) this.onBound(this.things[i].name);
		if (this.#s.dutyOnMs > 0) this.#timer = this.#hal.timers.set(this.#onTimer, this.#s.dutyOnMs);
		this.startSyncs();
	}

	/** The end of a reconnect delay, or of the duty cycle's time on (one closure for both). */
	#onTimer = (): void => {
		this.#timer = null;
		if (this.#stopping) return;
		if (this.#state === WAITING) {
			this.stats.reconnects++;
			this.connect();
		} else if (this.#state === CONNECTED) {
			this.#hal.log("info", "duty cycle: off for " + this.#s.dutyOffMs + " ms");
			this.#dutyOff = true;
			this.disconnect();
		}
	};

	/** Graceful: UNBIND when bound, then close 1000. */
	private disconnect(): void {
		const t = this.#transport;
		if (t === null) {
			if (this.#state !== CONNECTING) this.stopped();
			return;
		}
		const bound = this.#state === CONNECTED || this.#state === BINDING;
		this.setState(DISCONNECTING);
		if (bound) this.sendBind(UNBIND, FOR_UNBIND);
		else this.abort();
	}

	/** Close now (after a failure, or after UNBIND); the close handler decides what follows. */
	private abort(): void {
		const t = this.#transport;
		if (t === null || this.#closing) return;
		this.#closing = true;
		if (this.#state === CONNECTED) this.setState(DISCONNECTING);
		t.close(1000, "Normal Close");
	}

	#onClose = (code: number, reason: string, error: Error | null): void => {
		this.#transport = null;
		this.#generation++;
		const pending = this.#pending;
		for (let slot = pending.any(); slot >= 0; slot = pending.any()) {
			const kind = pending.kind(slot);
			if (kind === FOR_PUSH) this.#spms[pending.thing(slot)].unsend();
			const reject = kind === FOR_APP ? pending.rejecter(slot) : null;
			pending.free(slot);
			if (reject !== null) reject(new RequestError(SERVICE_UNAVAILABLE, "connection closed"));
		}
		this.#out.clear();
		this.#reassembler?.clear();
		for (let i = 0; i < this.things.length; i++) {
			this.#spms[i].synchronized = false;
			this.#spms[i].syncWanted = false;
			if (this.#bound && this.onUnbound !== null) this.onUnbound(this.things[i].name);
		}
		this.#bound = false;
		this.clearTimer(this.#timer);
		this.#timer = null;
		if (this.#stopping) {
			this.#hal.log("info", "closed");
			this.stopped();
			return;
		}
		const stable = this.#boundAt > 0 && this.#hal.ticks() - this.#boundAt >= this.#s.backoffCapMs;
		this.#boundAt = 0;
		if (this.#dutyOff) {
			this.#dutyOff = false;
			this.setState(WAITING);
			this.#timer = this.#hal.timers.set(this.#onTimer, this.#s.dutyOffMs);
			return;
		}
		const why = error ? error.message : "closed by the platform (" + code + (reason ? " " + reason : "") + ")";
		this.#hal.log("warn", "connection lost: " + why);
		if (error) this.report(error);
		if (stable) this.#backoff.reset();
		this.scheduleReconnect();
	};

	private scheduleReconnect(): void {
		if (this.#stopping) {
			this.stopped();
			return;
		}
		const delay = this.#backoff.next();
		this.#hal.log("info", "reconnecting in " + delay + " ms (attempt " + this.#backoff.attempt + ")");
		this.setState(WAITING);
		this.#timer = this.#hal.timers.set(this.#onTimer, delay);
	}

	private stopped(): void {
		this.clearTimer(this.#tickTimer);
		this.#tickTimer = null;
		this.setState(STOPPED);
		const waiters = this.#stopWaiters;
		this.#stopWaiters = [];
		for (const resolve of waiters) resolve();
	}

	private clearTimer(id: TimerId | null): void {
		if (id !== null) this.#hal.timers.clear(id);
	}

	// --- housekeeping ---

	#tick = (): void => {
		const now = this.#hal.ticks();
		const pending = this.#pending;
		for (let slot = pending.expired(now); slot >= 0; slot = pending.expired(now)) this.expire(slot, now);
		if (now - this.#lastSweep >= SWEEP_MS) {
			this.#lastSweep = now;
			const reassembler = this.#reassembler;
			if (reassembler !== null && reassembler.pending > 0) reassembler.sweep(now);
		}
		if (this.#state !== CONNECTED) return;
		this.startSyncs();
		if (this.#s.autoPush || this.#pushRetryAt !== 0) this.flush();
	};

	private expire(slot: number, now: number): void {
		const pending = this.#pending;
		const kind = pending.kind(slot);
		const thing = pending.thing(slot);
		const reject = pending.rejecter(slot);
		pending.free(slot);
		this.stats.timeouts++;
		switch (kind) {
			case FOR_AUTH:
			case FOR_BIND:
				this.report(unanswered(kind === FOR_AUTH ? "AUTH" : "BIND"));
				this.abort();
				return;
			case FOR_UNBIND:
				this.abort();
				return;
			case FOR_SYNC:
				this.#spms[thing].syncWanted = true;
				this.#spms[thing].syncRetryAt = now + this.#s.pushRetryMs;
				this.report(unanswered(GET_PROPERTY_SUBSCRIPTIONS + " of " + this.things[thing].name));
				return;
			case FOR_PUSH:
				this.#spms[thing].unsend();
				this.stats.pushFailures++;
				this.#pushRetryAt = now + this.#s.pushRetryMs;
				return;
			case FOR_APP:
				if (reject !== null) reject(new RequestError(GATEWAY_TIMEOUT, "no answer within " + this.#s.requestTimeoutMs + " ms"));
		}
	}

	// --- synchronization (§7.1 steps 6-9) ---

	private wantSync(index: number): void {
		this.#spms[index].syncWanted = true;
		this.#spms[index].syncRetryAt = 0;
	}

	private startSyncs(): void {
		if (this.#state !== CONNECTED) return;
		const now = this.#hal.ticks();
		for (let i = 0; i < this.things.length; i++) {
			const spm = this.#spms[i];
			if (!spm.syncWanted || now < spm.syncRetryAt || this.#pending.findKind(FOR_SYNC, i) >= 0) continue;
			const id = this.id();
			if (this.#pending.add(FOR_SYNC, id, now + this.#s.requestTimeoutMs, i, null, null) < 0) return;
			spm.syncWanted = false;
			const params: InfoTable = { fields: [{ name: "options", description: "", baseType: "JSON", aspects: [] }], rows: [[{ type: "JSON", value: HAS_DEADBAND }]] };
			this.send(this.requestMessage(id, POST, this.things[i].name, SERVICES, GET_PROPERTY_SUBSCRIPTIONS, params));
		}
	}

	private subscriptions(index: number, response: ResponseMessage): void {
		const thing = this.things[index];
		if (response.code !== SUCCESS) {
			this.#spms[index].syncWanted = true;
			this.#spms[index].syncRetryAt = this.#hal.ticks() + this.#s.pushRetryMs;
			this.report(refused(response.code, GET_PROPERTY_SUBSCRIPTIONS + " of " + thing.name, response.reason));
			return;
		}
		const table = response.content;
		if (table !== null) {
			const name = column(table, "edgeName");
			const type = column(table, "pushType");
			const threshold = column(table, "pushThreshold");
			for (const row of table.rows) {
				const edgeName = name >= 0 ? row[name] : undefined;
				const p = edgeName && typeof edgeName.value === "string" ? thing.findProperty(edgeName.value) : undefined;
				if (!p || type < 0) continue;
				const t = row[type];
				const v = threshold >= 0 ? row[threshold] : undefined;
				const limit = v && typeof v.value === "number" ? v.value : 0;
				if (!t || typeof t.value !== "string" || !p.applySubscription(t.value, limit)) {
					this.#hal.log("warn", thing.name + "." + p.name + ": ignored push type " + (t ? String(t.value) : "(none)"));
				}
			}
		}
		this.#spms[index].synchronized = true;
		this.#hal.log("info", thing.name + " synchronized");
		if (this.onSynchronized !== null) this.onSynchronized(thing.name);
		this.flush();
	}

	// --- the push path ---

	private changed(spm: SubscribedProperties, p: Property): void {
		const ring = spm.ring;
		const before = ring.dropped;
		const refused = spm.changed(p) < 0;
		const dropped = ring.dropped - before;
		if (dropped > 0) {
			this.stats.rowsDropped += dropped;
			if (this.onDropped !== null) this.onDropped(spm.thing.name, dropped, ring.dropped);
		}
		if (refused) {
			this.stats.rowsRefused++;
			if (this.onDropped !== null) this.onDropped(spm.thing.name, -1, ring.dropped);
		}
	}

	private flush(): void {
		const t = this.#transport;
		if (this.#state !== CONNECTED || t === null || this.#closing) return;
		if (this.#pushRetryAt !== 0) {
			if (this.#hal.ticks() < this.#pushRetryAt) return;
			this.#pushRetryAt = 0;
		}
		const spms = this.#spms;
		const out = this.#out;
		for (let i = 0; i < spms.length && this.#transport === t; i++) {
			const spm = spms[i];
			if (!spm.synchronized || spm.inFlight > 0 || !spm.waiting) continue;
			const at = out.begin(t);
			if (at < 0) return;
			const id = this.id();
			const slot = this.#pending.add(FOR_PUSH, id, this.#hal.ticks() + this.#s.requestTimeoutMs, i, null, null);
			if (slot < 0) return;
			const rows = spm.fill(out.writer, at, id, out.session);
			if (rows === 0) {
				this.#pending.free(slot);
				spm.unsend();
				return;
			}
			const length = out.commit(t, at);
			this.stats.pushes++;
			if (this.onPush !== null) this.onPush(spm.thing.name, rows, length);
		}
	}

	private pushAnswered(slot: number, code: number): void {
		const spm = this.#spms[this.#pending.thing(slot)];
		this.#pending.free(slot);
		if (code === SUCCESS) {
			this.stats.pushesAcknowledged++;
			this.stats.rowsAcknowledged += spm.inFlight;
			spm.acknowledge();
			this.flush();
			return;
		}
		spm.unsend();
		this.stats.pushFailures++;
		this.#pushRetryAt = this.#hal.ticks() + this.#s.pushRetryMs;
		this.report(refused(code, "UpdateSubscribedPropertyValues of " + spm.thing.name, null));
	}

	// --- receiving ---

	#onMessage = (bytes: Uint8Array, binary: boolean): void => {
		this.stats.messagesReceived++;
		this.stats.bytesReceived += bytes.length;
		if (!binary || bytes.length < HEADER_SIZE) {
			this.stats.decodeErrors++;
			return;
		}
		const code = bytes[1];
		if (bytes[14] === 0 && code >= SUCCESS) {
			const slot = this.#pending.find(((bytes[2] << 24) | (bytes[3] << 16) | (bytes[4] << 8) | bytes[5]) >>> 0);
			if (slot >= 0 && this.#pending.kind(slot) === FOR_PUSH) {
				this.pushAnswered(slot, code);
				return;
			}
		}
		let message = bytes;
		if (bytes[14] !== 0) {
			const whole = this.reassemble(bytes);
			if (whole === null) return;
			message = whole;
		}
		if (isRequestCode(message[1])) this.onRequest(message);
		else this.onOther(message);
	};

	/** A chunk (or a bad multipart marker): the whole message once its last chunk is in, else null. */
	private reassemble(bytes: Uint8Array): Uint8Array | null {
		try {
			const chunk = decodeMessage(bytes);
			if (chunk.kind !== "chunk") return null;
			this.#reassembler ??= new Reassembler({ maxMessageSize: this.#s.maxMessageSize, staleMs: 50000 });
			return this.#reassembler.add(chunk, this.#hal.ticks());
		} catch (error) {
			this.undecodable(bytes, error);
			return null;
		}
	}

	/** Received bytes that are no message: counted, logged, and a request answered BAD_REQUEST. */
	private undecodable(bytes: Uint8Array, error: unknown): void {
		if (!(error instanceof DecodeError)) throw error;
		this.stats.decodeErrors++;
		this.#hal.log("warn", "undecodable message (code " + bytes[1] + "): " + error.message);
		if (isRequestCode(bytes[1])) this.replyRaw(bytes, BAD_REQUEST, error.message);
	}

	/** Responses, keep-alives, and what the platform should not send the edge. */
	private onOther(bytes: Uint8Array): void {
		let msg: Message;
		try {
			msg = decodeMessage(bytes) as Message;
		} catch (error) {
			this.undecodable(bytes, error);
			return;
		}
		switch (msg.kind) {
			case "response":
				this.onResponse(msg);
				return;
			case "keepalive":
				return;
			default: // AUTH, BIND, UNBIND are not for the edge (the C SDK answers them so too)
				this.replyRaw(bytes, BAD_REQUEST, "Message Type not supported");
		}
	}

	private onResponse(msg: ResponseMessage): void {
		const pending = this.#pending;
		const slot = pending.find(msg.requestId);
		if (slot < 0) {
			this.stats.unmatchedResponses++;
			return;
		}
		const kind = pending.kind(slot);
		const thing = pending.thing(slot);
		const resolve = pending.resolver(slot);
		const reject = pending.rejecter(slot);
		switch (kind) {
			case FOR_PUSH:
				this.pushAnswered(slot, msg.code);
				return;
			case FOR_AUTH:
				pending.free(slot);
				this.authenticated(msg);
				return;
			case FOR_BIND:
				pending.free(slot);
				this.boundAll(msg);
				return;
			case FOR_UNBIND:
				pending.free(slot);
				this.abort();
				return;
			case FOR_SYNC:
				pending.free(slot);
				this.subscriptions(thing, msg);
				return;
		}
		pending.free(slot);
		if (msg.code === SUCCESS) resolve!(msg);
		else reject!(new RequestError(msg.code, msg.reason ?? ""));
	}

	/**
	 * A platform request, read in place: its head, its params checked whole, then the thing found by
	 * its name's bytes reads what it needs of them. Malformed bytes are BAD_REQUEST, whatever they
	 * address; the client keeps serving.
	 */
	private onRequest(bytes: Uint8Array): void {
		const head = this.#head;
		const params = this.#params;
		let reply: Reply | Promise<Reply>;
		try {
			readRequestHead(bytes, 0, bytes.length, head);
			params.open(bytes, head.paramsOffset, bytes.length);
			const index = head.entityType === THING ? this.thingAt(bytes, head) : -1;
			reply = index >= 0
				? this.things[index].answer(bytes, head, params)
				: statusReply(NOT_FOUND, "no thing " + nameText(bytes, head.entityNameOffset, head.entityNameLength));
		} catch (error) {
			this.undecodable(bytes, error);
			return;
		}
		if (reply instanceof Promise) this.answerLater(reply, head.requestId, head.endpointId);
		else this.answer(head.requestId, head.endpointId, reply, this.#generation);
		this.startSyncs();
	}

	/** Apart from onRequest: variables its closures capture would be allocated for every request. */
	private answerLater(reply: Promise<Reply>, requestId: number, endpointId: number): void {
		const generation = this.#generation;
		reply.then(
			(r) => this.answer(requestId, endpointId, r, generation),
			(error) => this.answer(requestId, endpointId, statusReply(INTERNAL_SERVER_ERROR, String(error)), generation),
		);
	}

	private thingAt(bytes: Uint8Array, head: RequestHead): number {
		const things = this.things;
		for (let i = 0; i < things.length; i++) if (bytesEqual(bytes, head.entityNameOffset, head.entityNameLength, things[i].nameBytes)) return i;
		return -1;
	}

	private answer(requestId: number, endpointId: number, reply: Reply, generation: number): void {
		if (generation !== this.#generation || this.#transport === null) {
			this.stats.lateReplies++;
			return;
		}
		try {
			this.send(null, reply, requestId, endpointId);
		} catch (error) {
			// e.g. a result too large for maxMessageSize or a value the codec cannot write
			this.report(error);
			this.send(null, statusReply(INTERNAL_SERVER_ERROR, (error as Error).message), requestId, endpointId);
		}
	}

	/** Answer a message we could not read from its header alone. */
	private replyRaw(bytes: Uint8Array, code: number, reason: string): void {
		const u32 = (at: number) => ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
		this.send(null, statusReply(code, reason), u32(2), u32(6));
	}

	// --- sending ---

	private id(): number {
		this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
		return this.#nextId;
	}

	private requestMessage(id: number, code: number, entity: string, characteristic: number, name: string, params: InfoTable | null): RequestMessage {
		return {
			kind: "request", version: 1, code, requestId: id, endpointId: 0, sessionId: this.#out.session, entityType: THING,
			entityName: entity, characteristicType: characteristic, characteristicName: name, headers: [], params,
		};
	}

	/**
	 * A request to the platform (`characteristic` of thing `entity`), answered SUCCESS or rejected with a
	 * RequestError; fireEvent and src/client/requests.ts (services, properties) are made of it.
	 */
	request(code: number, entity: string, characteristic: number, name: string, params: InfoTable | null): Promise<ResponseMessage> {
		if (this.#state !== CONNECTED) return Promise.reject(new RequestError(SERVICE_UNAVAILABLE, "not connected"));
		return new Promise<ResponseMessage>((resolve, reject) => {
			const id = this.id();
			const slot = this.#pending.add(FOR_APP, id, this.#hal.ticks() + this.#s.requestTimeoutMs, -1, resolve, reject);
			if (slot < 0) {
				reject(new RequestError(SERVICE_UNAVAILABLE, "too many requests waiting"));
				return;
			}
			try {
				this.send(this.requestMessage(id, code, entity, characteristic, name, params));
			} catch (error) {
				this.#pending.free(slot);
				reject(error);
			}
		});
	}

	/** Sends a message, or a response (`reply` to request `requestId`), while the connection lasts (outbox.ts). */
	private send(msg: Message | null, reply: Reply | null = null, requestId = 0, endpointId = 0): void {
		const t = this.#transport;
		if (t !== null && !this.#closing) this.#out.send(t, msg, reply, requestId, endpointId);
	}

	#onWritable = (): void => {
		const t = this.#transport;
		if (t !== null && this.#out.drain(t)) this.flush();
	};

	// --- helpers ---

	private index(thingName: string): number {
		for (let i = 0; i < this.things.length; i++) if (this.things[i].name === thingName) return i;
		return -1;
	}

	/** Platform reasons may echo what was sent; the key never leaves through them. */
	private scrub(text: string): string {
		let key = "";
		try {
			key = this.#appKey();
		} catch {
			return text;
		}
		return key ? text.split(key).join("***") : text;
	}
}

/** "<what> refused (<reason>)": the platform answered a request of ours with `code`. */
function refused(code: number, what: string, reason: string | null | undefined): RequestError {
	return new RequestError(code, what + " refused" + (reason ? " (" + reason + ")" : ""));
}

function unanswered(what: string): RequestError {
	return new RequestError(GATEWAY_TIMEOUT, what + " not answered in time");
}

/** A reply made here (not by a thing): a code and a reason. */
function statusReply(code: number, reason: string | null): Reply {
	return { code, reason, content: null, property: null };
}
