/*
 * The offline request queue: the application's requests to the platform (events, service calls, property
 * reads and writes) wait here, encoded, while the client is offline or the entity they address is not
 * synchronized yet, and go out in the order they were made, one at a time, each leaving the queue only
 * when the platform answers it (acked): SUCCESS resolves its promise, any other code rejects it (a refusal
 * is an answer: sending it again would be refused again and block the queue). A request that got no
 * answer (timed out, or its connection went) stays at the head and is sent again pushRetryMs later, so
 * a request may reach the platform twice, never zero times while the queue holds it.
 *
 * Bounded by configuration only: requestQueueBytes of encoded requests (a RowRing, allocated at the first
 * queued request: most devices never queue one) and requestQueueLength requests. When full the oldest is
 * dropped, its promise rejected and counted (stats.requestsDropped), or the new one refused when its
 * caller asked for that (`refuseWhenFull`, counted in stats.requestsRefused). A request dropped while in
 * flight is counted dropped even if the platform stores it.
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import type { Hal } from "../../hal/hal";
import { ByteWriter, EncodeError, readRequestHead, RequestHead, writeEdgeMessage } from "../protocol";
import { ENTITY_TOO_LARGE, SERVICE_UNAVAILABLE, SUCCESS, THING } from "../protocol/codes";
import type { RequestMessage, ResponseMessage } from "../protocol/model";
import type { Bindings } from "./bindings";
import type { Settings } from "./config";
import { RequestError } from "./errors";
import type { Outbox } from "./outbox";
import { FOR_QUEUED, type PendingTable, type Reject, type Resolve } from "./pending";
import { RowRing } from "./ring";
import { NEVER, type Session } from "./session";
import { VERBOSE } from "../verbose";

/** How one request meets an offline client. */
export interface RequestOptions {
	/** Wait in the request queue until the platform answers (default true); false: fail at once when not connected, on timeout or on a lost connection. */
	queue?: boolean;
	/** When the queue is full, refuse this request (rejected at once) instead of dropping the oldest. Default false. */
	refuseWhenFull?: boolean;
}

const NO_ROOM = "no room";
const REQUEST_ID = 2;
const SESSION_ID = 10;
// A queued request's items in #waiting.
const RESOLVE = 0;
const REJECT = 1;
const ENTITY = 2;
const WAITING = 3;

export class RequestQueue {
	/** When the head may be sent again after a failure (ticks), NEVER when nothing waits for the timer. */
	dueAt = NEVER;
	#hal: Hal;
	#s: Settings;
	#pending: PendingTable;
	#out: Outbox;
	#bindings: Bindings;
	#session: Session;
	#ring: RowRing | null = null;
	/**
	 * Per queued request, circular from #first, in step with the ring, WAITING items each (one array: XS
	 * spends slots on each array and typed array): its promise's callbacks and the bound entity it
	 * addresses (-1: none of ours).
	 */
	#waiting: Array<Resolve | Reject | number | null> = [];
	#first = 0;
	/** The head is in flight (sent, not answered). */
	#sending = false;
	/** Its request id (0: none, or it was dropped while in flight). */
	#inFlight = 0;
	/** After a request went unanswered nothing goes out before this (ticks). */
	#holdUntil = 0;

	constructor(hal: Hal, s: Settings, pending: PendingTable, out: Outbox, bindings: Bindings, session: Session) {
		this.#hal = hal;
		this.#s = s;
		this.#pending = pending;
		this.#out = out;
		this.#bindings = bindings;
		this.#session = session;
	}

	/** Requests queued, the one in flight included. */
	get count(): number {
		return this.#ring === null ? 0 : this.#ring.count;
	}

	/** The ring of encoded requests (made on first use), for the journal. */
	ring(): RowRing {
		if (this.#ring === null) {
			const n = this.#s.requestQueueLength;
			this.#ring = new RowRing(new Uint8Array(this.#s.requestQueueBytes), 0, this.#s.requestQueueBytes);
			this.#waiting = new Array<Resolve | Reject | number | null>(WAITING * n).fill(null);
		}
		return this.#ring;
	}

