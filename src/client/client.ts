/*
 * The connected-thing client (docs/protocol.md §7.1): the connection and session state machine. WebSocket
 * upgrade, AUTH first, one BIND of every registered entity, then serving; any loss reconnects with
 * exponential back-off and full jitter, then re-AUTHs, re-BINDs and re-synchronizes; stop() UNBINDs and
 * closes with 1000. Entities registered or removed while connected get a BIND or UNBIND of their own.
 * Its parts, one concern each:
 * - bindings.ts: the registered set, each entity's BIND and its synchronization (NotifyPropertyUpdate ->
 *   GetPropertySubscriptions);
 * - pusher.ts: the push path (change -> push rules -> offline queue -> push -> SUCCESS);
 * - responder.ts: answers to the platform's requests;
 * - pending.ts: requests waiting for their answer, matched by id, with their deadlines;
 * - outbox.ts: the outbound path (the lent TX buffer, or a message encoded aside and sent in chunks).
 *
 * Time: ONE timer (made once, rescheduled, never reallocated: HalTimers.create/schedule), set to the
 * earliest of the client's deadlines: the next request timeout, push (pushDelayMs after a change, or a
 * retry), synchronization retry, reconnect delay, duty cycle's end, and stale reassembly. Nothing
 * polls: an idle connected client never wakes (the WebSocket client keeps its own ping timer).
 *
 * Memory: one buffer, allocated once and kept across connections (no 16 KB to find again at each
 * reconnect), holds, for the client's own (host) defaults and one thing:
 * - the TX buffer, 8 + 8192 bytes: a frame header (2 + 2 + 4 mask) and one chunk, the most the edge
 *   sends in one frame (docs/protocol.md §1.3); lent to each WebSocket client, which frames and masks in
 *   place: messages are written straight into it, pushes copy their rows in with copyWithin;
 * - each thing's row ring (the offline queue), 4096 bytes, for maxThings things (each registered thing
 *   takes a free slot's ring; a removed thing frees it): the SteamSensor's 5 values of a scan take
 *   215 bytes there, so 19 scans (95 s at the example's 5 s) wait for the platform; rows are encoded
 *   in place;
 * - the RX buffer, 8192 bytes: one chunk, lent too. The platform never sends a frame over its chunk
 *   size (the C SDK drops one, §8.3) and we announce ours (Max-Frame-Size), so a bigger message comes
 *   AlwaysOn-chunked and is reassembled by the codec's Reassembler when `reassembly` is configured (made
 *   on the first chunk, bounded by maxMessageSize), else refused; a bigger WebSocket message is skipped by the transport past its head, and refused
 *   (a request answered ENTITY_TOO_LARGE, counted in stats.messagesRefused), the connection kept.
 * That is 20,488 bytes of chunk heap; with a device's DEVICE_DEFAULTS (device-defaults.ts) 1,032 + 2,048
 * + 1,024 = 4,104 (the 24 KB XS heap budget counts them); the objects (XS slots are 16 bytes on an ESP32)
 * come on top. No closure per callback (some 200 bytes each under XS): the transport's and the timer's
 * callbacks are shared methods that reach the client as their owner (`this`).
 * The push path (set -> ring -> TX -> SUCCESS) allocates nothing, and neither does reading a platform
 * request (its head and params are read in place) beyond the values handed to the application.
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import type { Hal, TimerId } from "../../hal/hal";
import { decodeReply, HEADER_SIZE, isRequestCode, PushWriter, type Reassembler } from "../protocol";
import { AUTH, BAD_REQUEST, BIND, ENTITY_TOO_LARGE, EVENTS, GATEWAY_TIMEOUT, KEEP_ALIVE, POST, SERVICE_UNAVAILABLE, SUCCESS, THING, UNBIND } from "../protocol/codes";
import type { AuthMessage, ChunkMessage, EdgeMessage, InfoTable, RequestMessage, ResponseMessage } from "../protocol/model";
import { rxBufferSize, txBufferSize, WebSocketClient } from "../ws/client";
import { POLICY_VIOLATION, WebSocketError } from "../ws/error";
import { Backoff } from "./backoff";
import { BOUND, Bindings } from "./bindings";
import { settings, type EdgeClientConfig, type PersistedQueues, type Settings, type Transport, type TransportFactory, type TransportOptions } from "./config";
import type { BoundEntity, EntityLink, PushedProperty, Reply } from "./entity";
import { ConnectionError, RequestError } from "./errors";
import { Outbox, type OutboxLink } from "./outbox";
import { FOR_APP, FOR_AUTH, FOR_BIND, FOR_BIND_SOME, FOR_PUSH, FOR_QUEUED, FOR_SYNC, FOR_UNBIND, FOR_UNBIND_SOME, PendingTable } from "./pending";
import { Pusher } from "./pusher";
import { RequestQueue, type RequestOptions } from "./requestqueue";
import { countRecovery, LossDetector } from "./recovery";
import { nothing } from "./requests";
import { Responder } from "./responder";
import { NEVER, type Session } from "./session";
import { newStats, type ClientStats } from "./stats";
import { SubscribedProperties } from "./subscribed";
import { VERBOSE } from "../verbose";

export type { ClientStats } from "./stats";

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

function webSocket(hal: Hal, options: ConstructorParameters<typeof WebSocketClient>[1]): Transport {
	return new WebSocketClient(hal, options) as Transport;
}

/** Also the entities' link (EntityLink), its parts' session (Session) and the outbox's link (OutboxLink). */
export class EdgeClient implements EntityLink, Session, OutboxLink {
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
	/** A loss detected and recovered from (recovery.ts: "unanswered", "stale-message", "outbox-full", "binding-lost"); null: the connection. */
	onRecovery: ((kind: string, thingName: string | null) => void) | null = null;
	/** Counts connections (Session): a reply made for an older one is late. */
	generation = 0;

