/*
 * The outbound path: messages go straight into the TX buffer lent to each connection when it is free
 * and they fit one chunk; otherwise (the TX buffer still leaving, or bigger than a chunk) one is
 * encoded once into a buffer of its own, bounded by maxMessageSize, and waits here, whole, to be sent
 * whole or chunk by chunk (the codec's encodeChunk) as the TX buffer frees. Encoding it once needs its
 * size in memory for a moment, where streaming chunks would need an encoder that stops and resumes
 * mid-value. One instance for the client's life; the push path through begin/commit allocates nothing.
 * The queue is bounded by outboxMessages and outboxBytes (the memory its buffers hold): a peer that
 * stops reading while it keeps asking fills it, and then the connection is failed (closed, reported,
 * counted) rather than the queue grown. A single message bigger than outboxBytes is ENTITY_TOO_LARGE.
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import {
	BaseType, ByteWriter, chunkCount, encodeChunk, EncodeError, encodeInfoTable, HEADER_SIZE, isRequestCode, MULTIPART_HEADER_SIZE,
	writeEdgeMessage,
} from "../protocol";
import { ENTITY_TOO_LARGE } from "../protocol/codes";
import type { EdgeMessage } from "../protocol/model";
import type { Settings, Transport } from "./config";
import type { Reply } from "./entity";
import { ConnectionError, RequestError } from "./errors";
import type { ClientStats } from "./stats";
import { VERBOSE } from "../verbose";

const NO_CONTENT = 0xff;
/** begin()'s answers besides an offset: the TX buffer is busy (onWritable follows), or the transport is failing. */
const BUSY = -1;
const FAILED = -2;
const NO_ROOM = "no room";
/** Close code when the peer stopped reading (RFC 6455 §7.4.1: a policy the peer broke). */
const POLICY_VIOLATION = 1008;

/** What the outbox needs of its client: the counters it adds to, and where the transport's failures go. */
export interface OutboxLink {
	readonly stats: ClientStats;
	report(error: unknown): void;
}

export class Outbox {
	/** Writes into the TX buffer at the offset begin() gave. */
	readonly writer: ByteWriter;
	/** The session messages go out under (the last AUTH's). */
	session = 0;
	#s: Settings;
	#link: OutboxLink;
	/** Whole messages waiting for the TX buffer (back-pressure, or multipart: sent chunk by chunk). */
	#queue: Uint8Array[] = [];
	/** The next chunk of the queue's first message (1-based). */
	#nextChunk = 1;
	/** Memory the queued buffers hold (their whole allocations, not only the bytes used). */
	#bytes = 0;
	/** The transport failed for a full queue: begin() answers FAILED for it, silently, until clear(). */
	#failed: Transport | null = null;
	/** Connections failed because the queue was full. */
	overflows = 0;

	/** A link, not a callback: a closure would cost the heap slots of a function and its scope. */
	constructor(tx: Uint8Array, s: Settings, link: OutboxLink) {
		this.writer = new ByteWriter(tx);
		this.#s = s;
		this.#link = link;
	}

