/*
 * The connected-thing client (PROTOCOL.md §7.1): WebSocket upgrade, AUTH first, one BIND of every
 * thing, synchronization on each NotifyPropertyUpdate (GetPropertySubscriptions), pushes of the
 * subscribed property queues, answers to the platform's requests, and the edge's own requests.
 * Any loss reconnects with exponential back-off and full jitter, then re-AUTHs, re-BINDs and re-syncs;
 * stop() UNBINDs and closes with 1000.
 *
 * Memory: one buffer holds the TX buffer (chunk size) and every thing's row ring; requests wait in a
 * fixed table whose deadlines a single repeating tick checks. The push path (set -> ring -> TX ->
 * SUCCESS) allocates nothing: no closures, no message objects, the answer is read from header bytes.
 */
import type { Hal, TimerId } from "../../hal/hal";
import {
	ByteWriter, Characteristic, chunkCount, Code, DecodeError, decodeMessage, encodeChunk, EncodeError, encodeMessage,
	encodeMessageToBytes, EntityType, HEADER_SIZE, isRequestCode, PushWriter, Reassembler,
} from "../protocol";
import type { AuthMessage, BindMessage, InfoTable, Message, RequestMessage, ResponseMessage, TypedValue } from "../protocol/model";
import type { Thing, Reply, ThingLink } from "../thing/thing";
import type { Property } from "../thing/property";
import { WebSocketClient } from "../ws";
import { Backoff } from "./backoff";
import { settings, type EdgeClientConfig, type Settings, type Transport, type TransportFactory } from "./config";
import { RequestError } from "./errors";
import { Kind, PendingTable } from "./pending";
import { SubscribedProperties } from "./subscribed";

const STATE_NAMES = Object.freeze(["stopped", "connecting", "authenticating", "binding", "connected", "disconnecting", "waiting"] as const);
export type ClientState = (typeof STATE_NAMES)[number];
const S = Object.freeze({ STOPPED: 0, CONNECTING: 1, AUTHENTICATING: 2, BINDING: 3, CONNECTED: 4, DISCONNECTING: 5, WAITING: 6 });

const AUTH_SESSION = 0xffffffff;
const NO_CONTENT = 0xff;
const SWEEP_MS = 1000;

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

export class EdgeClient {
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
	#state: number = S.STOPPED;
	#transport: Transport | null = null;
	#generation = 0;
	#session = 0;
	#nextId = 0;
	#tx: Uint8Array;
	#writer: ByteWriter;
	#spms: SubscribedProperties[] = [];
	#bound: Uint8Array;
	#synchronized: Uint8Array;
	#syncWanted: Uint8Array;
	#syncRetryAt: Float64Array;
	#pushRetryAt = 0;
	#pending: PendingTable;
	#reassembler: Reassembler;
	#outbox: Uint8Array[] = [];
	#backoff: Backoff;
	#tickTimer: TimerId | null = null;
	#reconnectTimer: TimerId | null = null;
	#dutyTimer: TimerId | null = null;
	#boundAt = 0;
	#lastSweep = 0;
	#stopping = false;
	#closing = false;
	#dutyOff = false;
	#stopWaiters: Array<() => void> = [];
	#subscriptionParams: InfoTable;

	constructor(hal: Hal, config: EdgeClientConfig) {
		const s = settings(config);
		this.#hal = hal;
		this.#s = s;
		this.#appKey = config.appKey;
		this.#gateway = config.gateway && config.gateway.name && config.gateway.type ? config.gateway : null;
		this.#factory = config.transport ?? webSocket;
		this.things = Object.freeze(config.things.slice());
		const n = this.things.length;
		const mem = new Uint8Array(s.chunkSize + n * s.queueBytes);
		this.#tx = mem.subarray(0, s.chunkSize);
		this.#writer = new ByteWriter(this.#tx);
		const pushWriter = new PushWriter();
		this.#bound = new Uint8Array(n);
		this.#synchronized = new Uint8Array(n);
		this.#syncWanted = new Uint8Array(n);
		this.#syncRetryAt = new Float64Array(n);
		this.#pending = new PendingTable(s.maxPending);
		this.#reassembler = new Reassembler({ maxMessageSize: s.maxMessageSize, staleMs: 50000 });
		this.#backoff = new Backoff(hal, s.backoffBaseMs, s.backoffCapMs);
		this.#subscriptionParams = {
			fields: [{ name: "options", description: "", baseType: "JSON", aspects: [] }],
			rows: [[{ type: "JSON", value: '{"hasDeadband":true}' }]],
		};
		for (let i = 0; i < n; i++) {
			const thing = this.things[i];
			for (let j = 0; j < i; j++) if (this.things[j].name === thing.name) throw new TypeError("thing " + thing.name + " given twice");
			const spm = new SubscribedProperties(thing, mem, this.#writer, pushWriter, s.chunkSize + i * s.queueBytes, s.queueBytes, s.chunkSize, s.maxMessageSize);
			this.#spms.push(spm);
			const index = i;
			const link: ThingLink = {
				now: () => this.#hal.now(),
				propertyChanged: (p) => this.#changed(spm, p),
				propertyUpdateNotified: () => this.#wantSync(index),
				fireEvent: (thingName, event, data) => this.fireEvent(thingName, event, data),
			};
			thing.attach(link);
			for (const p of thing.properties) if (p.time > 0) this.#changed(spm, p);
		}
	}