	#hal: Hal;
	#s: Settings;
	#appKey: () => string;
	#factory: TransportFactory;
	#state: number = STOPPED;
	#transport: Transport | null = null;
	#nextId = 0;
	#options: TransportOptions;
	#out: Outbox;
	#pending: PendingTable;
	#bindings: Bindings;
	#pusher: Pusher;
	/** Where pushes are written (the TX buffer's writer) and measured; each thing's ring starts after the TX buffer. */
	#mem: Uint8Array;
	#pushWriter = new PushWriter();
	#rings: number;
	#requests: RequestQueue;
	/** The offline queues kept in flash, with `persistence`. */
	#journal: PersistedQueues | null = null;
	#responder: Responder;
	/** Made when the first chunk arrives (most devices never see one). */
	#reassembler: Reassembler | null = null;
	#backoff: Backoff;
	#loss: LossDetector;
	/** The connection was failed by a detected loss: its reconnect does not reset the back-off. */
	#lost = false;
	/** The one timer, and the tick it is scheduled for (NEVER: unscheduled). */
	#timer: TimerId;
	#armedAt = NEVER;
	/** The reconnect delay's end (WAITING) or the duty cycle's (CONNECTED): never both. */
	#stateAt = NEVER;
	/** When the oldest unfinished multipart set goes stale. */
	#sweepAt = NEVER;
	#boundAt = 0;
	#stopping = false;
	#closing = false;
	#dutyOff = false;
	#stopWaiters: Array<() => void> = [];

