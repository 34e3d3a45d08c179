/*
 * A HAL whose socket is driven by the test: what the client writes is recorded, what the "server"
 * sends is delivered in exactly the pieces the test chooses, time moves only when told, random
 * bytes come from a seed. Deterministic runs for segmentation, timers and back-pressure.
 */
import type { Hal, HalSocket, SocketOptions, TimerId } from "../../hal/hal";
import { seeded } from "../support/seeded";
import { acceptFor } from "./peer";
import { nodeCodecs } from "../../hal/node/index";

export class FakeSocket implements HalSocket {
	onConnect: (() => void) | null = null;
	onData: ((bytes: Uint8Array) => void) | null = null;
	onWritable: ((free: number) => void) | null = null;
	onClose: ((error: Error | null) => void) | null = null;
	options: SocketOptions | null = null;
	/** Everything the client wrote. */
	written: number[] = [];
	/** Bytes `write` still accepts before it returns less (back-pressure). */
	room = Infinity;
	closed = false;

	connect(options: SocketOptions): void {
		this.options = options;
	}
	write(bytes: Uint8Array, offset: number, length: number): number {
		if (this.closed) return 0;
		const accepted = Math.min(length, this.room);
		for (let i = 0; i < accepted; i++) this.written.push(bytes[offset + i]);
		this.room -= accepted;
		return accepted;
	}
	close(): void {
		this.closed = true;
	}

	/** The text of the upgrade request written so far. */
	get request(): string {
		const text = Buffer.from(this.written).toString("latin1");
		return text.slice(0, text.indexOf("\r\n\r\n") + 4);
	}
	/** Bytes written after the upgrade request. */
	get frames(): Buffer {
		const all = Buffer.from(this.written);
		return all.subarray(all.indexOf("\r\n\r\n") + 4);
	}
	/** The 101 answer to the request written so far. */
	acceptResponse(): Buffer {
		const key = /Sec-WebSocket-Key: (\S+)/.exec(this.request)?.[1] ?? "";
		return Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`, "latin1");
	}
	/** Server bytes, delivered in pieces of the given sizes (the rest in one piece). */
	deliver(bytes: Uint8Array, cuts: readonly number[] = []): void {
		let at = 0;
		for (const cut of cuts) {
			if (at >= bytes.length) return;
			this.onData?.(bytes.subarray(at, Math.min(bytes.length, at + cut)));
			at += cut;
		}
		if (at < bytes.length) this.onData?.(bytes.subarray(at));
	}
	/** Grants room and reports it. */
	drain(room = Infinity): void {
		this.room = room;
		this.onWritable?.(room);
	}
}

interface FakeTimer {
	due: number;
	interval: number;
	callback: () => void;
}

export class FakeHal implements Hal {
	readonly sockets: FakeSocket[] = [];
	readonly logs: string[] = [];
	clock = Date.UTC(2024, 0, 2, 7, 21, 58);
	#elapsed = 0;
	#random: () => number;
	#timers = new Set<FakeTimer>();

	constructor(seed = 1) {
		this.#random = seeded(seed);
	}

	createSocket(): HalSocket {
		const socket = new FakeSocket();
		this.sockets.push(socket);
		return socket;
	}
	readonly timers = {
		set: (callback: () => void, ms: number): TimerId => this.#add(callback, ms, 0),
		repeat: <T>(callback: (this: T) => void, ms: number, owner?: T): TimerId => this.#add(() => callback.call(owner as T), ms, ms),
		create: <T>(callback: (this: T) => void, owner?: T): TimerId => ({ due: 0, interval: 0, callback: () => callback.call(owner as T) }),
		schedule: (id: TimerId, ms: number): void => {
			const timer = id as FakeTimer;
			this.#timers.delete(timer);
			if (ms < 0) return;
			timer.due = this.#elapsed + ms;
			this.#timers.add(timer);
		},
		clear: (id: TimerId): void => {
			this.#timers.delete(id as FakeTimer);
		},
	};
	/** Timers still pending. */
	get pendingTimers(): number {
		return this.#timers.size;
	}
	/** Moves time forward by `ms`, firing what falls due, in order. */
	advance(ms: number): void {
		const end = this.#elapsed + ms;
		for (;;) {
			let first: FakeTimer | null = null;
			for (const t of this.#timers) if (t.due <= end && (first === null || t.due < first.due)) first = t;
			if (first === null) break;
			this.#elapsed = first.due;
			if (first.interval > 0) first.due += first.interval;
			else this.#timers.delete(first);
			first.callback();
		}
		this.#elapsed = end;
	}
	now(): number {
		return this.clock + this.#elapsed;
	}
	ticks(): number {
		return this.#elapsed;
	}
	randomBytes(into: Uint8Array, offset: number, length: number): void {
		for (let i = 0; i < length; i++) into[offset + i] = (this.#random() * 256) | 0;
	}
	readonly sha1 = nodeCodecs.sha1;
	readonly base64Encode = nodeCodecs.base64Encode;
	readonly base64Decode = nodeCodecs.base64Decode;
	readonly utf8EncodeInto = nodeCodecs.utf8EncodeInto;
	readonly utf8Decode = nodeCodecs.utf8Decode;
	log(level: string, message: string): void {
		this.logs.push(`${level} ${message}`);
	}
	logEnabled(): boolean {
		return true;
	}
	readonly store = new Map<string, string>();

	#add(callback: () => void, ms: number, interval: number): FakeTimer {
		const timer = { due: this.#elapsed + ms, interval, callback };
		this.#timers.add(timer);
		return timer;
	}
}
