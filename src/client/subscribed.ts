/*
 * The subscribed property manager of one bound entity (docs/protocol.md §7.4): decides per change whether it is
 * queued (ALWAYS, VALUE, NEVER, DEADBAND, ON, OFF with thresholds), keeps folded properties as one
 * pending value each, and fills UpdateSubscribedPropertyValues messages from its row ring.
 *
 * The push path allocates nothing: a change is encoded once, in place at the end of the ring (its size
 * is known beforehand for every type but INFOTABLE and VARIANT, so room is made first and the encoder
 * never runs out); a push copies rows from the ring into the TX buffer with copyWithin, the ring and
 * the TX buffer being regions of one buffer. Rows leave the ring only when the platform answers SUCCESS.
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import { EncodeError, MULTIPART_HEADER_SIZE, type ByteWriter, type PushWriter, utf8Length, writeVtqRow } from "../protocol";
import type { Location } from "../protocol/model";
import { truthy, KIND_BOOLEAN, KIND_BYTES, KIND_INTEGER, KIND_LOCATION, KIND_NOTHING, KIND_NUMBER, KIND_SAFE_INTEGER, KIND_TEXT } from "../protocol/kinds";
import { PUSH_DEADBAND, PUSH_NEVER, PUSH_OFF, PUSH_VALUE, type BoundEntity, type PushedProperty } from "./entity";
import { RowRing } from "./ring";
import { VERBOSE } from "../verbose";

const END = 2; // inner and outer end-of-rows markers
const NO_ROOM = "no room";

// Per property, in one Float64Array (an object per property would cost 11 XS slots): what VALUE and
// DEADBAND compare a change with, and a folded property's pending state.
const REFERENCE = 0; // 1 once a reference value is kept
const NUMBER = 1; // the reference number, or a location's longitude
const LATITUDE = 2;
const ELEVATION = 3;
const FOLDED = 4; // 1: a folded value waits to be pushed
const SEQUENCE = 5; // changes of a folded property
const SENT = 6; // the SEQUENCE in the push in flight, -1 for none
const STRIDE = 7;

export class SubscribedProperties {
	readonly thing: BoundEntity;
	readonly ring: RowRing;
	/** Largest encoded row a push message can carry (bigger changes are refused and counted). */
	readonly maxRow: number;
	/** Changes refused because their row can never fit a message (or cannot be encoded at all). */
	tooBig = 0;
	/** Rows of the push waiting for its answer (0: none in flight). */
	inFlight = 0;
	// The client's binding and synchronization state of the thing (here: one object per thing instead of arrays).
	/** UNBOUND, BINDING, BOUND or REFUSED (bindings.ts). */
	bindState = 0;
	/** The BIND naming the thing while BINDING (0: its own BIND is still to be sent). */
	bindId = 0;
	/** Bindings lost (or their re-BIND refused) in a row, and when the thing was last bound (ticks): the re-BIND's back-off (bindings.ts). */
	lostStreak = 0;
	boundAt = 0;
	/** Its binding was lost: its own BIND waits until rebindAt (ticks). */
	rebinding = false;
	rebindAt = 0;
	synchronized = false;
	syncWanted = false;
	syncRetryAt = 0;
	#states: Float64Array;
	/** Per property: the reference of a BOOLEAN or text value, and the quality it had. */
	#references: unknown[];
	#mem: Uint8Array;
	#limit: number;
	#pushWriter: PushWriter;

	/**
	 * The ring takes `mem[ringBase, ringBase + ringSize)`; pushes are written by a writer over
	 * `mem` from index 0 (the TX buffer), of which `tx` is one (used here to measure the push header).
	 * A push stays single-part at `chunkSize` (docs/protocol.md §1.3) and within `maxMessageSize`.
	 */
	constructor(thing: BoundEntity, mem: Uint8Array, tx: ByteWriter, pushWriter: PushWriter, ringBase: number, ringSize: number, chunkSize: number, maxMessageSize: number) {
		this.thing = thing;
		this.ring = new RowRing(mem, ringBase, ringSize, true);
		this.#mem = mem;
		this.#pushWriter = pushWriter;
		this.#limit = Math.min(chunkSize - MULTIPART_HEADER_SIZE - 1 - thing.nameBytes.length, maxMessageSize);
		tx.position = 0;
		pushWriter.begin(tx, 0, 0, thing.nameBytes);
		this.maxRow = Math.min(this.#limit - tx.position - END, this.ring.maxRow);
		if (this.maxRow < 32) throw new RangeError(VERBOSE ? thing.name + ": chunk size or queue too small for a push" : "range queueBytes");
		const n = thing.properties.length;
		this.#states = new Float64Array(n * STRIDE);
		for (let i = 0; i < n; i++) this.#states[i * STRIDE + SENT] = -1;
		this.#references = new Array<unknown>(2 * n).fill(null);
	}

	/** Rows or folded values waiting to be pushed (not counting those in flight). */
	get waiting(): boolean {
		if (this.ring.count > this.ring.sending) return true;
		const s = this.#states;
		for (let at = 0; at < s.length; at += STRIDE) if (s[at + FOLDED] === 1 && s[at + SENT] !== s[at + SEQUENCE]) return true;
		return false;
	}

	/**
	 * Apply the push rules to the property's new value; queue it when they say so. Returns -1 when the
	 * change was refused as too big for any message, else 0; rows dropped from the full ring to make
	 * room show in `ring.dropped`, and so does the change itself when the rows kept (in flight or in
	 * doubt, ring.ts) leave it no room.
	 */
	changed(p: PushedProperty): number {
		if (p.index * STRIDE >= this.#states.length) this.grow();
		const s = this.#states;
		const at = p.index * STRIDE;
		let queue: boolean;
		switch (p.pushCode) {
			case PUSH_NEVER:
				queue = false;
				break;
			case PUSH_OFF:
				queue = !truthy(p.kind, p.value.value);
				break;
			case PUSH_VALUE:
			case PUSH_DEADBAND:
				queue = s[at + REFERENCE] === 0 || this.differs(p);
				if (queue || p.pushCode === PUSH_VALUE) this.remember(p);
				break;
			default: // ALWAYS, ON
				queue = true;
		}
		if (!queue) return 0;
		if (p.fold) {
			s[at + FOLDED] = 1;
			s[at + SEQUENCE]++;
			return 0;
		}
		const ring = this.ring;
		const size = rowSize(p);
		if (size > this.maxRow) return this.refuse();
		if (size >= 0 && !ring.reserve(size)) return this.dropNew();
		const w = ring.writer;
		for (;;) {
			w.position = ring.start;
			try {
				writeVtqRow(w, p.nameBytes, p.value, p.time, p.qualityBytes);
				break;
			} catch (error) {
				// Only for INFOTABLE and VARIANT values: room is made a row at a time (a row too big for
				// any push finds that out only once written: the rows dropped for it stay counted).
				if (!(error instanceof EncodeError && error.reason.startsWith(NO_ROOM))) return this.refuse();
				if (!ring.makeRoom()) return ring.count > 0 ? this.dropNew() : this.refuse();
			}
		}
		const length = w.position - ring.start;
		if (length > this.maxRow) return this.refuse();
		ring.commit(length);
		return 0;
	}

	/**
	 * Write one UpdateSubscribedPropertyValues into `w` at `start` (`w` writes into the shared buffer)
	 * with the oldest waiting rows that fit (up to half the ring), then the pending folded values; marks them in flight.
	 * Returns the rows written (0: nothing to push).
	 */
	fill(w: ByteWriter, start: number, requestId: number, sessionId: number): number {
		const ring = this.ring;
		const mem = this.#mem;
		const last = start + this.#limit - END;
		w.position = start;
		this.#pushWriter.begin(w, requestId, sessionId, this.thing.nameBytes);
		let rows = 0;
		const head = ring.head();
		let cursor = head;
		const queued = ring.count;
		// Half the ring at most: were the push lost, its rows stay (in doubt) and the other half still takes new ones.
		const most = ring.capacity >> 1;
		while (rows < queued) {
			const length = ring.length(cursor);
			if (w.position + length > last || (rows > 0 && cursor - head + 2 + length > most)) break;
			const from = ring.offset(cursor);
			mem.copyWithin(w.position, from, from + length);
			w.position += length;
			rows++;
			cursor = ring.next(cursor);
		}
		ring.markSent(rows);
		const properties = this.thing.properties;
		const s = this.#states;
		const known = s.length / STRIDE; // properties appended since the last change have no push state yet
		for (let i = 0; i < known; i++) {
			if (s[i * STRIDE + FOLDED] === 0) continue;
			const p = properties[i];
			const at = w.position;
			try {
				writeVtqRow(w, p.nameBytes, p.value, p.time, p.qualityBytes);
			} catch {
				break;
			}
			if (w.position > last) {
				w.position = at;
				break;
			}
			s[i * STRIDE + SENT] = s[i * STRIDE + SEQUENCE];
			rows++;
		}
		this.#pushWriter.end(w);
		this.inFlight = rows;
		return rows;
	}

	/** The entity added properties (append only, bounded by the entity): room for their push state. */
	private grow(): void {
		const n = this.thing.properties.length;
		const states = new Float64Array(n * STRIDE);
		states.set(this.#states);
		for (let i = this.#states.length / STRIDE; i < n; i++) states[i * STRIDE + SENT] = -1;
		this.#states = states;
		while (this.#references.length < 2 * n) this.#references.push(null);
	}

	/** No room beside the rows in flight or in doubt: the change is dropped (counted), not them. */
	private dropNew(): number {
		this.ring.dropNew();
		return 0;
	}

	private refuse(): number {
		this.tooBig++;
		return -1;
	}

	/** The platform stored the push in flight. */
	acknowledge(): void {
		this.inFlight = 0;
		this.ring.release();
		const s = this.#states;
		for (let at = 0; at < s.length; at += STRIDE) {
			if (s[at + SENT] < 0) continue;
			if (s[at + SENT] === s[at + SEQUENCE]) s[at + FOLDED] = 0;
			s[at + SENT] = -1;
		}
	}

	/** The push in flight was refused: everything in it stays queued. */
	unsend(): void {
		this.ring.unsend();
		this.resend();
	}

	/** The push in flight went unanswered (timeout, lost connection): everything in it stays queued, its rows in doubt. */
	unanswered(): void {
		this.ring.unanswered();
		this.resend();
	}

	private resend(): void {
		this.inFlight = 0;
		const s = this.#states;
		for (let at = 0; at < s.length; at += STRIDE) s[at + SENT] = -1;
	}

	/** Whether p's value (or quality) differs from its reference by more than the threshold. */
	private differs(p: PushedProperty): boolean {
		const s = this.#states;
		const at = p.index * STRIDE;
		if (p.quality !== this.#references[2 * p.index + 1]) return true;
		const v = p.value.value;
		switch (p.kind) {
			case KIND_NUMBER: case KIND_INTEGER: case KIND_SAFE_INTEGER:
				return Math.abs((v as number) - s[at + NUMBER]) > p.pushThreshold;
			case KIND_LOCATION: {
				const l = v as Location;
				return l.longitude !== s[at + NUMBER] || l.latitude !== s[at + LATITUDE] || l.elevation !== s[at + ELEVATION];
			}
			case KIND_BOOLEAN: case KIND_TEXT:
				return v !== this.#references[2 * p.index];
		}
		return true; // bytes, tables, variants: not compared, always a change
	}

	/** p's value and quality become its reference. */
	private remember(p: PushedProperty): void {
		const s = this.#states;
		const at = p.index * STRIDE;
		const v = p.value.value;
		s[at + REFERENCE] = 1;
		this.#references[2 * p.index + 1] = p.quality;
		switch (p.kind) {
			case KIND_NUMBER: case KIND_INTEGER: case KIND_SAFE_INTEGER:
				s[at + NUMBER] = v as number;
				return;
			case KIND_LOCATION: {
				const l = v as Location;
				s[at + NUMBER] = l.longitude;
				s[at + LATITUDE] = l.latitude;
				s[at + ELEVATION] = l.elevation;
				return;
			}
		}
		this.#references[2 * p.index] = v;
	}
}

/**
 * The bytes of p's VTQ row, `01 0004 00 <name> 12 <value> 03 <int64> 00 <quality>` (PushWriter's
 * layout), the value with its type byte; -1 for INFOTABLE and VARIANT values, known only by encoding.
 */
function rowSize(p: PushedProperty): number {
	const v = p.value.value;
	let value: number;
	switch (p.kind) {
		case KIND_NUMBER: case KIND_SAFE_INTEGER: value = 9; break;
		case KIND_INTEGER: value = 5; break;
		case KIND_BOOLEAN: value = 2; break;
		case KIND_LOCATION: value = 25; break;
		case KIND_NOTHING: value = 1; break;
		case KIND_TEXT: {
			const n = utf8Length(v as string);
			value = (n < 0x80 ? 2 : 5) + n;
			break;
		}
		case KIND_BYTES: value = 5 + (v as Uint8Array).length; break;
		default: return -1;
	}
	return 15 + p.nameBytes.length + p.qualityBytes.length + value;
}
