/*
 * The HAL inside XS (xsnap), over the worker's `issueCommand` / `handleCommand` pair: Node does the
 * socket work (hal/xs/bridge.ts) and drives a virtual clock. Bundled by rollup into XS test bundles;
 * no Node or DOM APIs. Wire format: hal/xs/wire.ts.
 *
 * What allocates, per operation, so that XS meters can be read against our own code:
 * - every request: the ArrayBuffer that `issueCommand` returns (made by the worker, in C);
 * - every event: the ArrayBuffer handed to `handleCommand` (made by the worker) and one Uint8Array over
 *   it; a DATA event one more (the view passed to onData);
 * - nothing else in steady state: requests go out through preallocated scratch buffers (writes are cut
 *   to fit them; only a test channel payload too big for them gets a buffer of its own), the write
 *   window is counted here, timers are plain objects made only by set/repeat.
 * Randomness is xoshiro128** seeded once by the host (HELLO), not a request per call: a WebSocket
 * masks every frame, and a round trip per mask would put bridge allocations on every frame. It is not
 * a CSPRNG; it only has to be unpredictable enough for tests and reproducible when a test fixes the seed.
 */
import { MemoryFlash } from "../memory-flash";
import type { Hal, HalFlash, HalListener, HalSocket, HalStore, HalTimers, ListenOptions, LogLevel, SocketOptions, TimerId } from "../hal";
import { base64Decode, base64Encode, Sha1, utf8Decode, utf8EncodeInto } from "./text";
import { ACCEPTED_ID_BASE, Event, EVENT_HEADER, LOG_LEVELS, Request, REQUEST_HEADER } from "./wire";

interface XsGlobals {
	issueCommand(request: ArrayBuffer): ArrayBuffer;
	handleCommand?: (event: ArrayBuffer) => void;
}

interface Hello {
	seed: [number, number, number, number];
	now: number;
	window: number;
	store: Record<string, string>;
}

/** Scratch sizes for requests: the smallest that fits is sent (issueCommand always sends a whole buffer). */
const SCRATCH_SIZES = Object.freeze([64, 1024, 16384]);
const MAX_CHUNK = 16384 - REQUEST_HEADER;

const IDLE = 0;
const CONNECTING = 1;
const OPEN = 2;
const CLOSING = 3;
const CLOSED = 4;

/** The HAL plus a channel to the test harness on the Node side (XsHalBridge's onChannel). */
export interface XsHal extends Hal {
	/** Sends `bytes[offset, offset + length)` to the harness under `tag`; returns its answer. */
	channel(tag: number, bytes: Uint8Array | null, offset: number, length: number): Uint8Array;
}

/** The XS HAL: call once per compartment; it takes over `globalThis.handleCommand`. `logLevel`: the lowest level sent to the harness (default "trace": all). */
export function createXsHal(options: { logLevel?: LogLevel } = {}): XsHal {
	return new BridgedHal(globalThis as unknown as XsGlobals, LOG_LEVELS.indexOf(options.logLevel ?? "trace"));
}

class Link {
	#host: XsGlobals;
	#scratch: Uint8Array[];

	constructor(host: XsGlobals) {
		this.#host = host;
		this.#scratch = SCRATCH_SIZES.map((size) => new Uint8Array(size));
	}

	/** Sends one request with `length` payload bytes from `bytes`; returns the answer. */
	request(op: number, id: number, bytes: Uint8Array | null, offset: number, length: number): ArrayBuffer {
		let scratch: Uint8Array | undefined;
		for (let i = 0; !scratch && i < this.#scratch.length; i++) if (this.#scratch[i]!.length >= REQUEST_HEADER + length) scratch = this.#scratch[i];
		scratch ??= new Uint8Array(REQUEST_HEADER + length); // a large channel payload only
		header(scratch, op, id, length);
		// A loop, not set(subarray()): no view allocated per write.
		for (let i = 0; i < length; i++) scratch[REQUEST_HEADER + i] = bytes![offset + i]!;
		return this.#host.issueCommand(scratch.buffer as ArrayBuffer);
	}

	/** A request whose payload is text (CONNECT options, log lines); cut to the largest scratch. */
	requestText(op: number, id: number, text: string): ArrayBuffer {
		const large = this.#scratch[this.#scratch.length - 1]!;
		let length = utf8EncodeInto(text, large, REQUEST_HEADER);
		if (length < 0) length = utf8EncodeInto(text.slice(0, MAX_CHUNK / 4), large, REQUEST_HEADER);
		header(large, op, id, length);
		return this.#host.issueCommand(large.buffer as ArrayBuffer);
	}
}

function header(into: Uint8Array, op: number, id: number, length: number): void {
	into[0] = op;
	into[1] = id >> 8;
	into[2] = id & 0xff;
	into[3] = length >>> 24;
	into[4] = (length >> 16) & 0xff;
	into[5] = (length >> 8) & 0xff;
	into[6] = length & 0xff;
}

class BridgedHal implements XsHal {
	readonly timers: VirtualTimers;
	readonly store: HalStore;
	#link: Link;
	#sockets = new Map<number, XsSocket>();
	#listeners = new Map<number, XsListener>();
	#flash = new Map<string, MemoryFlash>();
	#nextId = 1;
	#window: number;
	#wallStart: number;
	#random: Xoshiro128;
	#sha1 = new Sha1();
	readonly #minLevel: number;