	/**
	 * Queues `msg` (its requestId and sessionId are set when it is sent) and sends it when its turn comes.
	 * Throws what the codec throws for a value it cannot write, and a RequestError when it is refused.
	 */
	add(msg: RequestMessage, resolve: Resolve | null, reject: Reject | null, refuseWhenFull: boolean): void {
		const ring = this.ring();
		const stats = this.#session.stats;
		if (refuseWhenFull && ring.count >= this.#s.requestQueueLength) {
			stats.requestsRefused++;
			throw new RequestError(SERVICE_UNAVAILABLE, VERBOSE ? "the request queue is full (requestQueueLength " + this.#s.requestQueueLength + ")" : "requestQueueLength");
		}
		const w = ring.writer;
		w.position = ring.start;
		let length: number;
		try {
			writeEdgeMessage(w, msg);
			length = w.position - ring.start;
		} catch (error) {
			if (!noRoom(error)) throw error;
			length = this.makeRoom(msg, refuseWhenFull);
		}
		if (length > ring.maxRow) {
			stats.requestsRefused++;
			throw new RequestError(ENTITY_TOO_LARGE, "a request over " + ring.maxRow + " bytes");
		}
		if (ring.count >= this.#s.requestQueueLength) this.dropOldest(); // the tail, where it was written, stays
		const index = msg.entityType === THING ? this.#bindings.index(msg.entityName) : -1;
		this.push(resolve, reject, index);
		ring.commit(length);
		this.flush();
	}

	/** Sends the head when the client is bound, the entity it addresses synchronized, and no answer is awaited. */
	flush(): void {
		const ring = this.#ring;
		if (ring === null || ring.count === 0 || this.#sending) return;
		const t = this.#session.ready();
		if (t === null) return;
		const now = this.#hal.ticks();
		if (now < this.#holdUntil) {
			this.dueAt = this.#holdUntil;
			return;
		}
		this.dueAt = NEVER;
		const entity = this.#waiting[WAITING * this.#first + ENTITY] as number;
		const m = entity >= 0 ? this.#bindings.managers[entity] : null; // null too for a thing removed since
		if (m != null && !m.synchronized) return; // its synchronization flushes again
		const id = this.#session.nextId();
		if (this.#pending.add(FOR_QUEUED, id, now + this.#s.requestTimeoutMs, -1, null, null) < 0) {
			this.dueAt = now + this.#s.pushRetryMs; // every slot busy: try again then
			return;
		}
		const cursor = ring.head();
		const at = ring.inRegion(cursor);
		const mem = ring.writer.buffer;
		putU32(mem, at + REQUEST_ID, id);
		putU32(mem, at + SESSION_ID, this.#out.session);
		ring.markSent(1);
		this.#sending = true;
		this.#inFlight = id;
		this.#out.sendEncoded(t, mem, at, ring.length(cursor));
	}

	/** The platform answered the request in flight: it leaves the queue, its promise settles, the next goes. */
	answered(response: ResponseMessage): void {
		if (response.requestId !== this.#inFlight) return; // dropped while in flight: already settled
		const ring = this.#ring as RowRing;
		this.#sending = false;
		this.#inFlight = 0;
		ring.release();
		const resolve = this.#waiting[WAITING * this.#first + RESOLVE] as Resolve | null;
		const reject = this.#waiting[WAITING * this.#first + REJECT] as Reject | null;
		this.shift();
		if (response.code === SUCCESS) {
			if (resolve !== null) resolve(response);
		} else {
			const error = new RequestError(response.code, response.reason ?? "");
			if (reject !== null) reject(error);
			else this.#session.report(error);
		}
		this.flush();
	}

	/** The request in flight got no answer in time: it stays at the head, sent again pushRetryMs later. */
	timedOut(requestId: number): void {
		if (requestId !== this.#inFlight) return;
		this.lost();
		this.#holdUntil = this.dueAt = this.#hal.ticks() + this.#s.pushRetryMs;
	}

	/** The connection is gone: the request in flight (if any) stays at the head. */
	lost(): void {
		this.#sending = false;
		this.#inFlight = 0;
		this.#holdUntil = 0;
		this.dueAt = NEVER;
		if (this.#ring !== null) this.#ring.unsend();
	}

	/**
	 * The journal read a request back into the ring (no caller waits for it): `bytes[at, at + length)`,
	 * about to be committed, after `dropped` of the oldest made room for it.
	 */
	restored(dropped: number, bytes: Uint8Array, at: number, length: number): void {
		this.settleDropped(dropped);
		if ((this.#ring as RowRing).count >= this.#s.requestQueueLength) this.dropOldest();
		const head = new RequestHead();
		let entity = -1;
		try {
			readRequestHead(bytes, at, length, head);
			if (head.entityType === THING) entity = this.#bindings.at(bytes, head);
		} catch {
			// not ours to judge: the platform answers it
		}
		this.push(null, null, entity);
	}

	private push(resolve: Resolve | null, reject: Reject | null, entity: number): void {
		const n = this.#s.requestQueueLength;
		const at = WAITING * ((this.#first + (this.#ring as RowRing).count) % n);
		const waiting = this.#waiting;
		waiting[at + RESOLVE] = resolve;
		waiting[at + REJECT] = reject;
		waiting[at + ENTITY] = entity;
	}

	private shift(): void {
		const at = WAITING * this.#first;
		this.#waiting[at + RESOLVE] = null;
		this.#waiting[at + REJECT] = null;
		this.#first = (this.#first + 1) % this.#s.requestQueueLength;
	}

	/**
	 * No room at the end of the ring: `msg` is encoded aside first (an allocation only a full queue
	 * makes), so that nothing is dropped for a request that could never fit; then the oldest requests
	 * make room for it (or it is refused). Returns its length, written at the ring's start.
	 */
	private makeRoom(msg: RequestMessage, refuseWhenFull: boolean): number {
		const ring = this.#ring as RowRing;
		const stats = this.#session.stats;
		const aside = new ByteWriter(new Uint8Array(ring.maxRow));
		try {
			writeEdgeMessage(aside, msg);
		} catch (error) {
			if (!noRoom(error)) throw error;
			stats.requestsRefused++;
			throw new RequestError(ENTITY_TOO_LARGE, VERBOSE ? "a request over " + ring.maxRow + " bytes (requestQueueBytes " + this.#s.requestQueueBytes + ")" : "requestQueueBytes");
		}
		const length = aside.position;
		if (refuseWhenFull && ring.capacity - 2 - ring.bytes - 2 * ring.count < length) {
			stats.requestsRefused++;
			throw new RequestError(SERVICE_UNAVAILABLE, VERBOSE ? "the request queue is full (requestQueueBytes " + this.#s.requestQueueBytes + ")" : "requestQueueBytes");
		}
		const before = ring.dropped;
		ring.reserve(length);
		this.settleDropped(ring.dropped - before);
		ring.writer.buffer.set(aside.buffer.subarray(0, length), ring.start);
		return length;
	}

	private dropOldest(): void {
		(this.#ring as RowRing).dropOldest();
		this.settleDropped(1);
	}

	/** The `rows` oldest requests were dropped from the ring to make room: their callers learn it. */
	private settleDropped(rows: number): void {
		if (this.#sending && (this.#ring as RowRing).sending === 0) {
			this.#sending = false;
			this.#inFlight = 0;
		}
		for (let i = 0; i < rows; i++) {
			const reject = this.#waiting[WAITING * this.#first + REJECT] as Reject | null;
			this.shift();
			this.#session.stats.requestsDropped++;
			const error = new RequestError(SERVICE_UNAVAILABLE, VERBOSE ? "dropped from the full request queue" : "dropped");
			if (reject !== null) reject(error);
			else this.#session.report(error);
		}
	}
}

function noRoom(error: unknown): boolean {
	return error instanceof EncodeError && error.reason.startsWith(NO_ROOM);
}

function putU32(bytes: Uint8Array, at: number, value: number): void {
	bytes[at] = value >>> 24;
	bytes[at + 1] = (value >>> 16) & 0xff;
	bytes[at + 2] = (value >>> 8) & 0xff;
	bytes[at + 3] = value & 0xff;
}
