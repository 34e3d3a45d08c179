/*
 * The subscribed property manager of one thing (PROTOCOL.md §7.4): decides per change whether it is
 * queued (ALWAYS, VALUE, NEVER, DEADBAND, ON, OFF with thresholds), keeps folded properties as one
 * pending value each, and fills UpdateSubscribedPropertyValues messages from its row ring.
 *
 * The push path allocates nothing: a change is encoded once (writeVtqRow into the scratch start of
 * the shared TX buffer) and moved into the ring with copyWithin; a push copies rows from the ring into
 * the TX buffer the same way. Rows leave the ring only when the platform answers SUCCESS.
 */
import { MULTIPART_HEADER_SIZE, type ByteWriter, type PushWriter, writeVtqRow } from "../protocol";
import type { Location } from "../protocol/model";
import { PushCode, type Property } from "../thing/property";
import type { Thing } from "../thing/thing";
import { truthy, ValueKind } from "../thing/values";
import { RowRing } from "./ring";

const END = 2; // inner and outer end-of-rows markers

/** What VALUE/DEADBAND compare a change with, and a folded property's pending state. */
class PushState {
	hasReference = false;
	number = 0;
	latitude = 0;
	elevation = 0;
	other: unknown = null;
	quality = "";
	/** A folded property has a value waiting; `sequence` counts its changes, `sentSequence` the pushed one. */
	foldPending = false;
	sequence = 0;
	sentSequence = -1;
}

export class SubscribedProperties {
	readonly thing: Thing;
	readonly ring: RowRing;
	/** Largest encoded row a push message can carry (bigger changes are refused and counted). */
	readonly maxRow: number;
	/** Changes refused because their row can never fit a message. */
	tooBig = 0;
	/** Rows of the push waiting for its answer (0: none in flight). */
	inFlight = 0;
	#states: PushState[] = [];
	#mem: Uint8Array;
	#scratch: ByteWriter;
	#limit: number;
	#pushWriter: PushWriter;

