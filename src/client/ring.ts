/*
 * The offline queue: a fixed-capacity queue of already-encoded VTQ rows in a region of the client's
 * one buffer (shared with the TX buffer, so that a push moves rows with copyWithin: a native memmove,
 * no view objects). Rows are encoded in place, at the end of the queue, by `writer`: its buffer ends
 * where the region ends, so an encoder can never write over queued rows, and no scratch buffer is
 * needed. Entries are [u16 length][row bytes], contiguous from the oldest to the newest; when the
 * free space at the end runs short, the queue moves back to the start of the region (one memmove per
 * region's worth of rows at most; never while the queue empties at each push, as it does online).
 * Rows at the head may be "in flight" (copied into a push that has not been answered): they leave only
 * through `release` (the platform said SUCCESS); `unsend` returns them to the queue. When room is
 * needed the oldest rows are dropped, in flight or not, and counted.
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import { ByteWriter } from "../protocol";

export class RowRing {
	readonly capacity: number;
	/** Encodes the next row at `start` (see `reserve`, `makeRoom`, `commit`). */
	readonly writer: ByteWriter;
	/** Rows dropped to make room since creation. */
	dropped = 0;
	#mem: Uint8Array;
	#base: number;
	#head = 0;
	#tail = 0;
	#count = 0;
	#used = 0;
	#sent = 0;

	/** The ring occupies `mem[base, base + capacity)`. */
	constructor(mem: Uint8Array, base: number, capacity: number) {
		if (capacity < 4 || base + capacity > mem.length) throw new RangeError("ring does not fit its buffer");
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

	/**
	 * Makes `free` at least `size` (<= maxRow): drops the oldest rows until the queue leaves that much,
	 * then moves it to the start of the region if it has to. Returns the rows dropped.
	 */
	reserve(size: number): number {
		const before = this.dropped;
		while (this.capacity - 2 - (this.#tail - this.#head) < size && this.#count > 0) this.dropOldest();
		if (this.free < size) this.compact();
		return this.dropped - before;
	}

	/**
	 * One step of room after a row did not fit at `start`: the queue moves back to the start of the
	 * region, or the oldest row is dropped. False when neither is possible (the queue is empty).
	 */
	makeRoom(): boolean {
		if (this.#head === 0) {
			if (this.#count === 0) return false;
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

	/** The first `rows` rows are now in flight. */
	markSent(rows: number): void {
		this.#sent = rows;
	}

	/** The in-flight rows were stored by the platform: drop them from the queue. */
	release(): void {
		while (this.#sent > 0) this.dropHead();
	}

	/** The in-flight rows were not acknowledged: they stay queued for the next push. */
	unsend(): void {
		this.#sent = 0;
	}

	/** Forget every row (not counted as dropped). */
	clear(): void {
		this.#head = this.#tail = this.#count = this.#used = this.#sent = 0;
	}

	/** Drops the oldest row to make room, and counts it (a row in flight too: its push may yet fail). */
	dropOldest(): void {
		this.dropHead();
		this.dropped++;
	}

	private dropHead(): void {
		this.#used -= this.length(this.#head);
		this.#count--;
		if (this.#sent > 0) this.#sent--;
		if (this.#count === 0) this.#head = this.#tail = 0;
		else this.#head = this.next(this.#head);
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
