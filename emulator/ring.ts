/*
 * A fixed-capacity ring: the newest `capacity` items, oldest evicted first. Histories, event logs and
 * the protocol log all use it so that nothing the emulator keeps can grow without bound.
 */
export class Ring<T> {
	readonly capacity: number;
	#items: Array<T | undefined>;
	#start = 0;
	#size = 0;
	/** Items pushed out by newer ones since creation. */
	evicted = 0;

	constructor(capacity: number) {
		if (!(capacity >= 1)) throw new RangeError(`ring capacity must be >= 1, got ${capacity}`);
		this.capacity = capacity;
		this.#items = new Array(capacity);
	}

	get size(): number {
		return this.#size;
	}

	push(item: T): void {
		if (this.#size < this.capacity) {
			this.#items[(this.#start + this.#size) % this.capacity] = item;
			this.#size++;
		} else {
			this.#items[this.#start] = item;
			this.#start = (this.#start + 1) % this.capacity;
			this.evicted++;
		}
	}

	/** 0 = oldest kept. */
	at(index: number): T | undefined {
		if (index < 0 || index >= this.#size) return undefined;
		return this.#items[(this.#start + index) % this.capacity];
	}

	last(): T | undefined {
		return this.at(this.#size - 1);
	}

	clear(): void {
		this.#items.fill(undefined);
		this.#start = 0;
		this.#size = 0;
	}

	/** Oldest first. */
	toArray(): T[] {
		const out: T[] = [];
		for (let i = 0; i < this.#size; i++) out.push(this.#items[(this.#start + i) % this.capacity] as T);
		return out;
	}
}