	get state(): ClientState {
		return STATE_NAMES[this.#state];
	}

	/** Bound and AUTHenticated: the platform can be asked things. */
	get connected(): boolean {
		return this.#state === S.CONNECTED;
	}

	/** The session id the platform assigned at the last AUTH. */
	get sessionId(): number {
		return this.#session;
	}

	isBound(thingName: string): boolean {
		const i = this.#index(thingName);
		return i >= 0 && this.#bound[i] === 1;
	}

	isSynchronized(thingName: string): boolean {
		const i = this.#index(thingName);
		return i >= 0 && this.#synchronized[i] === 1;
	}

	/** Rows waiting in a thing's offline queue (in flight included). */
	queued(thingName: string): number {
		const i = this.#index(thingName);
		return i < 0 ? 0 : this.#spms[i].ring.count;
	}

	/** Rows dropped from a thing's full queue so far. */
	dropped(thingName: string): number {
		const i = this.#index(thingName);
		return i < 0 ? 0 : this.#spms[i].ring.dropped;
	}

	/** Connect and keep connected until stop(). */
	start(): void {
		if (this.#state !== S.STOPPED) return;
		this.#stopping = false;
		this.#dutyOff = false;
		this.#tickTimer = this.#hal.timers.repeat(this.#tick, this.#s.tickMs);
		this.#connect();
	}

	/** UNBIND every thing, close with 1000 and stay closed; resolves once the connection is gone. */
	stop(): Promise<void> {
		if (this.#state === S.STOPPED) return Promise.resolve();
		this.#stopping = true;
		this.#clearTimer(this.#reconnectTimer);
		this.#reconnectTimer = null;
		this.#clearTimer(this.#dutyTimer);
		this.#dutyTimer = null;
		return new Promise<void>((resolve) => {
			this.#stopWaiters.push(resolve);
			if (this.#state === S.WAITING) this.#stopped();
			else if (this.#state !== S.DISCONNECTING) this.#disconnect();
		});
	}

	/** Push every synchronized thing's waiting values now (also done at each tick when autoPush is on). */
	push(): void {
		this.#flush();
	}

	/** POST a service of any thing on the platform; resolves with its result table (null for none). */
	invokeService(thingName: string, serviceName: string, params: InfoTable | null = null): Promise<InfoTable | null> {
		return this.#request(Code.POST, thingName, Characteristic.SERVICES, serviceName, params).then(content);
	}

	/** GET a property of any thing on the platform. */
	readProperty(thingName: string, propertyName: string): Promise<TypedValue> {
		return this.#request(Code.GET, thingName, Characteristic.PROPERTIES, propertyName, null).then((r) => firstValue(r, propertyName));
	}

	/** PUT a property of any thing on the platform. */
	writeProperty(thingName: string, propertyName: string, value: TypedValue): Promise<void> {
		const params: InfoTable = { fields: [{ name: propertyName, description: "", baseType: value.type, aspects: [] }], rows: [[value]] };
		return this.#request(Code.PUT, thingName, Characteristic.PROPERTIES, propertyName, params).then(nothing);
	}

	/** Fire an event (POST, characteristic EVENTS, PROTOCOL.md §7.3). */
	fireEvent(thingName: string, eventName: string, data: InfoTable): Promise<void> {
		return this.#request(Code.POST, thingName, Characteristic.EVENTS, eventName, data).then(nothing);
	}

	// --- connection state machine ---

	#setState(state: number): void {
		if (this.#state === state) return;
		this.#state = state;
		if (this.onStateChange !== null) this.onStateChange(STATE_NAMES[state]);
	}

	#connect(): void {
		this.#setState(S.CONNECTING);
		const o = this.#s.transport;
		this.#hal.log("info", "connecting to " + (o.tls ? "wss://" : "ws://") + o.host + ":" + o.port + o.path);
		let t: Transport;
		try {
			t = this.#factory(this.#hal, o);
		} catch (error) {
			this.#report(error);
			this.#scheduleReconnect();
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
			this.#report(error);
			this.#scheduleReconnect();
		}
	}

	#onOpen = (): void => {
		this.#setState(S.AUTHENTICATING);
		const id = this.#id();
		let key: string;
		try {
			key = this.#appKey();
			if (typeof key !== "string" || key === "") throw new TypeError("the appKey callback returned no key");
		} catch (error) {
			this.#report(error);
			this.#abort();
			return;
		}
		const msg: AuthMessage = { kind: "auth", version: 1, code: Code.AUTH, requestId: id, endpointId: 0, sessionId: AUTH_SESSION, claims: [["appKey", key]] };
		this.#pending.add(Kind.AUTH, id, this.#hal.ticks() + this.#s.authTimeoutMs, -1, null, null);
		this.#sendMessage(msg);
	};

	#authenticated(response: ResponseMessage): void {
		if (response.code !== Code.SUCCESS) {
			this.#report(new RequestError(response.code, "authentication refused" + (response.reason ? " (" + this.#scrub(response.reason) + ")" : "")));
			this.#abort();
			return;
		}
		this.#session = response.sessionId;
		this.#hal.log("info", "authenticated (appKey), session " + response.sessionId);
		if (this.onAuthenticated !== null) this.onAuthenticated("appKey");
		this.#setState(S.BINDING);
		this.#sendBind(Code.BIND, Kind.BIND);
	}

	#sendBind(code: number, kind: number): void {
		const id = this.#id();
		const names: string[] = [];
		for (const thing of this.things) names.push(thing.name);
		const msg: BindMessage = {
			kind: code === Code.BIND ? "bind" : "unbind", version: 1, code, requestId: id, endpointId: 0, sessionId: this.#session,
			gateway: this.#gateway, names,
		};
		this.#pending.add(kind, id, this.#hal.ticks() + this.#s.requestTimeoutMs, -1, null, null);
		this.#sendMessage(msg);
	}

	#boundAll(response: ResponseMessage): void {
		if (response.code !== Code.SUCCESS) {
			this.#report(new RequestError(response.code, "BIND refused" + (response.reason ? " (" + response.reason + ")" : "")));
			this.#abort();
			return;
		}
		this.#boundAt = this.#hal.ticks();
		this.#setState(S.CONNECTED);
		this.#hal.log("info", "bound " + this.things.length + " thing(s)");
		for (let i = 0; i < this.things.length; i++) {
			this.#bound[i] = 1;
			if (this.onBound !== null) this.onBound(this.things[i].name);
		}
		if (this.#s.dutyOnMs > 0) this.#dutyTimer = this.#hal.timers.set(this.#dutyEnd, this.#s.dutyOnMs);
		this.#startSyncs();
	}

	#dutyEnd = (): void => {
		this.#dutyTimer = null;
		if (this.#stopping || this.#state !== S.CONNECTED) return;
		this.#hal.log("info", "duty cycle: off for " + this.#s.dutyOffMs + " ms");
		this.#dutyOff = true;
		this.#disconnect();
	};

	/** Graceful: UNBIND when bound, then close 1000. */
	#disconnect(): void {
		const t = this.#transport;
		if (t === null) {
			if (this.#state !== S.CONNECTING) this.#stopped();
			return;
		}
		const bound = this.#state === S.CONNECTED || this.#state === S.BINDING;
		this.#setState(S.DISCONNECTING);
		if (bound) this.#sendBind(Code.UNBIND, Kind.UNBIND);
		else this.#abort();
	}

	/** Close now (after a failure, or after UNBIND); the close handler decides what follows. */
	#abort(): void {
		const t = this.#transport;
		if (t === null || this.#closing) return;
		this.#closing = true;
		if (this.#state === S.CONNECTED) this.#setState(S.DISCONNECTING);
		t.close(1000, "Normal Close");
	}

	#onClose = (code: number, reason: string, error: Error | null): void => {
		this.#transport = null;
		this.#generation++;
		const pending = this.#pending;
		for (let slot = pending.any(); slot >= 0; slot = pending.any()) {
			const kind = pending.kind(slot);
			if (kind === Kind.PUSH) this.#spms[pending.thing(slot)].unsend();
			const reject = kind === Kind.APP ? pending.rejecter(slot) : null;
			pending.free(slot);
			if (reject !== null) reject(new RequestError(Code.SERVICE_UNAVAILABLE, "connection closed"));
		}
		this.#outbox.length = 0;
		this.#reassembler.clear();
		for (let i = 0; i < this.things.length; i++) {
			this.#synchronized[i] = 0;
			this.#syncWanted[i] = 0;
			if (this.#bound[i] === 1) {
				this.#bound[i] = 0;
				if (this.onUnbound !== null) this.onUnbound(this.things[i].name);
			}
		}
		this.#clearTimer(this.#dutyTimer);
		this.#dutyTimer = null;
		if (this.#stopping) {
			this.#hal.log("info", "closed");
			this.#stopped();
			return;
		}
		const stable = this.#boundAt > 0 && this.#hal.ticks() - this.#boundAt >= this.#s.backoffCapMs;
		this.#boundAt = 0;
		if (this.#dutyOff) {
			this.#dutyOff = false;
			this.#setState(S.WAITING);
			this.#reconnectTimer = this.#hal.timers.set(this.#reconnect, this.#s.dutyOffMs);
			return;
		}
		const why = error ? error.message : "closed by the platform (" + code + (reason ? " " + reason : "") + ")";
		this.#hal.log("warn", "connection lost: " + why);
		if (error) this.#report(error);
		if (stable) this.#backoff.reset();
		this.#scheduleReconnect();
	};

	#scheduleReconnect(): void {
		if (this.#stopping) {
			this.#stopped();
			return;
		}
		const delay = this.#backoff.next();
		this.#hal.log("info", "reconnecting in " + delay + " ms (attempt " + this.#backoff.attempt + ")");
		this.#setState(S.WAITING);
		this.#reconnectTimer = this.#hal.timers.set(this.#reconnect, delay);
	}

