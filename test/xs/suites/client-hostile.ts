/*
 * Runs inside XS (bundled by test/client/xs-hostile.test.ts): the EdgeClient with the SteamSensor
 * thing on a transport the test drives as a hostile peer, with a clock and timers it moves itself:
 * - firstChunks(n): n first chunks ("1 of 2") with new request ids, never a second;
 * - unread(n): n platform requests while the peer reads nothing (every beginMessage refused);
 * - recover(): the clock moves past the stale-set deadline and the reconnect delay; the client
 *   reconnects (AUTH, BIND) and synchronizes again where the connection was lost.
 * The test reads the heap after gc() between these.
 */
import type { Hal, HalSocket, TimerId } from "../../../hal/hal";
import { createSteamSensorThing } from "../../../src/apps/steamsensor/thing";
import { EdgeClient } from "../../../src/client/client";
import { Reassembler } from "../../../src/protocol/multipart";
import type { Transport, TransportOptions } from "../../../src/client/config";
import type { Thing } from "../../../src/thing/thing";

const PAYLOAD = 8; // where the WebSocket client puts a chunk-sized payload

class Peer implements Transport {
	onOpen: (() => void) | null = null;
	onMessage: ((bytes: Uint8Array, binary: boolean) => void) | null = null;
	onWritable: (() => void) | null = null;
	onClose: ((code: number, reason: string, error: Error | null) => void) | null = null;
	/** Code and requestId of the last message the client sent. */
	code = 0;
	requestId = 0;
	/** The peer reads nothing: every beginMessage is refused. */
	stalled = false;
	closedWith = 0;
	readonly #tx: Uint8Array;

	constructor(options: TransportOptions) {
		this.#tx = options.txBuffer;
	}

	open(): void {}

	beginMessage(): number {
		if (this.closedWith !== 0) throw new Error("closed");
		return this.stalled ? -1 : PAYLOAD;
	}

	commitMessage(): void {
		const tx = this.#tx;
		this.code = tx[PAYLOAD + 1];
		this.requestId = ((tx[PAYLOAD + 2] << 24) | (tx[PAYLOAD + 3] << 16) | (tx[PAYLOAD + 4] << 8) | tx[PAYLOAD + 5]) >>> 0;
	}

	close(code?: number): void {
		if (this.closedWith !== 0) return;
		this.closedWith = code ?? 1000;
		this.onClose!(this.closedWith, "", null);
	}
}

let clock = 0;
/** One-shot and repeating timers: [id, due, period (0: one-shot), callback]. */
const timers: Array<[number, number, number, () => void]> = [];
let nextTimer = 1;

/** Callbacks of the kept timers (create/schedule), by id. */
const kept = new Map<number, () => void>();

function addTimer(callback: () => void, ms: number, period: number): TimerId {
	timers.push([nextTimer, clock + ms, period, callback]);
	return nextTimer++;
}

/** Moves the clock by `ms`, running what falls due in time order. */
function advance(ms: number): void {
	const end = clock + ms;
	for (;;) {
		let next = -1;
		for (let i = 0; i < timers.length; i++) if (timers[i][1] <= end && (next < 0 || timers[i][1] < timers[next][1])) next = i;
		if (next < 0) break;
		const timer = timers[next];
		clock = timer[1];
		if (timer[2] > 0) timer[1] += timer[2];
		else timers.splice(next, 1);
		timer[3]();
	}
	clock = end;
}