	/**
	 * `mem[0, txSize)` is the TX buffer (`scratch` writes into it), the ring takes `mem[ringBase, ringBase + ringSize)`;
	 * `messageLimit` is the largest message that still goes single-part.
	 */
	constructor(thing: Thing, mem: Uint8Array, scratch: ByteWriter, pushWriter: PushWriter, ringBase: number, ringSize: number, chunkSize: number, maxMessageSize: number) {
		this.thing = thing;
		this.ring = new RowRing(mem, ringBase, ringSize);
		this.#mem = mem;
		this.#scratch = scratch;
		this.#pushWriter = pushWriter;
		this.#limit = Math.min(chunkSize - MULTIPART_HEADER_SIZE - 1 - thing.nameBytes.length, maxMessageSize, scratch.buffer.length);
		scratch.position = 0;
		pushWriter.begin(scratch, 0, 0, thing.nameBytes);
		this.maxRow = Math.min(this.#limit - scratch.position - END, this.ring.maxRow);
		if (this.maxRow < 32) throw new RangeError(thing.name + ": chunk size or queue too small for a push");
		for (let i = 0; i < thing.properties.length; i++) this.#states.push(new PushState());
	}

	/** Rows or folded values waiting to be pushed (not counting those in flight). */
	get waiting(): boolean {
		if (this.ring.count > this.ring.sending) return true;
		for (let i = 0; i < this.#states.length; i++) {
			const s = this.#states[i];
			if (s.foldPending && s.sentSequence !== s.sequence) return true;
		}
		return false;
	}


	/**
	 * Apply the push rules to the property's new value; queue it when they say so.
	 * Returns the rows dropped from the full ring for it (0 normally), or -1 when refused as too big.
	 */
	changed(p: Property): number {
		const s = this.#states[p.index];
		let queue: boolean;
		switch (p.pushCode) {
			case PushCode.NEVER:
				queue = false;
				break;
			case PushCode.OFF:
				queue = !truthy(p.kind, p.value.value);
				break;
			case PushCode.VALUE:
			case PushCode.DEADBAND:
				queue = !s.hasReference || differs(p, s);
				if (queue || p.pushCode === PushCode.VALUE) remember(p, s);
				break;
			default: // ALWAYS, ON
				queue = true;
		}
		if (!queue) return 0;
		if (p.fold) {
			s.foldPending = true;
			s.sequence++;
			return 0;
		}
		const w = this.#scratch;
		w.position = 0;
		try {
			writeVtqRow(w, p.nameBytes, p.value, p.time, p.qualityBytes);
		} catch {
			this.tooBig++;
			return -1;
		}
		if (w.position > this.maxRow) {
			this.tooBig++;
			return -1;
		}
		return this.ring.append(0, w.position);
	}

	/**
	 * Write one UpdateSubscribedPropertyValues into `w` (at 0) with the oldest waiting rows that fit,
	 * then the pending folded values; marks them in flight. Returns the rows written (0: nothing to push).
	 */
	fill(w: ByteWriter, requestId: number, sessionId: number): number {
		const ring = this.ring;
		const mem = this.#mem;
		const last = this.#limit - END;
		w.position = 0;
		this.#pushWriter.begin(w, requestId, sessionId, this.thing.nameBytes);
		let rows = 0;
		let cursor = ring.head();
		const queued = ring.count;
		while (rows < queued) {
			const length = ring.length(cursor);
			if (w.position + length > last) break;
			const from = ring.offset(cursor);
			mem.copyWithin(w.position, from, from + length);
			w.position += length;
			rows++;
			cursor = ring.next(cursor);
		}
		ring.markSent(rows);
		const properties = this.thing.properties;
		for (let i = 0; i < properties.length; i++) {
			const s = this.#states[i];
			if (!s.foldPending) continue;
			const p = properties[i];
			const start = w.position;
			try {
				writeVtqRow(w, p.nameBytes, p.value, p.time, p.qualityBytes);
			} catch {
				break;
			}
			if (w.position > last) {
				w.position = start;
				break;
			}
			s.sentSequence = s.sequence;
			rows++;
		}
		this.#pushWriter.end(w);
		this.inFlight = rows;
		return rows;
	}

	/** The platform stored the push in flight. */
	acknowledge(): void {
		this.inFlight = 0;
		this.ring.release();
		for (let i = 0; i < this.#states.length; i++) {
			const s = this.#states[i];
			if (s.sentSequence < 0) continue;
			if (s.sentSequence === s.sequence) s.foldPending = false;
			s.sentSequence = -1;
		}
	}

	/** The push in flight failed or went unanswered: everything in it stays queued. */
	unsend(): void {
		this.inFlight = 0;
		this.ring.unsend();
		for (let i = 0; i < this.#states.length; i++) this.#states[i].sentSequence = -1;
	}
}

function differs(p: Property, s: PushState): boolean {
	if (p.quality !== s.quality) return true;
	const v = p.value.value;
	switch (p.kind) {
		case ValueKind.NUMBER: case ValueKind.INTEGER: case ValueKind.SAFE_INTEGER:
			return Math.abs((v as number) - s.number) > p.pushThreshold;
		case ValueKind.LOCATION: {
			const l = v as Location;
			return l.longitude !== s.number || l.latitude !== s.latitude || l.elevation !== s.elevation;
		}
		case ValueKind.BOOLEAN: case ValueKind.TEXT:
			return v !== s.other;
	}
	return true; // bytes, tables, variants: not compared, always a change
}

function remember(p: Property, s: PushState): void {
	const v = p.value.value;
	s.hasReference = true;
	s.quality = p.quality;
	switch (p.kind) {
		case ValueKind.NUMBER: case ValueKind.INTEGER: case ValueKind.SAFE_INTEGER:
			s.number = v as number;
			return;
		case ValueKind.LOCATION: {
			const l = v as Location;
			s.number = l.longitude;
			s.latitude = l.latitude;
			s.elevation = l.elevation;
			return;
		}
	}
	s.other = v;
}