	/**
	 * Sends a message, or a response (`reply` to request `requestId`), after what is already waiting:
	 * written straight into the TX buffer when it is free and the message fits one chunk; otherwise
	 * encoded aside into the queue. Throws what the codec throws for a value it cannot write, and
	 * ENTITY_TOO_LARGE.
	 */
	send(t: Transport, msg: EdgeMessage | null, reply: Reply | null, requestId: number, endpointId: number): void {
		const at = this.begin(t);
		if (at === FAILED) return;
		if (at >= 0) {
			try {
				this.compose(this.writer, msg, reply, requestId, endpointId);
				if (this.writer.position - at <= this.singlePartLimit(at)) {
					this.commit(t, at);
					return;
				}
			} catch (error) {
				if (!noRoom(error)) throw error;
			}
		}
		if (this.#queue.length >= this.#s.outboxMessages) {
			this.overflow(t);
			return;
		}
		this.enqueue(t, this.aside(msg, reply, requestId, endpointId, at >= 0 ? 2 * this.#s.chunkSize : 256), at);
	}

	/**
	 * Sends the single-part message already encoded in `bytes[offset, offset + length)` (the offline
	 * request queue's), after what is already waiting; copied, so the caller's bytes may move after.
	 */
	sendEncoded(t: Transport, bytes: Uint8Array, offset: number, length: number): void {
		const at = this.begin(t);
		if (at === FAILED) return;
		const source = bytes.subarray(offset, offset + length);
		if (at >= 0 && length <= this.#s.chunkSize) {
			this.writer.buffer.set(source, at);
			this.writer.position = at + length;
			if (length <= this.singlePartLimit(at)) {
				this.commit(t, at);
				return;
			}
		}
		if (this.#queue.length >= this.#s.outboxMessages) {
			this.overflow(t);
			return;
		}
		this.enqueue(t, source.slice(), at);
	}

	/** `whole` waits in the queue (within its bounds, else the connection fails); sent now if the TX buffer was free (`at` >= 0). */
	private enqueue(t: Transport, whole: Uint8Array, at: number): void {
		const size = whole.buffer.byteLength;
		if (this.#bytes + size > this.#s.outboxBytes) {
			this.overflow(t);
			return;
		}
		this.#queue.push(whole);
		this.#bytes += size;
		if (at >= 0) this.drain(t);
	}

	/** Messages waiting in the queue. */
	get queued(): number {
		return this.#queue.length;
	}

	/** Memory the waiting messages hold. */
	get queuedBytes(): number {
		return this.#bytes;
	}

	/**
	 * The offset in the TX buffer where the next message goes (the writer set there); BUSY while the
	 * queue waits or the TX buffer is still leaving (onWritable follows); FAILED when the transport
	 * refuses (it is closing: its onClose follows).
	 */
	begin(t: Transport): number {
		if (t === this.#failed) return FAILED;
		if (this.#queue.length !== 0) return BUSY;
		let at: number;
		try {
			at = t.beginMessage(this.#s.chunkSize);
		} catch (error) {
			this.#link.report(error);
			return FAILED;
		}
		if (at >= 0) this.writer.position = at;
		return at;
	}

	/** Sends the message written from `at` to the writer's position; returns its length. */
	commit(t: Transport, at: number): number {
		const length = this.writer.position - at;
		t.commitMessage(length, true);
		const stats = this.#link.stats;
		stats.messagesSent++;
		stats.bytesSent += length;
		return length;
	}

	/** Sends the queue, whole messages or chunk by chunk, while the TX buffer takes it; true when it is empty. */
	drain(t: Transport): boolean {
		const queue = this.#queue;
		const tx = this.writer.buffer;
		const chunk = this.#s.chunkSize;
		while (queue.length > 0) {
			let at: number;
			try {
				at = t.beginMessage(chunk);
			} catch (error) {
				this.#link.report(error);
				return false;
			}
			if (at < 0) return false;
			const whole = queue[0];
			const count = chunkCount(whole, whole.length, chunk);
			const k = this.#nextChunk;
			if (count === 1) {
				tx.set(whole, at);
				this.writer.position = at + whole.length;
			} else this.writer.position = at + encodeChunk(whole, whole.length, k, chunk, tx, at);
			this.commit(t, at);
			if (queue[0] !== whole) return false; // closed from inside the send: clear() emptied the queue
			if (k < count) this.#nextChunk = k + 1;
			else {
				this.#bytes -= (queue.shift() as Uint8Array).buffer.byteLength;
				this.#nextChunk = 1;
			}
		}
		return true;
	}

	/** The connection is gone: what waited for it goes too. */
	clear(): void {
		this.#queue.length = 0;
		this.#nextChunk = 1;
		this.#bytes = 0;
		this.#failed = null;
	}

	/** The queue is full: the peer is not reading. The connection fails; what waited goes now. */
	private overflow(t: Transport): void {
		const s = this.#s;
		const what = VERBOSE ? this.#queue.length + " messages in " + this.#bytes + " bytes wait for the peer to read (outboxMessages " + s.outboxMessages + ", outboxBytes " + s.outboxBytes + "): connection closed" : "outbox";
		this.#failed = t;
		this.#queue.length = 0;
		this.#nextChunk = 1;
		this.#bytes = 0;
		this.overflows++;
		this.#link.report(new ConnectionError("outbox-full", what));
		t.close(POLICY_VIOLATION, "outbound queue full");
	}

	/** Writes `msg`, or the response `reply` to `requestId`, at `w`'s position. */
	private compose(w: ByteWriter, msg: EdgeMessage | null, reply: Reply | null, requestId: number, endpointId: number): void {
		if (msg !== null) {
			writeEdgeMessage(w, msg);
			return;
		}
		const r = reply as Reply;
		w.u8(1);
		w.u8(r.code);
		w.u32(requestId);
		w.u32(endpointId);
		w.u32(this.session);
		w.u8(0); // single part
		if (r.reason === null) w.u8(0);
		else {
			w.u8(1);
			w.string(r.reason);
		}
		if (r.property !== null) {
			w.u8(BaseType.INFOTABLE);
			r.property.writeTable(w);
		} else if (r.content !== null) {
			w.u8(BaseType.INFOTABLE);
			encodeInfoTable(w, r.content);
		} else w.u8(NO_CONTENT);
	}

	/** Encodes a message into a buffer of its own, from `first` bytes up, doubling, at most maxMessageSize and outboxBytes. */
	private aside(msg: EdgeMessage | null, reply: Reply | null, requestId: number, endpointId: number, first: number): Uint8Array {
		const s = this.#s;
		const max = s.maxMessageSize < s.outboxBytes ? s.maxMessageSize : s.outboxBytes;
		for (let size = first; ; size *= 2) {
			const w = new ByteWriter(new Uint8Array(size < max ? size : max));
			try {
				this.compose(w, msg, reply, requestId, endpointId);
				return w.buffer.subarray(0, w.position);
			} catch (error) {
				if (!noRoom(error)) throw error;
				if (size >= max) throw new RequestError(ENTITY_TOO_LARGE, (VERBOSE ? "a message over " : "") + (max === s.maxMessageSize ? "maxMessageSize " : "outboxBytes ") + max);
			}
		}
	}

	/**
	 * The longest message at tx[at] that goes single-part (docs/protocol.md §1.3): a chunk less the multipart
	 * header and, for a request, the entity address every chunk repeats.
	 */
	private singlePartLimit(at: number): number {
		const tx = this.writer.buffer;
		let prefix = 0;
		if (isRequestCode(tx[at + 1])) {
			const name = tx[at + HEADER_SIZE + 1];
			prefix = name < 0x80 ? 2 + name : 5 + (((name & 0x7f) << 24) | (tx[at + HEADER_SIZE + 2] << 16) | (tx[at + HEADER_SIZE + 3] << 8) | tx[at + HEADER_SIZE + 4]);
		}
		return this.#s.chunkSize - MULTIPART_HEADER_SIZE - prefix;
	}
}

function noRoom(error: unknown): boolean {
	return error instanceof EncodeError && error.reason.startsWith(NO_ROOM);
}
