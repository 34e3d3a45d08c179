/*
 * Fakes for the client's unit tests: a HAL with a manual clock and timers, and a transport that
 * records what the client sends (decoded) and lets the test play the platform.
 */
import { randomFillSync } from "node:crypto";
import type { Hal, HalSocket, LogLevel, TimerId } from "../../hal/hal";
import type { Transport, TransportFactory, TransportOptions } from "../../src/client/config";
import { Code, decodeMessage, encodeMessageToBytes } from "../../src/protocol";
import type { ChunkMessage, InfoTable, Message, RequestMessage, ResponseMessage } from "../../src/protocol/model";
import { nodeCodecs } from "../../hal/node/index";

interface Timer {
	id: number;
	at: number;
	every: number;
	callback: () => void;
}

export class FakeHal implements Hal {
	t = 1000;
	wall = 1_700_000_000_000;
	logs: Array<[LogLevel, string]> = [];
	/** When set, randomBytes fills with this byte (0xff: every back-off delay at its ceiling). */
	randomByte: number | null = null;
	#timers: Timer[] = [];
	/** Timer callbacks run so far. */
	fired = 0;
	#nextId = 1;
	readonly store = new Map<string, string>() as unknown as Hal["store"];
	readonly timers = {
		set: (callback: () => void, ms: number): TimerId => this.#add(callback, ms, 0),
		repeat: <T>(callback: (this: T) => void, ms: number, owner?: T): TimerId => this.#add(() => callback.call(owner as T), ms, ms),
		create: <T>(callback: (this: T) => void, owner?: T): TimerId => ({ id: this.#nextId++, at: 0, every: 0, callback: () => callback.call(owner as T) }),
		schedule: (id: TimerId, ms: number): void => {
			const timer = id as Timer;
			this.#timers = this.#timers.filter((t) => t !== timer);
			if (ms < 0) return;
			timer.at = this.t + ms;
			this.#timers.push(timer);
		},
		clear: (id: TimerId): void => {
			this.#timers = this.#timers.filter((t) => t !== id && t.id !== id);
		},
	};

	#add(callback: () => void, ms: number, every: number): number {
		const id = this.#nextId++;
		this.#timers.push({ id, at: this.t + ms, every, callback });
		return id;
	}

	/** Run every timer due within the next `ms` milliseconds, in time order. */
	advance(ms: number): void {
		const end = this.t + ms;
		for (;;) {
			let next: Timer | undefined;
			for (const t of this.#timers) if (t.at <= end && (!next || t.at < next.at)) next = t;
			if (!next) break;
			this.wall += next.at - this.t;
			this.t = next.at;
			if (next.every > 0) next.at += next.every;
			else this.#timers = this.#timers.filter((t) => t !== next);
			this.fired++;
			next.callback();
		}
		this.wall += end - this.t;
		this.t = end;
	}

	/** One-shot timers waiting (repeating ones excluded). */
	pendingOneShots(): number[] {
		return this.#timers.filter((t) => t.every === 0).map((t) => t.at - this.t);
	}

	createSocket(): HalSocket {
		throw new Error("the fake transport needs no socket");
	}
	now(): number {
		return this.wall;
	}
	ticks(): number {
		return this.t;
	}
	randomBytes(into: Uint8Array, offset: number, length: number): void {
		if (this.randomByte !== null) into.fill(this.randomByte, offset, offset + length);
		else randomFillSync(into, offset, length);
	}
	readonly sha1 = nodeCodecs.sha1;
	readonly base64Encode = nodeCodecs.base64Encode;
	readonly base64Decode = nodeCodecs.base64Decode;
	readonly utf8EncodeInto = nodeCodecs.utf8EncodeInto;
	readonly utf8Decode = nodeCodecs.utf8Decode;
	log(level: LogLevel, message: string): void {
		this.logs.push([level, message]);
	}
	/** Every level: the tests read every line. */
	logEnabled(): boolean {
		return true;
	}
}

export class FakeTransport implements Transport {
	onOpen: (() => void) | null = null;
	onMessage: ((bytes: Uint8Array, binary: boolean) => void) | null = null;
	onOversize: ((head: Uint8Array, length: number) => void) | null = null;
	onWritable: (() => void) | null = null;
	onClose: ((code: number, reason: string, error: Error | null) => void) | null = null;
	readonly options: TransportOptions;
	/** Raw frames the client sent, in order. */
	readonly frames: Uint8Array[] = [];
	opened = false;
	closedWith: number | null = null;
	/** While true, send() refuses (back-pressure). */
	full = false;

	constructor(options: TransportOptions) {
		this.options = options;
	}

	open(): void {
		this.opened = true;
	}

	/** Where the payload goes, as the WebSocket client says for a chunk-sized capacity (8 bytes of header first). */
	static readonly PAYLOAD = 8;
	#begun = -1;

	beginMessage(capacity: number): number {
		if (this.closedWith !== null) throw new Error("beginMessage after close");
		if (FakeTransport.PAYLOAD + capacity > this.options.txBuffer.length) throw new Error("capacity " + capacity + " over the TX buffer");
		if (this.full) return -1;
		this.#begun = capacity;
		return FakeTransport.PAYLOAD;
	}

	commitMessage(length: number): void {
		if (this.closedWith !== null) throw new Error("commitMessage after close");
		if (this.#begun < 0 || length > this.#begun) throw new Error("commitMessage of " + length + " bytes after beginMessage(" + this.#begun + ")");
		this.#begun = -1;
		this.frames.push(this.options.txBuffer.slice(FakeTransport.PAYLOAD, FakeTransport.PAYLOAD + length));
	}

	close(code = 1000): void {
		if (this.closedWith !== null) return;
		this.closedWith = code;
		this.onClose?.(code, "", null);
	}

	// --- the test plays the platform ---

	accept(): void {
		this.onOpen?.();
	}

	/** Decoded messages the client sent (chunks left as chunks). */
	get sent(): Array<Message | ChunkMessage> {
		return this.frames.map((f) => decodeMessage(f));
	}

	/** The last message sent, decoded. */
	last(): Message | ChunkMessage {
		const all = this.sent;
		return all[all.length - 1];
	}

	deliver(msg: Message): void {
		this.deliverBytes(encodeMessageToBytes(msg));
	}

	deliverBytes(bytes: Uint8Array): void {
		this.onMessage?.(bytes, true);
	}

	/** A message over the RX buffer, as the WebSocket client hands it on (a platform that ignored Max-Frame-Size): its head, its length. */
	deliverOversize(msg: Message): void {
		const bytes = encodeMessageToBytes(msg);
		this.onOversize?.(bytes.subarray(0, this.options.rxBuffer.length), bytes.length);
	}

	respond(to: { requestId: number }, code: number = Code.SUCCESS, content: InfoTable | null = null, session = 0xbeef, reason: string | null = null): void {
		const msg: ResponseMessage = { kind: "response", version: 1, code, requestId: to.requestId, endpointId: 0, sessionId: session, reason, content, contentType: 0xff, trailing: 0 };
		this.deliver(msg);
	}

	/** The connection drops without a close handshake. */
	drop(message = "connection reset"): void {
		if (this.closedWith !== null) return;
		this.closedWith = 1006;
		this.onClose?.(1006, "", new Error(message));
	}
}

/** A transport factory for the client that keeps every FakeTransport it makes, newest last. */
export function fakeTransports(): { transports: FakeTransport[]; factory: TransportFactory } {
	const transports: FakeTransport[] = [];
	const factory = (_hal: Hal, options: TransportOptions) => {
		const t = new FakeTransport(options);
		transports.push(t);
		return t;
	};
	return { transports, factory };
}

/** A GetPropertySubscriptions answer: [edgeName, pushType, pushThreshold] rows. */
export function subscriptions(rows: Array<[string, string, number]>): InfoTable {
	return {
		fields: [
			{ name: "edgeName", description: "", baseType: "STRING", aspects: [] },
			{ name: "pushType", description: "", baseType: "STRING", aspects: [] },
			{ name: "pushThreshold", description: "", baseType: "NUMBER", aspects: [] },
		],
		rows: rows.map(([n, p, v]) => [{ type: "STRING", value: n }, { type: "STRING", value: p }, { type: "NUMBER", value: v }]),
	};
}

export function request(code: number, entity: string, characteristic: number, name: string, params: InfoTable | null, requestId = 1001): RequestMessage {
	return {
		kind: "request", version: 1, code, requestId, endpointId: 0, sessionId: 0xbeef, entityType: 0x0a, entityName: entity,
		characteristicType: characteristic, characteristicName: name, headers: [], params,
	};
}

export function hex(bytes: Uint8Array): string {
	return Buffer.from(bytes).toString("hex");
}
