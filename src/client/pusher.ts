/*
 * The push path (docs/protocol.md §7.4): a property change goes through its entity's push rules into the
 * offline queue (subscribed.ts); a synchronized entity's waiting values go out in one
 * UpdateSubscribedPropertyValues at a time, written straight into the TX buffer; the rows leave the
 * queue only when the platform answers SUCCESS, and stay queued for a retry (pushRetryMs later)
 * otherwise. Pushes are driven by events, never by polling: a change asks for a push `pushDelayMs`
 * later (`dueAt`, which the client's one timer honours), `push()` pushes at once, and an answer, a
 * synchronization or a drained TX buffer push what waits. Nothing here allocates.
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import type { Hal } from "../../hal/hal";
import { FORBIDDEN, NOT_FOUND, SUCCESS } from "../protocol/codes";
import { BOUND } from "./bindings";
import type { Bindings } from "./bindings";
import type { Settings } from "./config";
import type { PushedProperty } from "./entity";
import { ConnectionError, RequestError } from "./errors";
import type { Outbox } from "./outbox";
import { FOR_PUSH, type PendingTable } from "./pending";
import { NEVER, type Session } from "./session";
import { VERBOSE } from "../verbose";

export class Pusher {
	/** When a push is due (ticks), NEVER when none waits for the timer. */
	dueAt = NEVER;
	#hal: Hal;
	#s: Settings;
	#pending: PendingTable;
	#out: Outbox;
	#bindings: Bindings;
	#session: Session;
	/** After a failed push nothing goes out before this (ticks). */
	#holdUntil = 0;

	constructor(hal: Hal, s: Settings, pending: PendingTable, out: Outbox, bindings: Bindings, session: Session) {
		this.#hal = hal;
		this.#s = s;
		this.#pending = pending;
		this.#out = out;
		this.#bindings = bindings;
		this.#session = session;
	}

	/**
	 * Entity `index`'s property changed: its push rules decide what is queued (drops and refusals
	 * counted and reported). True when this made a push due earlier (the client re-arms its timer).
	 */
	changed(index: number, p: PushedProperty): boolean {
		const m = this.#bindings.managers[index]!;
		const ring = m.ring;
		const before = ring.dropped;
		const refused = m.changed(p) < 0;
		const dropped = ring.dropped - before;
		const session = this.#session;
		if (dropped > 0) {
			session.stats.rowsDropped += dropped;
			if (session.onDropped !== null) session.onDropped(m.thing.name, dropped, ring.dropped);
		}
		if (refused) {
			session.stats.rowsRefused++;
			if (session.onDropped !== null) session.onDropped(m.thing.name, -1, ring.dropped);
			return false;
		}
		if (!this.#s.autoPush || !m.synchronized) return false;
		const at = this.#hal.ticks() + this.#s.pushDelayMs;
		if (at >= this.dueAt) return false;
		this.dueAt = at;
		return true;
	}

	/** Pushes what every synchronized entity has waiting, one push in flight per entity, while the TX buffer takes them. */
	flush(): void {
		const t = this.#session.ready();
		if (t === null) return;
		const now = this.#hal.ticks();
		if (now < this.#holdUntil) {
			this.dueAt = this.#holdUntil;
			return;
		}
		this.dueAt = NEVER;
		const managers = this.#bindings.managers;
		const out = this.#out;
		const session = this.#session;
		for (let i = 0; i < managers.length; i++) {
			const m = managers[i];
			if (m === null || !m.synchronized || m.inFlight > 0 || !m.waiting) continue;
			const at = out.begin(t);
			if (at < 0) return; // the TX buffer is leaving (onWritable flushes again) or the transport is closing
			const id = session.nextId();
			const slot = this.#pending.add(FOR_PUSH, id, now + this.#s.requestTimeoutMs, i, null, null);
			if (slot < 0) {
				this.dueAt = now + this.#s.pushRetryMs; // every slot busy: try again then
				return;
			}
			const rows = m.fill(out.writer, at, id, out.session);
			if (rows === 0) {
				this.#pending.free(slot);
				m.unsend();
				continue;
			}
			const length = out.commit(t, at);
			session.stats.pushes++;
			if (session.onPush !== null) session.onPush(m.thing.name, rows, length);
			if (session.ready() !== t) return; // closed from inside the send
		}
	}

	/**
	 * The platform answered entity `index`'s push with `code`. SUCCESS: its rows leave the queue and
	 * what waits goes next. Anything else: the rows stay queued and pushes wait pushRetryMs.
	 * FORBIDDEN or NOT_FOUND for a thing bound on this connection: the platform lost its binding (recovery.ts).
	 */
	answered(index: number, code: number): void {
		const m = this.#bindings.managers[index]!;
		const stats = this.#session.stats;
		if (code === SUCCESS) {
			stats.pushesAcknowledged++;
			stats.rowsAcknowledged += m.inFlight;
			m.acknowledge();
			this.flush();
			return;
		}
		m.unsend();
		stats.pushFailures++;
		if ((code === FORBIDDEN || code === NOT_FOUND) && m.bindState === BOUND) {
			// the platform no longer routes the thing to this connection: bound again and re-synchronized before it pushes
			const delay = this.#bindings.lostBinding(index);
			this.#session.report(new ConnectionError("binding-lost", VERBOSE ? "UpdateSubscribedPropertyValues of " + m.thing.name + " refused (" + (code === FORBIDDEN ? "FORBIDDEN" : "NOT_FOUND") + "): its binding is lost; bound again in " + delay + " ms" : "binding", m.thing.name));
			return;
		}
		this.hold();
		this.#session.report(new RequestError(code, VERBOSE ? "UpdateSubscribedPropertyValues of " + m.thing.name + " refused" : "push"));
	}

	/** Entity `index`'s push got no answer in time: its rows stay queued (in doubt), pushes wait pushRetryMs. */
	timedOut(index: number): void {
		this.#bindings.managers[index]!.unanswered();
		this.#session.stats.pushFailures++;
		this.hold();
	}

	/** The connection is gone: the push in flight (if any) stays queued (in doubt); nothing is due. */
	lost(index: number): void {
		this.#bindings.managers[index]!.unanswered();
	}

	/** Nothing waits for a timer any more (the connection closed). */
	reset(): void {
		this.dueAt = NEVER;
		this.#holdUntil = 0;
	}

	private hold(): void {
		this.#holdUntil = this.#hal.ticks() + this.#s.pushRetryMs;
		this.dueAt = this.#holdUntil;
	}
}
