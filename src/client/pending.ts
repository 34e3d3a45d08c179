/*
 * Requests waiting for their response, matched by requestId alone (docs/protocol.md §9). A fixed table:
 * the client's own requests (AUTH, BIND, sync, push) are small integers with a thing index; only
 * application requests carry promise callbacks. No timer per request: the client's one deadline
 * timer is set to the earliest deadline here (`earliest`).
 */
import type { ResponseMessage } from "../protocol/model";

// What a slot waits for.
export const FREE = 0;
export const FOR_AUTH = 1;
/** The BIND after AUTH, naming every registered thing. */
export const FOR_BIND = 2;
/** The UNBIND before closing, naming every bound thing. */
export const FOR_UNBIND = 3;
export const FOR_SYNC = 4;
export const FOR_PUSH = 5;
export const FOR_APP = 6;
/** A BIND of things registered (or to bind again) on a live connection. */
export const FOR_BIND_SOME = 7;
/** The UNBIND of a thing removed on a live connection. */
export const FOR_UNBIND_SOME = 8;
/** The head of the offline request queue (requestqueue.ts). */
export const FOR_QUEUED = 9;

export type Resolve = (response: ResponseMessage) => void;
export type Reject = (error: Error) => void;

// Per slot, in one Float64Array (one typed array instead of four: XS spends 7 slots on each).
const ID = 0;
const KIND = 1;
const THING = 2;
const DEADLINE = 3;
const STRIDE = 4;

export class PendingTable {
	readonly size: number;
	#table: Float64Array;
	/** resolve and reject of each slot, side by side; made at the first request that has them (only an application's unqueued requests do). */
	#callbacks: Array<Resolve | Reject | null> | null = null;
	#used = 0;

	constructor(size: number) {
		this.size = size;
		this.#table = new Float64Array(size * STRIDE);
	}

	/** Requests waiting. */
	get used(): number {
		return this.#used;
	}

	/** Take a slot; -1 when every slot is busy. */
	add(kind: number, requestId: number, deadline: number, thing: number, resolve: Resolve | null, reject: Reject | null): number {
		const table = this.#table;
		for (let slot = 0; slot < this.size; slot++) {
			const at = slot * STRIDE;
			if (table[at + KIND] !== FREE) continue;
			table[at + KIND] = kind;
			table[at + ID] = requestId;
			table[at + DEADLINE] = deadline;
			table[at + THING] = thing;
			if (resolve !== null || reject !== null) { // free() leaves a slot's callbacks null
				const callbacks = (this.#callbacks ??= new Array<Resolve | Reject | null>(2 * this.size).fill(null));
				callbacks[2 * slot] = resolve;
				callbacks[2 * slot + 1] = reject;
			}
			this.#used++;
			return slot;
		}
		return -1;
	}

	/** The slot waiting for `requestId`, or -1. */
	find(requestId: number): number {
		if (this.#used === 0) return -1;
		const table = this.#table;
		for (let slot = 0; slot < this.size; slot++) {
			const at = slot * STRIDE;
			if (table[at + KIND] !== FREE && table[at + ID] === requestId) return slot;
		}
		return -1;
	}

	/** The first slot of `kind` (for `thing` when >= 0), or -1. */
	findKind(kind: number, thing = -1): number {
		const table = this.#table;
		for (let slot = 0; slot < this.size; slot++) {
			const at = slot * STRIDE;
			if (table[at + KIND] === kind && (thing < 0 || table[at + THING] === thing)) return slot;
		}
		return -1;
	}

	/** The first slot whose deadline is before `now`, or -1. */
	expired(now: number): number {
		if (this.#used === 0) return -1;
		const table = this.#table;
		for (let slot = 0; slot < this.size; slot++) {
			const at = slot * STRIDE;
			if (table[at + KIND] !== FREE && table[at + DEADLINE] <= now) return slot;
		}
		return -1;
	}

	/** The earliest deadline of a waiting request, Infinity when none waits. */
	earliest(): number {
		let at = Infinity;
		if (this.#used === 0) return at;
		const table = this.#table;
		for (let slot = 0; slot < this.size; slot++) {
			const i = slot * STRIDE;
			if (table[i + KIND] !== FREE && table[i + DEADLINE] < at) at = table[i + DEADLINE];
		}
		return at;
	}

	/** The first busy slot, or -1. */
	any(): number {
		if (this.#used === 0) return -1;
		for (let slot = 0; slot < this.size; slot++) if (this.#table[slot * STRIDE + KIND] !== FREE) return slot;
		return -1;
	}

	kind(slot: number): number {
		return this.#table[slot * STRIDE + KIND];
	}

	requestId(slot: number): number {
		return this.#table[slot * STRIDE + ID];
	}

	thing(slot: number): number {
		return this.#table[slot * STRIDE + THING];
	}

	resolver(slot: number): Resolve | null {
		return this.#callbacks === null ? null : (this.#callbacks[2 * slot] as Resolve | null);
	}

	rejecter(slot: number): Reject | null {
		return this.#callbacks === null ? null : (this.#callbacks[2 * slot + 1] as Reject | null);
	}

	free(slot: number): void {
		const at = slot * STRIDE + KIND;
		if (this.#table[at] === FREE) return;
		this.#table[at] = FREE;
		if (this.#callbacks !== null) {
			this.#callbacks[2 * slot] = null;
			this.#callbacks[2 * slot + 1] = null;
		}
		this.#used--;
	}
}