	#reconnect = (): void => {
		this.#reconnectTimer = null;
		if (this.#stopping) return;
		this.stats.reconnects++;
		this.#connect();
	};

	#stopped(): void {
		this.#clearTimer(this.#tickTimer);
		this.#tickTimer = null;
		this.#setState(S.STOPPED);
		const waiters = this.#stopWaiters;
		this.#stopWaiters = [];
		for (const resolve of waiters) resolve();
	}

	#clearTimer(id: TimerId | null): void {
		if (id !== null) this.#hal.timers.clear(id);
	}

	// --- housekeeping ---

	#tick = (): void => {
		const now = this.#hal.ticks();
		const pending = this.#pending;
		for (let slot = pending.expired(now); slot >= 0; slot = pending.expired(now)) this.#expire(slot, now);
		if (now - this.#lastSweep >= SWEEP_MS) {
			this.#lastSweep = now;
			if (this.#reassembler.pending > 0) this.#reassembler.sweep(now);
		}
		if (this.#state !== S.CONNECTED) return;
		this.#startSyncs();
		if (this.#s.autoPush || this.#pushRetryAt !== 0) this.#flush();
	};

	#expire(slot: number, now: number): void {
		const pending = this.#pending;
		const kind = pending.kind(slot);
		const thing = pending.thing(slot);
		const reject = pending.rejecter(slot);
		pending.free(slot);
		this.stats.timeouts++;
		switch (kind) {
			case Kind.AUTH:
			case Kind.BIND:
				this.#report(new RequestError(Code.GATEWAY_TIMEOUT, (kind === Kind.AUTH ? "AUTH" : "BIND") + " not answered in time"));
				this.#abort();
				return;
			case Kind.UNBIND:
				this.#abort();
				return;
			case Kind.SYNC:
				this.#syncWanted[thing] = 1;
				this.#syncRetryAt[thing] = now + this.#s.pushRetryMs;
				this.#report(new RequestError(Code.GATEWAY_TIMEOUT, "GetPropertySubscriptions of " + this.things[thing].name + " not answered in time"));
				return;
			case Kind.PUSH:
				this.#spms[thing].unsend();
				this.stats.pushFailures++;
				this.#pushRetryAt = now + this.#s.pushRetryMs;
				return;
			case Kind.APP:
				if (reject !== null) reject(new RequestError(Code.GATEWAY_TIMEOUT, "no answer within " + this.#s.requestTimeoutMs + " ms"));
		}
	}

	// --- synchronization (§7.1 steps 6-9) ---

	#wantSync(index: number): void {
		this.#syncWanted[index] = 1;
		this.#syncRetryAt[index] = 0;
	}

	#startSyncs(): void {
		if (this.#state !== S.CONNECTED) return;
		const now = this.#hal.ticks();
		for (let i = 0; i < this.things.length; i++) {
			if (this.#syncWanted[i] === 0 || now < this.#syncRetryAt[i] || this.#pending.findKind(Kind.SYNC, i) >= 0) continue;
			const id = this.#id();
			if (this.#pending.add(Kind.SYNC, id, now + this.#s.requestTimeoutMs, i, null, null) < 0) return;
			this.#syncWanted[i] = 0;
			this.#sendMessage(this.#requestMessage(id, Code.POST, this.things[i].name, Characteristic.SERVICES, "GetPropertySubscriptions", this.#subscriptionParams));
		}
	}

	#subscriptions(index: number, response: ResponseMessage): void {
		const thing = this.things[index];
		if (response.code !== Code.SUCCESS) {
			this.#syncWanted[index] = 1;
			this.#syncRetryAt[index] = this.#hal.ticks() + this.#s.pushRetryMs;
			this.#report(new RequestError(response.code, "GetPropertySubscriptions of " + thing.name + " refused" + (response.reason ? " (" + response.reason + ")" : "")));
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
		this.#synchronized[index] = 1;
		this.#hal.log("info", thing.name + " synchronized");
		if (this.onSynchronized !== null) this.onSynchronized(thing.name);
		this.#flush();
	}

	// --- the push path ---

	#changed(spm: SubscribedProperties, p: Property): void {
		const dropped = spm.changed(p);
		if (dropped === 0) return;
		if (dropped > 0) this.stats.rowsDropped += dropped;
		else this.stats.rowsRefused++;
		if (this.onDropped !== null) this.onDropped(spm.thing.name, dropped, spm.ring.dropped);
	}

	#flush(): void {
		const t = this.#transport;
		if (this.#state !== S.CONNECTED || t === null || this.#closing || this.#outbox.length !== 0) return;
		if (this.#pushRetryAt !== 0) {
			if (this.#hal.ticks() < this.#pushRetryAt) return;
			this.#pushRetryAt = 0;
		}
		const spms = this.#spms;
		for (let i = 0; i < spms.length && this.#transport === t; i++) {
			const spm = spms[i];
			if (this.#synchronized[i] === 0 || spm.inFlight > 0 || !spm.waiting) continue;
			const id = this.#id();
			const slot = this.#pending.add(Kind.PUSH, id, this.#hal.ticks() + this.#s.requestTimeoutMs, i, null, null);
			if (slot < 0) return;
			const rows = spm.fill(this.#writer, id, this.#session);
			const length = this.#writer.position;
			if (rows === 0 || this.#send(t, this.#tx, length) !== 1) {
				this.#pending.free(slot);
				spm.unsend();
				return;
			}
			this.stats.pushes++;
			if (this.onPush !== null) this.onPush(spm.thing.name, rows, length);
		}
	}

	#pushAnswered(slot: number, code: number): void {
		const spm = this.#spms[this.#pending.thing(slot)];
		this.#pending.free(slot);
		if (code === Code.SUCCESS) {
			this.stats.pushesAcknowledged++;
			this.stats.rowsAcknowledged += spm.inFlight;
			spm.acknowledge();
			this.#flush();
			return;
		}
		spm.unsend();
		this.stats.pushFailures++;
		this.#pushRetryAt = this.#hal.ticks() + this.#s.pushRetryMs;
		this.#report(new RequestError(code, "UpdateSubscribedPropertyValues of " + spm.thing.name + " refused"));
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
		if (bytes[14] === 0 && code >= Code.SUCCESS) {
			const slot = this.#pending.find(((bytes[2] << 24) | (bytes[3] << 16) | (bytes[4] << 8) | bytes[5]) >>> 0);
			if (slot >= 0 && this.#pending.kind(slot) === Kind.PUSH) {
				this.#pushAnswered(slot, code);
				return;
			}
		}
		let msg: Message;
		try {
			const decoded = decodeMessage(bytes);
			if (decoded.kind === "chunk") {
				const whole = this.#reassembler.add(decoded, this.#hal.ticks());
				if (whole === null) return;
				msg = decodeMessage(whole) as Message;
			} else msg = decoded;
		} catch (error) {
			if (!(error instanceof DecodeError)) throw error;
			this.stats.decodeErrors++;
			this.#hal.log("warn", "undecodable message (code " + code + "): " + error.message);
			if (isRequestCode(code)) this.#replyRaw(bytes, Code.BAD_REQUEST, error.message);
			return;
		}
		switch (msg.kind) {
			case "response":
				this.#onResponse(msg);
				return;
			case "request":
				this.#onRequest(msg);
				return;
			case "keepalive":
				return;
			default: // AUTH, BIND, UNBIND are not for the edge (the C SDK answers them so too)
				this.#replyRaw(bytes, Code.BAD_REQUEST, "Message Type not supported");
		}
	};

	#onResponse(msg: ResponseMessage): void {
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
			case Kind.PUSH:
				this.#pushAnswered(slot, msg.code);
				return;
			case Kind.AUTH:
				pending.free(slot);
				this.#authenticated(msg);
				return;
			case Kind.BIND:
				pending.free(slot);
				this.#boundAll(msg);
				return;
			case Kind.UNBIND:
				pending.free(slot);
				this.#abort();
				return;
			case Kind.SYNC:
				pending.free(slot);
				this.#subscriptions(thing, msg);
				return;
		}
		pending.free(slot);
		if (msg.code === Code.SUCCESS) resolve!(msg);
		else reject!(new RequestError(msg.code, msg.reason ?? ""));
	}

	#onRequest(request: RequestMessage): void {
		const index = request.entityType === EntityType.THING ? this.#index(request.entityName) : -1;
		const generation = this.#generation;
		if (index < 0) {
			this.#answer(request, { code: Code.NOT_FOUND, reason: "no thing " + request.entityName, content: null }, generation);
			return;
		}
		const reply = this.things[index].dispatch(request);
		if (reply instanceof Promise) {
			reply.then(
				(r) => this.#answer(request, r, generation),
				(error) => this.#answer(request, { code: Code.INTERNAL_SERVER_ERROR, reason: String(error), content: null }, generation),
			);
		} else this.#answer(request, reply, generation);
		this.#startSyncs();
	}

	#answer(request: RequestMessage, reply: Reply, generation: number): void {
		if (generation !== this.#generation || this.#transport === null) {
			this.stats.lateReplies++;
			return;
		}
		const msg: ResponseMessage = {
			kind: "response", version: 1, code: reply.code, requestId: request.requestId, endpointId: request.endpointId,
			sessionId: this.#session, reason: reply.reason, content: reply.content, contentType: NO_CONTENT, trailing: 0,
		};
		try {
			this.#sendMessage(msg);
		} catch (error) {
			// e.g. a result too large for maxMessageSize or a value the codec cannot write
			this.#report(error);
			this.#sendMessage({ ...msg, code: Code.INTERNAL_SERVER_ERROR, reason: String((error as Error).message), content: null });
		}
	}

	/** Answer a message we could not decode from its header alone. */
	#replyRaw(bytes: Uint8Array, code: number, reason: string): void {
		const u32 = (at: number) => ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
		this.#sendMessage({
			kind: "response", version: 1, code, requestId: u32(2), endpointId: u32(6), sessionId: this.#session,
			reason, content: null, contentType: NO_CONTENT, trailing: 0,
		});
	}

	// --- sending ---

	#id(): number {
		this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
		return this.#nextId;
	}

	#requestMessage(id: number, code: number, entity: string, characteristic: number, name: string, params: InfoTable | null): RequestMessage {
		return {
			kind: "request", version: 1, code, requestId: id, endpointId: 0, sessionId: this.#session, entityType: EntityType.THING,
			entityName: entity, characteristicType: characteristic, characteristicName: name, headers: [], params,
		};
	}

	#request(code: number, entity: string, characteristic: number, name: string, params: InfoTable | null): Promise<ResponseMessage> {
		if (this.#state !== S.CONNECTED) return Promise.reject(new RequestError(Code.SERVICE_UNAVAILABLE, "not connected"));
		return new Promise<ResponseMessage>((resolve, reject) => {
			const id = this.#id();
			const slot = this.#pending.add(Kind.APP, id, this.#hal.ticks() + this.#s.requestTimeoutMs, -1, resolve, reject);
			if (slot < 0) {
				reject(new RequestError(Code.SERVICE_UNAVAILABLE, "too many requests waiting"));
				return;
			}
			try {
				this.#sendMessage(this.#requestMessage(id, code, entity, characteristic, name, params));
			} catch (error) {
				this.#pending.free(slot);
				reject(error);
			}
		});
	}

	/** Encode and send (single-part when it fits a chunk, else as chunks); queued behind earlier messages. */
	#sendMessage(msg: Message): void {
		const s = this.#s;
		let length = -1;
		try {
			length = encodeMessage(msg, this.#tx, 0);
		} catch (error) {
			if (!(error instanceof EncodeError && error.reason.startsWith("no room"))) throw error;
		}
		if (length >= 0 && chunkCount(this.#tx, length, s.chunkSize) === 1) {
			this.#sendTx(length);
			return;
		}
		const whole = length >= 0 ? this.#tx.slice(0, length) : encodeMessageToBytes(msg);
		if (whole.length > s.maxMessageSize) {
			throw new RequestError(Code.ENTITY_TOO_LARGE, "message of " + whole.length + " bytes exceeds maxMessageSize " + s.maxMessageSize);
		}
		const chunks = chunkCount(whole, whole.length, s.chunkSize);
		for (let k = 1; k <= chunks; k++) this.#sendTx(encodeChunk(whole, whole.length, k, s.chunkSize, this.#tx, 0));
	}

	/** Send tx[0, length) now, or a copy after what is already waiting. */
	#sendTx(length: number): void {
		const t = this.#transport;
		if (t === null || this.#closing) return;
		if (this.#outbox.length === 0) {
			const sent = this.#send(t, this.#tx, length);
			// a transport may close from inside send(): nothing of it may wait for the next connection
			if (sent !== 0 || this.#transport !== t) return;
		}
		this.#outbox.push(this.#tx.slice(0, length));
	}

	/** 1 sent, 0 refused for now (back-pressure), -1 failed (the transport is closing or the message is invalid). */
	#send(t: Transport, bytes: Uint8Array, length: number): number {
		let ok: boolean;
		try {
			ok = t.send(bytes, 0, length, true);
		} catch (error) {
			this.#report(error);
			return -1;
		}
		if (!ok) return 0;
		this.stats.messagesSent++;
		this.stats.bytesSent += length;
		return 1;
	}

	#onWritable = (): void => {
		const t = this.#transport;
		if (t === null) return;
		const outbox = this.#outbox;
		while (outbox.length > 0) {
			const bytes = outbox[0];
			if (this.#send(t, bytes, bytes.length) === 0) return;
			outbox.shift();
		}
		this.#flush();
	};

	// --- helpers ---

	#index(thingName: string): number {
		for (let i = 0; i < this.things.length; i++) if (this.things[i].name === thingName) return i;
		return -1;
	}

	/** Platform reasons may echo what was sent; the key never leaves through them. */
	#scrub(text: string): string {
		let key = "";
		try {
			key = this.#appKey();
		} catch {
			return text;
		}
		return key ? text.split(key).join("***") : text;
	}

	#report(error: unknown): void {
		const e = error instanceof Error ? error : new Error(String(error));
		this.#hal.log("error", e.message);
		if (this.onError !== null) this.onError(e);
	}
}

function column(table: InfoTable, name: string): number {
	for (let i = 0; i < table.fields.length; i++) if (table.fields[i].name === name) return i;
	return -1;
}

function content(response: ResponseMessage): InfoTable | null {
	return response.content;
}

function nothing(): void {}

function firstValue(response: ResponseMessage, name: string): TypedValue {
	const table = response.content;
	if (table === null || table.rows.length === 0 || table.fields.length === 0) return { type: "NOTHING", value: null };
	const i = column(table, name);
	return table.rows[0][i >= 0 ? i : 0] ?? { type: "NOTHING", value: null };
}
