/*
 * Requests waiting for their response, matched by requestId alone (PROTOCOL.md §9). A fixed table:
 * the client's own requests (AUTH, BIND, sync, push) are small integers with a thing index; only
 * application requests carry promise callbacks. Deadlines are checked by the client's tick, so no
 * timer is created per request.
 */
import type { ResponseMessage } from "../protocol/model";

export const Kind = Object.freeze({ FREE: 0, AUTH: 1, BIND: 2, UNBIND: 3, SYNC: 4, PUSH: 5, APP: 6 });

export type Resolve = (response: ResponseMessage) => void;
export type Reject = (error: Error) => void;

export class PendingTable {
	readonly size: number;
	#ids: Uint32Array;
	#kinds: Uint8Array;
	#things: Int16Array;
	#deadlines: Float64Array;
	#resolves: Array<Resolve | null>;
	#rejects: Array<Reject | null>;
	#used = 0;

	constructor(size: number) {
		this.size = size;
		this.#ids = new Uint32Array(size);
		this.#kinds = new Uint8Array(size);
		this.#things = new Int16Array(size);
		this.#deadlines = new Float64Array(size);
		this.#resolves = new Array<Resolve | null>(size).fill(null);
		this.#rejects = new Array<Reject | null>(size).fill(null);
	}

	/** Requests waiting. */
	get used(): number {
		return this.#used;
	}

	/** Take a slot; -1 when every slot is busy. */
	add(kind: number, requestId: number, deadline: number, thing: number, resolve: Resolve | null, reject: Reject | null): number {
		for (let slot = 0; slot < this.size; slot++) {
			if (this.#kinds[slot] !== Kind.FREE) continue;
			this.#kinds[slot] = kind;
			this.#ids[slot] = requestId;
			this.#deadlines[slot] = deadline;
			this.#things[slot] = thing;
			this.#resolves[slot] = resolve;
			this.#rejects[slot] = reject;
			this.#used++;
			return slot;
		}
		return -1;
	}

	/** The slot waiting for `requestId`, or -1. */
	find(requestId: number): number {
		if (this.#used === 0) return -1;
		for (let slot = 0; slot < this.size; slot++) {
			if (this.#kinds[slot] !== Kind.FREE && this.#ids[slot] === requestId) return slot;
		}
		return -1;
	}

	/** The first slot of `kind` (for `thing` when >= 0), or -1. */
	findKind(kind: number, thing = -1): number {
		for (let slot = 0; slot < this.size; slot++) {
			if (this.#kinds[slot] === kind && (thing < 0 || this.#things[slot] === thing)) return slot;
		}
		return -1;
	}

	/** The first slot whose deadline is before `now`, or -1. */
	expired(now: number): number {
		if (this.#used === 0) return -1;
		for (let slot = 0; slot < this.size; slot++) {
			if (this.#kinds[slot] !== Kind.FREE && this.#deadlines[slot] <= now) return slot;
		}
		return -1;
	}

	/** The first busy slot, or -1. */
	any(): number {
		if (this.#used === 0) return -1;
		for (let slot = 0; slot < this.size; slot++) if (this.#kinds[slot] !== Kind.FREE) return slot;
		return -1;
	}

	kind(slot: number): number {
		return this.#kinds[slot];
	}

	requestId(slot: number): number {
		return this.#ids[slot];
	}

	thing(slot: number): number {
		return this.#things[slot];
	}

	resolver(slot: number): Resolve | null {
		return this.#resolves[slot];
	}

	rejecter(slot: number): Reject | null {
		return this.#rejects[slot];
	}

	free(slot: number): void {
		if (this.#kinds[slot] === Kind.FREE) return;
		this.#kinds[slot] = Kind.FREE;
		this.#resolves[slot] = null;
		this.#rejects[slot] = null;
		this.#used--;
	}
}
