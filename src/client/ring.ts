/*
 * The offline queue: a fixed-capacity ring of already-encoded VTQ rows, in a region of a byte buffer
 * shared with the TX buffer so that rows move with copyWithin (a native memmove, no view objects).
 * Each entry is [u16 length][row bytes] and lies contiguous; an entry that does not fit before the
 * end of the region starts again at 0, leaving a 0xFFFF marker (or fewer than 2 spare bytes) behind.
 * Rows at the head may be "in flight" (copied into a push that has not been answered): they leave only
 * through `release` (the platform said SUCCESS); `unsend` returns them to the queue. When room is
 * needed the oldest rows are dropped, in flight or not, and counted.
 */

const WRAP = 0xffff;

export class RowRing {
	readonly capacity: number;
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
		return Math.min(this.capacity - 2, WRAP - 1);
	}

	/**
	 * Queue the `length` bytes at `mem[source, source + length)` (outside the ring) as one row.
	 * Returns how many old rows were dropped for it, or -1 (nothing changed) when it can never fit.
	 */
	append(source: number, length: number): number {
		if (length > this.maxRow) return -1;
		const entry = length + 2;
		let dropped = 0;
		let at = -1;
		while (at < 0) {
			if (this.#count === 0) {
				this.#head = this.#tail = 0;
				at = 0;
			} else if (this.#head < this.#tail) {
				if (this.capacity - this.#tail >= entry) at = this.#tail;
				else if (this.#head >= entry) {
					if (this.capacity - this.#tail >= 2) this.#putLength(this.#tail, WRAP);
					at = 0;
				}
			} else if (this.#head - this.#tail >= entry) at = this.#tail;
			if (at < 0) {
				this.#dropHead();
				dropped++;
			}
		}
		this.#putLength(at, length);
		const start = this.#base + at + 2;
		this.#mem.copyWithin(start, source, source + length);
		this.#tail = at + entry;
		this.#count++;
		this.#used += length;
		this.dropped += dropped;
		return dropped;
	}

	/** Cursor of the oldest row (valid while count > 0). */
	head(): number {
		return this.#head;
	}

	/** Cursor of the row after the one at `cursor`. */
	next(cursor: number): number {
		return this.#normalize(cursor + 2 + this.length(cursor));
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
		while (this.#sent > 0) this.#dropHead();
	}

	/** The in-flight rows were not acknowledged: they stay queued for the next push. */
	unsend(): void {
		this.#sent = 0;
	}

	/** Forget every row (not counted as dropped). */
	clear(): void {
		this.#head = this.#tail = this.#count = this.#used = this.#sent = 0;
	}

	#dropHead(): void {
		this.#used -= this.length(this.#head);
		this.#count--;
		if (this.#sent > 0) this.#sent--;
		if (this.#count === 0) this.#head = this.#tail = 0;
		else this.#head = this.next(this.#head);
	}

	#normalize(cursor: number): number {
		if (cursor + 2 > this.capacity || this.length(cursor) === WRAP) return 0;
		return cursor;
	}

	#putLength(at: number, length: number): void {
		this.#mem[this.#base + at] = length >> 8;
		this.#mem[this.#base + at + 1] = length & 0xff;
	}
}