	constructor(host: XsGlobals, minLevel: number) {
		if (minLevel < 0) throw new RangeError("logLevel must be one of " + LOG_LEVELS.join(", "));
		this.#minLevel = minLevel;
		this.#link = new Link(host);
		const answer = new Uint8Array(this.#link.request(Request.HELLO, 0, null, 0, 0));
		const hello = JSON.parse(utf8Decode(answer, 0, answer.length)) as Hello;
		this.#window = hello.window;
		this.#wallStart = hello.now;
		this.#random = new Xoshiro128(hello.seed);
		this.timers = new VirtualTimers();
		this.store = new MemoryStore(hello.store);
		host.handleCommand = (event) => this.#dispatch(event);
	}

	createSocket(): HalSocket {
		const id = this.#newId();
		const socket = new XsSocket(this.#link, id, this.#window, this.#sockets, IDLE);
		this.#sockets.set(id, socket);
		return socket;
	}

	/** Flash in memory, kept while the device lives: what a test restarts a client over. */
	openFlash(name: string, byteLength: number): HalFlash {
		let flash = this.#flash.get(name);
		if (flash === undefined) {
			flash = new MemoryFlash(byteLength);
			this.#flash.set(name, flash);
		}
		if (flash.byteLength < byteLength) throw new RangeError("flash: region " + name + " has " + flash.byteLength + " bytes, not " + byteLength);
		return flash;
	}

	createListener(): HalListener {
		const id = this.#newId();
		const listener = new XsListener(this.#link, id, this.#listeners);
		this.#listeners.set(id, listener);
		return listener;
	}

	#newId(): number {
		const id = this.#nextId;
		this.#nextId = id === ACCEPTED_ID_BASE - 1 ? 1 : id + 1;
		return id;
	}

	now(): number {
		return this.#wallStart + this.timers.clock;
	}

	ticks(): number {
		return this.timers.clock;
	}

	randomBytes(into: Uint8Array, offset: number, length: number): void {
		for (let i = 0; i < length; i += 4) {
			const r = this.#random.next();
			for (let k = 0; k < 4 && i + k < length; k++) into[offset + i + k] = (r >>> (8 * k)) & 0xff;
		}
	}

	sha1(bytes: Uint8Array): Uint8Array {
		return this.#sha1.digest(bytes);
	}

	base64Encode(bytes: Uint8Array): string {
		return base64Encode(bytes);
	}

	base64Decode(text: string): Uint8Array {
		return base64Decode(text);
	}

	utf8EncodeInto(text: string, into: Uint8Array, offset: number): number {
		return utf8EncodeInto(text, into, offset);
	}

	utf8Decode(bytes: Uint8Array, offset: number, length: number): string {
		return utf8Decode(bytes, offset, length);
	}

	log(level: LogLevel, message: string): void {
		const index = LOG_LEVELS.indexOf(level);
		if (index >= this.#minLevel) this.#link.requestText(Request.LOG, index, message);
	}

	logEnabled(level: LogLevel): boolean {
		return LOG_LEVELS.indexOf(level) >= this.#minLevel;
	}

	channel(tag: number, bytes: Uint8Array | null, offset: number, length: number): Uint8Array {
		return new Uint8Array(this.#link.request(Request.CHANNEL, tag, bytes, offset, length));
	}

	#dispatch(buffer: ArrayBuffer): void {
		const event = new Uint8Array(buffer);
		const op = event[0];
		if (op === Event.ADVANCE) return this.timers.advance(readU32(event, EVENT_HEADER));
		const id = (event[1]! << 8) | event[2]!;
		const listener = this.#listeners.get(id);
		if (listener) return this.#listenerEvent(listener, op!, event);
		const socket = this.#sockets.get(id);
		if (!socket) return; // closed here while the event was on its way
		switch (op) {
			case Event.CONNECT:
				return socket.connected();
			case Event.DATA:
				return socket.received(event.subarray(EVENT_HEADER));
			case Event.WRITABLE:
				return socket.flushed(readU32(event, EVENT_HEADER));
			case Event.CLOSE:
				return socket.closed(event.length > EVENT_HEADER ? utf8Decode(event, EVENT_HEADER, event.length - EVENT_HEADER) : null);
			default:
				throw new TypeError(`xs hal: unknown event ${op}`);
		}
	}

	#listenerEvent(listener: XsListener, op: number, event: Uint8Array): void {
		switch (op) {
			case Event.LISTENING:
				return listener.listening((event[EVENT_HEADER]! << 8) | event[EVENT_HEADER + 1]!);
			case Event.ACCEPT: {
				const id = (event[EVENT_HEADER]! << 8) | event[EVENT_HEADER + 1]!;
				const socket = new XsSocket(this.#link, id, this.#window, this.#sockets, OPEN);
				this.#sockets.set(id, socket);
				return listener.accepted(socket, utf8Decode(event, EVENT_HEADER + 2, event.length - EVENT_HEADER - 2));
			}
			case Event.CLOSE:
				return listener.closed(event.length > EVENT_HEADER ? utf8Decode(event, EVENT_HEADER, event.length - EVENT_HEADER) : null);
			default:
				throw new TypeError(`xs hal: unknown listener event ${op}`);
		}
	}
}

function readU32(bytes: Uint8Array, at: number): number {
	return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

class XsSocket implements HalSocket {
	onConnect: (() => void) | null = null;
	onData: ((bytes: Uint8Array) => void) | null = null;
	onWritable: ((free: number) => void) | null = null;
	onClose: ((error: Error | null) => void) | null = null;
	#link: Link;
	#id: number;
	#window: number;
	#sockets: Map<number, XsSocket>;
	#state: number;
	#buffered = 0;

	/** `state` OPEN for an accepted socket. */
	constructor(link: Link, id: number, window: number, sockets: Map<number, XsSocket>, state: number) {
		this.#link = link;
		this.#id = id;
		this.#window = window;
		this.#sockets = sockets;
		this.#state = state;
	}

	connect(options: SocketOptions): void {
		if (this.#state !== IDLE) throw new Error("xs hal: connect called twice");
		if (options.proxy !== undefined) throw new Error("this HAL has no HTTP proxy support (hal/node has)");
		this.#state = CONNECTING;
		this.#link.requestText(Request.CONNECT, this.#id, JSON.stringify({ host: options.host, port: options.port, tls: tlsOptions(options.tls) }));
	}

	write(bytes: Uint8Array, offset: number, length: number): number {
		if (this.#state !== OPEN) return 0;
		const accepted = Math.min(length, this.#window - this.#buffered);
		for (let sent = 0; sent < accepted; ) {
			const n = Math.min(accepted - sent, MAX_CHUNK);
			this.#link.request(Request.WRITE, this.#id, bytes, offset + sent, n);
			sent += n;
		}
		this.#buffered += accepted;
		return accepted;
	}

	close(): void {
		if (this.#state === IDLE || this.#state === CLOSED) {
			this.closed(null);
			return;
		}
		if (this.#state === CLOSING) return;
		this.#state = CLOSING;
		this.#link.request(Request.CLOSE, this.#id, null, 0, 0);
	}

	connected(): void {
		if (this.#state !== CONNECTING) return;
		this.#state = OPEN;
		this.onConnect?.();
		if (this.#state === OPEN) this.onWritable?.(this.#window - this.#buffered);
	}

	received(bytes: Uint8Array): void {
		if (this.#state === OPEN) this.onData?.(bytes);
	}

	flushed(count: number): void {
		this.#buffered -= count;
		if (this.#state === OPEN) this.onWritable?.(this.#window - this.#buffered);
	}

	closed(reason: string | null): void {
		if (this.#state === CLOSED) return;
		this.#state = CLOSED;
		this.#sockets.delete(this.#id);
		this.onClose?.(reason === null ? null : new Error(reason));
	}
}

class XsListener implements HalListener {
	onListening: ((port: number) => void) | null = null;
	onAccept: ((socket: HalSocket, remoteAddress: string) => void) | null = null;
	onClose: ((error: Error | null) => void) | null = null;
	#link: Link;
	#id: number;
	#listeners: Map<number, XsListener>;
	#state = IDLE;

	constructor(link: Link, id: number, listeners: Map<number, XsListener>) {
		this.#link = link;
		this.#id = id;
		this.#listeners = listeners;
	}

	listen(options: ListenOptions): void {
		if (this.#state !== IDLE) throw new Error("xs hal: listen called twice");
		this.#state = CONNECTING;
		this.#link.requestText(Request.LISTEN, this.#id, JSON.stringify({ host: options.host, port: options.port, tls: options.tls }));
	}

	close(): void {
		if (this.#state === CLOSING || this.#state === CLOSED) return;
		this.#state = CLOSING;
		this.#link.request(Request.UNLISTEN, this.#id, null, 0, 0);
	}

	listening(port: number): void {
		if (this.#state !== CONNECTING) return;
		this.#state = OPEN;
		this.onListening?.(port);
	}

	accepted(socket: XsSocket, remoteAddress: string): void {
		if (this.#state === OPEN) this.onAccept?.(socket, remoteAddress);
		else socket.close();
	}

	closed(reason: string | null): void {
		if (this.#state === CLOSED) return;
		this.#state = CLOSED;
		this.#listeners.delete(this.#id);
		this.onClose?.(reason === null ? null : new Error(reason));
	}
}

/** TLS options as JSON: DER certificates travel as PEM text. */
function tlsOptions(tls: SocketOptions["tls"]) {
	if (!tls || tls === true) return tls ?? false;
	const list = tls.ca === undefined ? [] : Array.isArray(tls.ca) ? tls.ca : [tls.ca];
	const ca = list.map((c: string | Uint8Array) => (typeof c === "string" ? c : `-----BEGIN CERTIFICATE-----\n${base64Encode(c).replace(/(.{64})/g, "$1\n")}\n-----END CERTIFICATE-----\n`));
	return { servername: tls.servername, insecure: tls.insecure === true, ca: ca.length ? ca : undefined };
}

interface Timer {
	callback: (this: unknown) => void;
	/** `this` for the callback. */
	owner: unknown;
	due: number;
	interval: number;
	order: number;
}

/** Timers on a virtual clock that only the host moves (Event.ADVANCE). */
class VirtualTimers implements HalTimers {
	clock = 0;
	/** Timer callbacks run so far (wake-ups, for the benchmarks). */
	fired = 0;
	#timers: Timer[] = [];
	#order = 0;

	set(callback: () => void, ms: number): TimerId {
		return this.#add(callback, ms, 0);
	}

	repeat<T>(callback: (this: T) => void, ms: number, owner?: T): TimerId {
		return this.#add(callback as (this: unknown) => void, ms, Math.max(1, ms), owner);
	}

	create<T>(callback: (this: T) => void, owner?: T): TimerId {
		return { callback: callback as (this: unknown) => void, owner, due: 0, interval: 0, order: -1 };
	}

	schedule(id: TimerId, ms: number): void {
		const timer = id as Timer;
		this.clear(timer);
		if (ms < 0) return;
		timer.due = this.clock + ms;
		timer.order = this.#order++;
		this.#timers.push(timer);
	}

	clear(id: TimerId): void {
		const i = this.#timers.indexOf(id as Timer);
		if (i < 0) return;
		this.#timers[i] = this.#timers[this.#timers.length - 1]!;
		this.#timers.pop();
	}

	/** Moves the clock forward by `ms`, firing due timers in due order (ties: creation order), each at its own time. */
	advance(ms: number): void {
		const target = this.clock + ms;
		for (;;) {
			let next: Timer | null = null;
			for (let i = 0; i < this.#timers.length; i++) {
				const t = this.#timers[i]!;
				if (t.due <= target && (!next || t.due < next.due || (t.due === next.due && t.order < next.order))) next = t;
			}
			if (!next) break;
			this.clock = Math.max(this.clock, next.due);
			if (next.interval) {
				next.due += next.interval;
				next.order = this.#order++;
			} else this.clear(next);
			this.fired++;
			next.callback.call(next.owner);
		}
		this.clock = target;
	}

	#add(callback: (this: unknown) => void, ms: number, interval: number, owner?: unknown): Timer {
		const timer: Timer = { callback, owner, due: this.clock + Math.max(0, ms), interval, order: this.#order++ };
		this.#timers.push(timer);
		return timer;
	}
}

class MemoryStore implements HalStore {
	#values: Map<string, string>;

	constructor(initial: Record<string, string>) {
		this.#values = new Map(Object.entries(initial));
	}

	get(key: string): string | undefined {
		return this.#values.get(key);
	}

	set(key: string, value: string): void {
		this.#values.set(key, value);
	}

	delete(key: string): void {
		this.#values.delete(key);
	}
}

/** xoshiro128** (Blackman and Vigna): 128-bit state, 32-bit outputs. */
class Xoshiro128 {
	#a: number;
	#b: number;
	#c: number;
	#d: number;

	constructor(seed: readonly number[]) {
		[this.#a, this.#b, this.#c, this.#d] = seed.map((s) => s >>> 0) as [number, number, number, number];
		if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#d = 1; // the all-zero state is a fixed point
	}

	next(): number {
		const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
		const t = this.#b << 9;
		this.#c ^= this.#a;
		this.#d ^= this.#b;
		this.#b ^= this.#c;
		this.#a ^= this.#d;
		this.#c ^= t;
		this.#d = rotl(this.#d, 11);
		return result;
	}
}

function rotl(x: number, k: number): number {
	return (x << k) | (x >>> (32 - k));
}