	constructor(hal: Hal, config: EdgeClientConfig) {
		const s = settings(config);
		this.#hal = hal;
		this.#s = s;
		this.#appKey = config.appKey;
		this.#factory = config.transport ?? webSocket;
		const n = s.maxThings;
		// [TX: frame header + chunk | ring 0 | ring 1 | ... | ring maxThings-1 | RX], kept across connections.
		// Sized by the WebSocket client's own rules: a chunk is one frame out and one message in.
		const txSize = txBufferSize(s.chunkSize);
		const rxSize = rxBufferSize(s.chunkSize);
		const rings = txSize;
		const mem = new Uint8Array(txSize + n * s.queueBytes + rxSize);
		const tx = mem.subarray(0, txSize);
		this.#mem = mem;
		this.#rings = rings;
		this.#out = new Outbox(tx, s, this);
		const options = s.transport as TransportOptions; // completed in place: one object for the client's life
		options.txBuffer = tx;
		options.rxBuffer = mem.subarray(rings + n * s.queueBytes);
		this.#options = options;
		this.#pending = new PendingTable(s.maxPending);
		this.#backoff = new Backoff(hal, s.backoffBaseMs, s.backoffCapMs);
		this.#loss = new LossDetector(s.maxConsecutiveTimeouts, s.transport.messageTimeoutMs);
		const gateway = config.gateway && config.gateway.name && config.gateway.type ? config.gateway : null;
		const bindings = new Bindings(hal, s, this.#pending, this, gateway);
		this.#bindings = bindings;
		this.#pusher = new Pusher(hal, s, this.#pending, this.#out, bindings, this);
		this.#requests = new RequestQueue(hal, s, this.#pending, this.#out, bindings, this);
		this.#responder = new Responder(hal, bindings, this);
		this.#timer = hal.timers.create(this.deadlineDue, this);
		for (const thing of config.things) this.addThing(thing);
		if (config.persistence !== undefined) {
			this.#journal = config.persistence(hal, s, bindings, this.#requests, this);
			this.#journal.restore(); // what it restores waits for the synchronization
		}
	}

	/** The registered things, in slot order. */
	get things(): readonly BoundEntity[] {
		const list: BoundEntity[] = [];
		for (const e of this.#bindings.entities) if (e !== null) list.push(e);
		return list;
	}

	/**
	 * Registers a thing at run time. On a live connection it gets a BIND of its own (the things
	 * registered in one turn share one), then the platform's NotifyPropertyUpdate synchronizes it before
	 * anything of it is pushed; its values are queued meanwhile. Otherwise the next BIND after AUTH
	 * names it, as it does after every reconnect. A TypeError for a name registered already, a
	 * RangeError beyond maxThings.
	 */
	addThing(thing: BoundEntity): void {
		const bindings = this.#bindings;
		if (bindings.index(thing.name) >= 0) throw new TypeError(VERBOSE ? "thing " + thing.name + " is registered already" : "duplicate " + thing.name);
		const slot = bindings.freeSlot();
		if (slot < 0) throw new RangeError(VERBOSE ? "thing " + thing.name + ": " + this.#s.maxThings + " things are registered already (maxThings)" : "range maxThings");
		const s = this.#s;
		const manager = new SubscribedProperties(thing, this.#mem, this.#out.writer, this.#pushWriter, this.#rings + slot * s.queueBytes, s.queueBytes, s.chunkSize, s.maxMessageSize);
		bindings.add(slot, thing, manager);
		thing.attach(this);
		for (const p of thing.properties) if (p.time > 0) this.#pusher.changed(slot, p);
		if (this.#journal !== null) this.#journal.changed(); // a new queue to record
		this.arm();
	}

	/**
	 * Forgets a thing: an UNBIND of it alone goes out when the platform has it bound, its queued values
	 * are dropped, its requests waiting are abandoned. False when no thing of that name is registered.
	 */
	removeThing(name: string): boolean {
		const bindings = this.#bindings;
		const i = bindings.index(name);
		if (i < 0) return false;
		const thing = bindings.entities[i]!;
		bindings.remove(i);
		thing.attach(null);
		if (this.#journal !== null) this.#journal.changed(); // its queue is gone
		this.arm();
		return true;
	}

	/**
	 * Binds a registered thing again with a BIND of its own and synchronizes it before its next push
	 * (its values stay queued): after the platform refused its BIND, or lost its binding. False when it
	 * is not registered or the client is not connected (every reconnect binds the registered set anyway).
	 */
	bindAgain(name: string): boolean {
		const i = this.#bindings.index(name);
		if (i < 0 || this.ready() === null) return false;
		this.#bindings.bindAgain(i);
		this.arm();
		return true;
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
		const i = this.#bindings.index(thingName);
		return i >= 0 && this.#bindings.managers[i]!.bindState === BOUND;
	}

	isSynchronized(thingName: string): boolean {
		const i = this.#bindings.index(thingName);
		return i >= 0 && this.#bindings.managers[i]!.synchronized;
	}

	/** Rows waiting in a thing's offline queue (in flight included). */
	queued(thingName: string): number {
		const i = this.#bindings.index(thingName);
		return i < 0 ? 0 : this.#bindings.managers[i]!.ring.count;
	}

	/** Rows dropped from a thing's full queue so far. */
	dropped(thingName: string): number {
		const i = this.#bindings.index(thingName);
		return i < 0 ? 0 : this.#bindings.managers[i]!.ring.dropped;
	}

	/** With `persistence`: writes what waits for persistDelayMs now (before a planned restart, say). */
	persist(): void {
		if (this.#journal !== null) this.#journal.write();
	}

	/** Requests waiting in the offline request queue (the one in flight included). */
	get requestsQueued(): number {
		return this.#requests.count;
	}

	/** Connect and keep connected until stop(). */
	start(): void {
		if (this.#state !== STOPPED) return;
		this.#stopping = false;
		this.#dutyOff = false;
		this.connect();
		this.arm();
	}

	/** UNBIND every thing, close with 1000 and stay closed; resolves once the connection is gone. */
	stop(): Promise<void> {
		if (this.#state === STOPPED) return Promise.resolve();
		this.#stopping = true;
		this.#stateAt = NEVER;
		return new Promise<void>((resolve) => {
			this.#stopWaiters.push(resolve);
			if (this.#state === WAITING) this.stopped();
			else if (this.#state !== DISCONNECTING) this.disconnect();
			this.arm();
		});
	}

	/** Push every synchronized thing's waiting values now (with autoPush, changes are pushed pushDelayMs after they happen anyway). */
	push(): void {
		this.#pusher.flush();
		this.arm();
	}

	/** Fire an event (POST, characteristic EVENTS, docs/protocol.md §7.3); queued while offline unless `options` say otherwise. */
	fireEvent(thingName: string, eventName: string, data: InfoTable, options?: RequestOptions): Promise<void> {
		return this.request(POST, thingName, EVENTS, eventName, data, options).then(nothing);
	}

	/**
	 * A request to the platform (`characteristic` of thing `entity`), answered SUCCESS or rejected with a
	 * RequestError; fireEvent and src/client/requests.ts (services, properties) are made of it. It waits
	 * in the offline request queue until the platform answers it (requestqueue.ts), unless `options.queue`
	 * is false: then it fails at once while not connected, and on a timeout or a lost connection.
	 */
	request(code: number, entity: string, characteristic: number, name: string, params: InfoTable | null, options?: RequestOptions): Promise<ResponseMessage> {
		if (options === undefined || options.queue !== false) {
			return new Promise<ResponseMessage>((resolve, reject) => {
				this.#requests.add(this.requestMessage(0, code, entity, characteristic, name, params), resolve, reject, options !== undefined && options.refuseWhenFull === true);
				this.arm();
			});
		}
		if (this.#state !== CONNECTED) return Promise.reject(new RequestError(SERVICE_UNAVAILABLE, "not connected"));
		return new Promise<ResponseMessage>((resolve, reject) => {
			const id = this.nextId();
			const slot = this.#pending.add(FOR_APP, id, this.#hal.ticks() + this.#s.requestTimeoutMs, -1, resolve, reject);
			if (slot < 0) {
				reject(new RequestError(SERVICE_UNAVAILABLE, VERBOSE ? "too many requests waiting" : "maxPending"));
				return;
			}
			try {
				this.send(this.requestMessage(id, code, entity, characteristic, name, params));
			} catch (error) {
				this.#pending.free(slot);
				reject(error);
			}
			this.arm();
		});
	}

	// --- EntityLink: what the bound entities call ---

	/** The wall clock the things stamp their values with. */
	now(): number {
		return this.#hal.now();
	}

	/** A property of one of the entities changed: its push rules decide what is queued. */
	propertyChanged(entity: BoundEntity, property: PushedProperty): void {
		const i = this.#bindings.indexOf(entity);
		if (i >= 0 && this.#pusher.changed(i, property)) this.arm();
	}

	/** The platform POSTed NotifyPropertyUpdate to an entity: synchronize it once the reply is out. */
	propertyUpdateNotified(entity: BoundEntity): void {
		const i = this.#bindings.indexOf(entity);
		if (i >= 0) this.#bindings.wantSync(i);
	}

	// --- Session and OutboxLink: what the parts call ---

	/** A failure that throws nowhere else: logged, and handed to onError; a recovery (ConnectionError) is counted and handed to onRecovery too. */
	report(error: unknown): void {
		const e = error instanceof Error ? error : new Error(String(error));
		this.#hal.log("error", e.message);
		if (this.onError !== null) this.onError(e);
		if (e instanceof ConnectionError) this.recovered(e.kind, e.thingName);
	}

	/** The transport while bound and not closing, else null. */
	ready(): Transport | null {
		return this.#state === CONNECTED && !this.#closing ? this.#transport : null;
	}

	nextId(): number {
		this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
		return this.#nextId;
	}

	/** Sends a message, or a response (`reply` to request `requestId`), while the connection lasts (outbox.ts). */
	send(msg: EdgeMessage | null, reply: Reply | null = null, requestId = 0, endpointId = 0): void {
		const t = this.#transport;
		if (t !== null && !this.#closing) this.#out.send(t, msg, reply, requestId, endpointId);
	}

	// --- the one timer ---

	/** Schedules the timer for the earliest deadline (or none); a no-op when that has not moved. */
	private arm(): void {
		let at = this.#state === STOPPED ? NEVER : this.#pending.earliest();
		if (this.#state !== STOPPED) {
			if (this.#stateAt < at) at = this.#stateAt;
			if (this.#sweepAt < at) at = this.#sweepAt;
			if (this.#pusher.dueAt < at) at = this.#pusher.dueAt;
			if (this.#bindings.syncAt < at) at = this.#bindings.syncAt;
			if (this.#bindings.bindAt < at) at = this.#bindings.bindAt;
			if (this.#requests.dueAt < at) at = this.#requests.dueAt;
		}
		if (at === this.#armedAt) return;
		this.#armedAt = at;
		if (at === NEVER) this.#hal.timers.schedule(this.#timer, -1);
		else {
			const delay = Math.ceil(at - this.#hal.ticks());
			this.#hal.timers.schedule(this.#timer, delay > 0 ? delay : 0);
		}
	}

	/** Whatever fell due: the state's deadline, request timeouts, stale chunks, syncs, pushes. */
	private deadlineDue(): void {
		this.#armedAt = NEVER;
		const now = this.#hal.ticks();
		if (this.#stateAt <= now) {
			this.#stateAt = NEVER;
			this.stateDeadline();
		}
		const pending = this.#pending;
		for (let slot = pending.expired(now); slot >= 0; slot = pending.expired(now)) this.expire(slot);
		if (this.#sweepAt <= now) this.sweep(now);
		if (this.#bindings.bindAt <= now) this.#bindings.startBinds();
		if (this.#bindings.syncAt <= now) this.#bindings.startSyncs();
		if (this.#pusher.dueAt <= now) this.#pusher.flush();
		if (this.#requests.dueAt <= now) this.#requests.flush();
		this.arm();
	}

	/** A request got no answer in time; maxConsecutiveTimeouts in a row: the connection is lost. */
	private expire(slot: number): void {
		const pending = this.#pending;
		const kind = pending.kind(slot);
		const index = pending.thing(slot);
		const reject = pending.rejecter(slot);
		const id = pending.requestId(slot);
		pending.free(slot);
		this.stats.timeouts++;
		switch (kind) {
			case FOR_AUTH:
			case FOR_BIND:
			case FOR_BIND_SOME:
			case FOR_UNBIND_SOME:
				// a BIND or UNBIND unanswered: the connection is not working; the reconnect binds the registered set
				this.report(unanswered(kind === FOR_AUTH ? "AUTH" : kind === FOR_UNBIND_SOME ? "UNBIND" : "BIND"));
				this.abort();
				return;
			case FOR_UNBIND:
				this.abort();
				return;
			case FOR_SYNC:
				this.#bindings.syncFailed(index, unanswered(VERBOSE ? "GetPropertySubscriptions of " + this.#bindings.entities[index]!.name : "sync"));
				break;
			case FOR_PUSH:
				this.#pusher.timedOut(index);
				break;
			case FOR_QUEUED:
				this.#requests.timedOut(id);
				break;
			case FOR_APP:
				if (reject !== null) reject(new RequestError(GATEWAY_TIMEOUT, VERBOSE ? "no answer within " + this.#s.requestTimeoutMs + " ms" : "requestTimeoutMs"));
		}
		if (this.#loss.unanswered()) this.lose("unanswered", VERBOSE ? this.#loss.streak + " requests in a row not answered within " + this.#s.requestTimeoutMs + " ms" : "maxConsecutiveTimeouts");
	}

	/** Stale multipart sets are dropped; one with nothing else received since is a wedged peer. */
	private sweep(now: number): void {
		const reassembler = this.#reassembler;
		if (reassembler !== null && reassembler.sweep(now) > 0 && this.#loss.silent(now)) {
			this.lose("stale-message", VERBOSE ? "a multipart message left unfinished for " + this.#s.transport.messageTimeoutMs + " ms, nothing else received" : "messageTimeoutMs");
		}
		this.staleAt();
	}

	/** A loss detected on a connection that looks alive: reported, and the connection made again. */
	private lose(kind: string, why: string): void {
		if (this.#transport === null || this.#closing) return;
		this.report(new ConnectionError(kind, VERBOSE ? why + ": connection closed" : why));
		this.#lost = true;
		this.abort(POLICY_VIOLATION, kind);
	}

	private recovered(kind: string, thingName: string | null): void {
		countRecovery(this.stats, kind);
		if (this.onRecovery !== null) this.onRecovery(kind, thingName);
	}

	/** The sweep deadline follows the oldest unfinished multipart set. */
	private staleAt(): void {
		const reassembler = this.#reassembler;
		this.#sweepAt = reassembler !== null && reassembler.pending > 0 ? reassembler.staleAt : NEVER;
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
		t.owner = this;
		t.onOpen = EdgeClient.onTransportOpen;
		t.onMessage = EdgeClient.onTransportMessage;
		t.onOversize = EdgeClient.onTransportOversize;
		t.onWritable = EdgeClient.onTransportWritable;
		t.onClose = EdgeClient.onTransportClose;
		this.#transport = t;
		this.#closing = false;
		this.#loss.reset(this.#hal.ticks());
		this.generation++;
		try {
			t.open();
		} catch (error) {
			this.#transport = null;
			this.report(error);
			this.scheduleReconnect();
		}
	}

	// The transport's callbacks, called as its methods (`this` is the transport) and shared by every
	// client, which the transport's `owner` names: closures would cost XS a function and its scope each.
	private static onTransportOpen(this: Transport): void {
		(this.owner as EdgeClient).transportOpened();
	}

	private static onTransportMessage(this: Transport, bytes: Uint8Array, binary: boolean): void {
		(this.owner as EdgeClient).transportMessage(bytes, binary);
	}

	private static onTransportOversize(this: Transport, head: Uint8Array, length: number): void {
		(this.owner as EdgeClient).transportOversize(head, length);
	}

	private static onTransportWritable(this: Transport): void {
		(this.owner as EdgeClient).transportWritable();
	}

	private static onTransportClose(this: Transport, code: number, reason: string, error: Error | null): void {
		(this.owner as EdgeClient).transportClosed(code, reason, error);
	}

	private transportOpened(): void {
		this.setState(AUTHENTICATING);
		const id = this.nextId();
		let key: string;
		try {
			key = this.#appKey();
			if (typeof key !== "string" || key === "") throw new TypeError(VERBOSE ? "the appKey callback returned no key" : "appKey");
		} catch (error) {
			this.report(error);
			this.abort();
			this.arm();
			return;
		}
		const msg: AuthMessage = { kind: "auth", version: 1, code: AUTH, requestId: id, endpointId: 0, sessionId: AUTH_SESSION, claims: [["appKey", key]] };
		this.#pending.add(FOR_AUTH, id, this.#hal.ticks() + this.#s.authTimeoutMs, -1, null, null);
		this.send(msg);
		this.arm();
	}

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
		if (!this.sendBind(BIND, FOR_BIND)) this.boundAll(null); // nothing registered: connected at once
	}

	/** The BIND after AUTH or the UNBIND before closing; false when it would name no thing (not sent). */
	private sendBind(code: number, kind: number): boolean {
		const id = this.nextId();
		const msg = this.#bindings.allMessage(code, id);
		if (msg === null) return false;
		if (code === BIND) this.stats.binds++;
		this.#pending.add(kind, id, this.#hal.ticks() + this.#s.requestTimeoutMs, -1, null, null);
		this.send(msg);
		return true;
	}

	/** The BIND after AUTH was answered (`response`), or there was none to send (null). */
	private boundAll(response: ResponseMessage | null): void {
		if (response !== null && response.code !== SUCCESS) {
			const alone = this.#bindings.bindAnswered(response.requestId, response, true);
			this.report(refused(response.code, "BIND", VERBOSE && alone ? (response.reason ? response.reason + "; " : "") + "each thing is bound on its own now" : response.reason));
			if (!alone) {
				this.abort();
				return;
			}
		}
		this.#boundAt = this.#hal.ticks();
		this.setState(CONNECTED);
		if (response !== null && response.code === SUCCESS) this.#bindings.bindAnswered(response.requestId, response, true);
		this.#requests.flush();
		if (this.#s.dutyOnMs > 0) this.#stateAt = this.#boundAt + this.#s.dutyOnMs;
		this.#bindings.startSyncs();
	}

	/** The end of a reconnect delay (WAITING), or of the duty cycle's time on (CONNECTED). */
	private stateDeadline(): void {
		if (this.#stopping) return;
		if (this.#state === WAITING) {
			this.stats.reconnects++;
			this.connect();
		} else if (this.#state === CONNECTED) {
			this.#hal.log("info", "duty cycle: off for " + this.#s.dutyOffMs + " ms");
			this.#dutyOff = true;
			this.disconnect();
		}
	}

	/** Graceful: UNBIND when bound, then close 1000. */
	private disconnect(): void {
		const t = this.#transport;
		if (t === null) {
			if (this.#state !== CONNECTING) this.stopped();
			return;
		}
		const bound = this.#state === CONNECTED || this.#state === BINDING;
		this.setState(DISCONNECTING);
		if (!bound || !this.sendBind(UNBIND, FOR_UNBIND)) this.abort();
	}

	/** Close now (after a failure, or after UNBIND); the close handler decides what follows. */
	private abort(code = 1000, reason = "Normal Close"): void {
		const t = this.#transport;
		if (t === null || this.#closing) return;
		this.#closing = true;
		if (this.#state === CONNECTED) this.setState(DISCONNECTING);
		t.close(code, reason);
	}

	/** The connection is gone: every loss, detected or reported, ends here. */
	private transportClosed(code: number, reason: string, error: Error | null): void {
		this.#transport = null;
		this.generation++;
		const pending = this.#pending;
		for (let slot = pending.any(); slot >= 0; slot = pending.any()) {
			const kind = pending.kind(slot);
			if (kind === FOR_PUSH) this.#pusher.lost(pending.thing(slot));
			else if (kind === FOR_QUEUED) this.#requests.lost();
			const reject = kind === FOR_APP ? pending.rejecter(slot) : null;
			pending.free(slot);
			if (reject !== null) reject(new RequestError(SERVICE_UNAVAILABLE, "connection closed"));
		}
		this.#out.clear();
		this.#reassembler?.clear();
		this.#sweepAt = NEVER;
		this.#pusher.reset();
		this.#bindings.lost();
		this.#stateAt = NEVER;
		if (this.#stopping) {
			this.#hal.log("info", "closed");
			this.stopped();
			this.arm();
			return;
		}
		const stable = this.#boundAt > 0 && this.#hal.ticks() - this.#boundAt >= this.#s.backoffCapMs && !this.#lost;
		this.#boundAt = 0;
		this.#lost = false;
		if (this.#dutyOff) {
			this.#dutyOff = false;
			this.setState(WAITING);
			this.#stateAt = this.#hal.ticks() + this.#s.dutyOffMs;
		} else {
			const why = error ? error.message : VERBOSE ? "closed by the platform (" + code + (reason ? " " + reason : "") + ")" : "closed " + code;
			this.#hal.log("warn", "connection lost: " + why);
			if (error) this.report(error);
			if (error instanceof WebSocketError && error.kind === "timeout" && error.code === POLICY_VIOLATION) this.recovered("stale-message", null);
			if (stable) this.#backoff.reset();
			this.scheduleReconnect();
		}
		this.arm();
	}

	private scheduleReconnect(): void {
		if (this.#stopping) {
			this.stopped();
			return;
		}
		const delay = this.#backoff.next();
		this.#hal.log("info", "reconnecting in " + delay + " ms (attempt " + this.#backoff.attempt + ")");
		this.setState(WAITING);
		this.#stateAt = this.#hal.ticks() + delay;
	}

	private stopped(): void {
		this.setState(STOPPED);
		const waiters = this.#stopWaiters;
		this.#stopWaiters = [];
		for (const resolve of waiters) resolve();
	}

	// --- receiving ---

	private transportMessage(bytes: Uint8Array, binary: boolean): void {
		this.stats.messagesReceived++;
		this.stats.bytesReceived += bytes.length;
		this.#loss.received(this.#hal.ticks());
		if (!binary || bytes.length < HEADER_SIZE) {
			this.stats.decodeErrors++;
			return;
		}
		const code = bytes[1];
		if (bytes[14] === 0 && code >= SUCCESS) {
			// a push's answer, read from its header alone: the hot path decodes nothing
			const pending = this.#pending;
			const slot = pending.find(((bytes[2] << 24) | (bytes[3] << 16) | (bytes[4] << 8) | bytes[5]) >>> 0);
			if (slot >= 0 && pending.kind(slot) === FOR_PUSH) {
				const index = pending.thing(slot);
				pending.free(slot);
				this.#loss.answered();
				this.#pusher.answered(index, code);
				this.arm();
				return;
			}
		}
		let message = bytes;
		if (bytes[14] !== 0) {
			const whole = this.reassemble(bytes);
			if (whole === null) {
				this.arm();
				return;
			}
			message = whole;
		}
		if (isRequestCode(message[1])) {
			this.#responder.request(message);
			this.#bindings.startSyncs(); // a NotifyPropertyUpdate's sync goes out after its reply
		} else this.onOther(message);
		this.arm();
	}

	/**
	 * A message over chunkSize, skipped by the transport (a platform that ignores Max-Frame-Size): a
	 * request (or its first chunk) is answered ENTITY_TOO_LARGE from its head, so the platform stops
	 * waiting; an answer is lost, its request times out. Counted and reported; the connection is kept.
	 */
	private transportOversize(head: Uint8Array, length: number): void {
		this.stats.messagesRefused++;
		this.#loss.received(this.#hal.ticks());
		const code = head.length >= HEADER_SIZE ? head[1] : -1;
		const firstPart = head[14] === 0 || (head.length > 16 && head[15] === 0 && head[16] === 1);
		if (code >= 0 && isRequestCode(code) && firstPart) this.#responder.answerRaw(head, ENTITY_TOO_LARGE, "over chunkSize");
		this.report(new RequestError(ENTITY_TOO_LARGE, VERBOSE ? "a message of " + length + " bytes (code " + code + ") over chunkSize " + this.#s.chunkSize + ", refused" : "chunkSize"));
		this.arm();
	}

	/**
	 * A chunk (or a bad multipart marker): the whole message once its last chunk is in, else null. Without
	 * `reassembly` it is dropped and counted, a request's first chunk answered: the platform stops waiting.
	 */
	private reassemble(bytes: Uint8Array): Uint8Array | null {
		try {
			const chunk = decodeReply(bytes);
			if (chunk === null || chunk.kind !== "chunk") return null;
			const make = this.#s.reassembly;
			if (make === null) {
				this.stats.chunksRefused++;
				if (chunk.chunkId === 1 && isRequestCode(chunk.code)) this.#responder.answerRaw(bytes, ENTITY_TOO_LARGE, "multipart");
				return null;
			}
			const now = this.#hal.ticks();
			const reassembler = (this.#reassembler ??= new make({ maxMessageSize: this.#s.maxMessageSize, staleMs: this.#s.transport.messageTimeoutMs }));
			const whole = reassembler.add(chunk, now);
			this.staleAt();
			return whole;
		} catch (error) {
			this.#responder.undecodable(bytes, error);
			return null;
		}
	}

	/** Responses, keep-alives, and what the platform should not send the edge. */
	private onOther(bytes: Uint8Array): void {
		let msg: ResponseMessage | ChunkMessage | null;
		try {
			msg = decodeReply(bytes);
		} catch (error) {
			this.#responder.undecodable(bytes, error);
			return;
		}
		if (msg !== null) {
			if (msg.kind === "response") this.onResponse(msg);
		} else if (bytes[1] !== KEEP_ALIVE) this.#responder.answerRaw(bytes, BAD_REQUEST, "Message Type not supported"); // AUTH, BIND, UNBIND are not for the edge (the C SDK answers them so too)
	}

	private onResponse(msg: ResponseMessage): void {
		const pending = this.#pending;
		const slot = pending.find(msg.requestId);
		if (slot < 0) {
			this.stats.unmatchedResponses++;
			return;
		}
		const kind = pending.kind(slot);
		const index = pending.thing(slot);
		const resolve = pending.resolver(slot);
		const reject = pending.rejecter(slot);
		pending.free(slot);
		this.#loss.answered();
		switch (kind) {
			case FOR_PUSH:
				this.#pusher.answered(index, msg.code);
				return;
			case FOR_AUTH:
				this.authenticated(msg);
				return;
			case FOR_BIND:
				this.boundAll(msg);
				return;
			case FOR_UNBIND:
				this.abort();
				return;
			case FOR_BIND_SOME:
				this.#bindings.bindAnswered(msg.requestId, msg, false);
				return;
			case FOR_UNBIND_SOME:
				if (msg.code !== SUCCESS) this.report(refused(msg.code, "UNBIND", msg.reason));
				return;
			case FOR_SYNC:
				this.#bindings.slotFreed();
				if (this.#bindings.subscribed(index, msg)) {
					this.#pusher.flush();
					this.#requests.flush();
				}
				return;
			case FOR_QUEUED:
				this.#requests.answered(msg);
				return;
		}
		if (msg.code === SUCCESS) resolve!(msg);
		else reject!(new RequestError(msg.code, msg.reason ?? ""));
	}

	// --- sending ---

	private transportWritable(): void {
		const t = this.#transport;
		if (t !== null && this.#out.drain(t)) this.#pusher.flush();
		this.arm();
	}

	private requestMessage(id: number, code: number, entity: string, characteristic: number, name: string, params: InfoTable | null): RequestMessage {
		return {
			kind: "request", version: 1, code, requestId: id, endpointId: 0, sessionId: this.#out.session, entityType: THING,
			entityName: entity, characteristicType: characteristic, characteristicName: name, headers: [], params,
		};
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
	return new RequestError(GATEWAY_TIMEOUT, VERBOSE ? what + " not answered in time" : what);
}