const hal: Hal = {
	createSocket(): HalSocket {
		throw new Error("no sockets here");
	},
	timers: {
		set: (callback, ms) => addTimer(callback, ms, 0),
		repeat: (callback, ms, owner) => addTimer(() => callback.call(owner!), ms, ms),
		create(callback, owner) {
			kept.set(nextTimer, () => callback.call(owner!));
			return nextTimer++;
		},
		schedule(id, ms) {
			for (let i = 0; i < timers.length; i++) if (timers[i][0] === id) timers.splice(i, 1);
			if (ms >= 0) timers.push([id as number, clock + ms, 0, kept.get(id as number)!]);
		},
		clear(id) {
			for (let i = 0; i < timers.length; i++) if (timers[i][0] === id) timers.splice(i, 1);
		},
	},
	now: () => 1700000000000 + clock,
	ticks: () => clock,
	randomBytes(into, offset, length) {
		into.fill(0, offset, offset + length); // back-off at its floor: no jitter to wait for
	},
	sha1: () => new Uint8Array(20),
	base64Encode: () => "",
	base64Decode: () => new Uint8Array(0),
	utf8EncodeInto: () => -1,
	utf8Decode: () => "",
	log() {},
	logEnabled: () => false,
	store: { get: () => undefined, set() {}, delete() {} },
};

let peer: Peer;
let client: EdgeClient;
let thing: Thing;
const messages: Uint8Array[] = [];
let nextId = 100000;

function fromHex(hex: string): Uint8Array {
	const bytes = new Uint8Array(hex.length / 2);
	for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(2 * i, 2), 16);
	return bytes;
}

function setId(bytes: Uint8Array, id: number): Uint8Array {
	bytes[2] = id >>> 24;
	bytes[3] = (id >>> 16) & 0xff;
	bytes[4] = (id >>> 8) & 0xff;
	bytes[5] = id & 0xff;
	return bytes;
}

/** The peer answers the client's last request SUCCESS. */
function succeed(): void {
	peer.onMessage!(setId(messages[4], peer.requestId), true);
}

/** AUTH, BIND, NotifyPropertyUpdate, GetPropertySubscriptions: the platform's side, all SUCCESS. */
function connect(): void {
	peer.onOpen!();
	succeed(); // AUTH
	succeed(); // BIND
	peer.onMessage!(messages[3], true); // NotifyPropertyUpdate
	advance(100); // the sync goes at the next tick
	succeed(); // GetPropertySubscriptions: no overrides
}

/** `chunk1`, `chunk2`: the two chunks of a request; `ask`: a platform request; `notify`: NotifyPropertyUpdate; `ok`: a SUCCESS response (hex). */
export function setup(chunk1: string, chunk2: string, ask: string, notify: string, ok: string): string {
	thing = createSteamSensorThing("SteamSensor", { now: () => hal.now(), setLogging() {}, note() {} });
	client = new EdgeClient(hal, {
		host: "platform", port: 80, tls: false, appKey: () => "key", things: [thing], autoPush: false, reassembly: Reassembler,
		transport: (_hal, options) => (peer = new Peer(options)),
	});
	messages.push(fromHex(chunk1), fromHex(chunk2), fromHex(ask), fromHex(notify), fromHex(ok));
	client.start();
	connect();
	return state();
}

function state(): string {
	return client.state + (client.isSynchronized("SteamSensor") ? " synchronized" : "");
}

/** One whole two-chunk request (answered): what any device that ever receives a multipart message holds. */
export function wholeMultipart(): number {
	const id = nextId++;
	peer.onMessage!(setId(messages[0], id), true);
	peer.onMessage!(setId(messages[1], id), true);
	return peer.requestId === id ? peer.code : -1;
}

/** n first chunks with new request ids, never a second. */
export function firstChunks(n: number): string {
	const chunk = messages[0];
	for (let i = 0; i < n; i++) peer.onMessage!(setId(chunk, nextId++), true);
	return state();
}

/** n platform requests while the peer reads nothing; the close code the client gave (0: none). */
export function unread(n: number): number {
	const p = peer;
	p.stalled = true;
	const ask = messages[2];
	for (let i = 0; i < n; i++) p.onMessage!(setId(ask, nextId++), true);
	return p.closedWith;
}

/** Time passes (60 s: stale sets go; a reconnect delay runs out); a lost connection is made again. */
export function recover(): string {
	const before = peer;
	advance(60000);
	if (peer !== before) connect();
	return state();
}
