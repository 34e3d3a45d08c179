/*
 * The offline queue: a fixed-capacity queue of already-encoded VTQ rows in a region of the client's
 * one buffer (shared with the TX buffer, so that a push moves rows with copyWithin: a native memmove,
 * no view objects). Rows are encoded in place, at the end of the queue, by `writer`: its buffer ends
 * where the region ends, so an encoder can never write over queued rows, and no scratch buffer is
 * needed. Entries are [u16 length][row bytes], contiguous from the oldest to the newest; when the
 * free space at the end runs short, the queue moves back to the start of the region (one memmove per
 * region's worth of rows at most; never while the queue empties at each push, as it does online).
 * Rows at the head may be "in flight" (copied into a push that has not been answered): they leave only
 * through `release` (the platform said SUCCESS); `unsend` returns them to the queue (the platform
 * refused them), `unanswered` too, but as rows in doubt (the push timed out or its connection was
 * lost: the platform may have stored them). When room is needed the oldest rows are dropped and
 * counted; in a ring that `keeps` its rows in flight and in doubt (the push queue: `dropped` counts
 * only rows that can no longer reach the platform, never one it may have stored), those stay and the
 * oldest row after them goes, or, when there is none, the new row is not queued (`dropNew`).
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import { ByteWriter } from "../protocol";

/**
 * What a persisted ring tells of its changes (journal.ts): a row was added, a row left, the ring was
 * cleared. Which rows the journal holds, and which of them left, it keeps itself in the ring's fields:
 * a ring that is not persisted carries none of that code.
 */
export interface RingJournal {
	changed(): void;
	/** The row at `index` (0: the oldest) leaves `ring`. */
	leave(ring: RowRing, index: number): void;
	/** Every row of `ring` left. */
	cleared(ring: RowRing): void;
}

export class RowRing {
	readonly capacity: number;
	/** Encodes the next row at `start` (see `reserve`, `makeRoom`, `commit`). */
	readonly writer: ByteWriter;
	/** Rows dropped to make room since creation. */
	dropped = 0;
	/**
	 * When persisted: the journal, the rows at the head it holds, and those of them that left since it
	 * last wrote, as runs (index among the journaled rows when it left, rows) in `left[0, 2 * leftRuns)`;
	 * leftRuns > LEFT_RUNS (journal.ts): too many to say, the journal writes the ring whole again.
	 */
	journal: RingJournal | null = null;
	journaled = 0;
	left: Uint16Array | null = null;
	leftRuns = 0;
	#mem: Uint8Array;
	#base: number;
	#head = 0;
	#tail = 0;
	#count = 0;
	#used = 0;
	#sent = 0;
	/** Rows at the head that went out without an answer (a prefix, like #sent). */
	#doubt = 0;
	#keeps: boolean;

	/** The ring occupies `mem[base, base + capacity)`; `keeps`: rows in flight or in doubt are never dropped. */
	constructor(mem: Uint8Array, base: number, capacity: number, keeps = false) {
		if (capacity < 4 || base + capacity > mem.length) throw new RangeError("ring does not fit its buffer");
		this.#keeps = keeps;
		this.#mem = mem;
		this.#base = base;
		this.capacity = capacity;
		this.writer = new ByteWriter(mem.subarray(base, base + capacity));
	}

	/** Rows queued, including those in flight. */
	get count(): number {
		return this.#count;
	}

	/** Bytes of the queued rows (without the entry prefixes). */
	get bytes(): number {
		return this.#used;
	}

	/** Rows at the head that are in flight. */
	get sending(): number {
		return this.#sent;
	}

	/** The largest row an entry can hold. */
	get maxRow(): number {
		return Math.min(this.capacity - 2, 0xffff);
	}

	/** Where the next row goes in `writer` (after its entry's length prefix). */
	get start(): number {
		return this.#tail + 2;
	}

	/** Bytes free for the next row at `start`. */
	get free(): number {
		return this.capacity - this.#tail - 2;
	}

	/** Rows at the head that are never dropped to make room (in flight or in doubt, in a ring that keeps them). */
	get kept(): number {
		return this.#keeps ? (this.#sent > this.#doubt ? this.#sent : this.#doubt) : 0;
	}

	/**
	 * Makes `free` at least `size` (<= maxRow): drops the oldest rows (not kept) until the queue leaves
	 * that much, then moves it to the start of the region if it has to. False when the kept rows leave too little.
	 */
	reserve(size: number): boolean {
		while (this.capacity - 2 - (this.#tail - this.#head) < size && this.#count > this.kept) this.dropOldest();
		if (this.free < size) this.compact();
		return this.free >= size;
	}

	/**
	 * One step of room after a row did not fit at `start`: the queue moves back to the start of the
	 * region, or the oldest row not kept is dropped. False when neither is possible.
	 */
	makeRoom(): boolean {
		if (this.#head === 0) {
			if (this.#count <= this.kept) return false;
			this.dropOldest();
		}
		this.compact();
		return true;
	}

	/** The `length` bytes written at `start` become the newest row. */
	commit(length: number): void {
		this.putLength(this.#tail, length);
		this.#tail += 2 + length;
		this.#count++;
		this.#used += length;
		if (this.journal !== null) this.journal.changed();
	}

	/** Cursor of the oldest row (valid while count > 0). */
	head(): number {
		return this.#head;
	}

	/** Cursor of the row after the one at `cursor`. */
	next(cursor: number): number {
		return cursor + 2 + this.length(cursor);
	}

	/** Length of the row at `cursor`. */
	length(cursor: number): number {
		const at = this.#base + cursor;
		return (this.#mem[at] << 8) | this.#mem[at + 1];
	}

	/** Offset in the shared buffer of the row bytes at `cursor`. */
	offset(cursor: number): number {
		return this.#base + cursor + 2;
	}

	/** Offset in `writer.buffer` (the ring's region) of the row bytes at `cursor`. */
	inRegion(cursor: number): number {
		return cursor + 2;
	}

	/** The first `rows` rows are now in flight. */
	markSent(rows: number): void {
		this.#sent = rows;
	}

	/** The in-flight rows were stored by the platform: drop them from the queue. */
	release(): void {
		while (this.#sent > 0) this.dropHead();
	}

	/** The in-flight rows were refused (not stored): they stay queued for the next push. */
	unsend(): void {
		this.#sent = 0;
	}

	/** The in-flight rows got no answer (timeout, lost connection): they stay queued, in doubt. */
	unanswered(): void {
		if (this.#sent > this.#doubt) this.#doubt = this.#sent;
		this.#sent = 0;
	}

	/** Forget every row (not counted as dropped). */
	clear(): void {
		this.#head = this.#tail = this.#count = this.#used = this.#sent = this.#doubt = 0;
		if (this.journal !== null) this.journal.cleared(this);
	}

	/** Drops the oldest row that is not kept to make room, and counts it. */
	dropOldest(): void {
		const kept = this.kept;
		if (kept === 0) this.dropHead();
		else this.dropAfter(kept);
		this.dropped++;
	}

	/** A new row was not queued: no room beside the kept rows. Counted with the dropped. */
	dropNew(): void {
		this.dropped++;
	}

	private dropHead(): void {
		this.leave(0);
		this.#used -= this.length(this.#head);
		this.#count--;
		if (this.#sent > 0) this.#sent--;
		if (this.#doubt > 0) this.#doubt--;
		if (this.#count === 0) this.#head = this.#tail = 0;
		else this.#head = this.next(this.#head);
	}

	/** Drops the row after the first `rows` (count > rows): those move up over it, keeping their order. */
	private dropAfter(rows: number): void {
		const head = this.#head;
		let cursor = head;
		for (let i = 0; i < rows; i++) cursor = this.next(cursor);
		const length = this.length(cursor);
		const base = this.#base;
		this.leave(rows);
		this.#mem.copyWithin(base + head + 2 + length, base + head, base + cursor);
		this.#head = head + 2 + length;
		this.#used -= length;
		this.#count--;
	}

	/** The row at `index` leaves: the journal learns it. */
	private leave(index: number): void {
		if (this.journal !== null) this.journal.leave(this, index);
	}

	/** Moves the queue to the start of the region. */
	private compact(): void {
		const head = this.#head;
		if (head === 0) return;
		const base = this.#base;
		this.#mem.copyWithin(base, base + head, base + this.#tail);
		this.#tail -= head;
		this.#head = 0;
	}

	private putLength(at: number, length: number): void {
		this.#mem[this.#base + at] = length >> 8;
		this.#mem[this.#base + at + 1] = length & 0xff;
	}
}
