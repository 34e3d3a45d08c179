/*
 * Reconnect delays: exponential back-off with full jitter (a uniform delay in [0, min(cap, base * 2^n)]),
 * so a fleet that lost its platform does not come back in lockstep. The C SDK waits a fixed 5 s after a
 * random 0-10 s (docs/protocol.md §8.7); here the first retry after a stable session comes within `base`.
 */
import type { Hal } from "../../hal/hal";

export class Backoff {
	readonly baseMs: number;
	readonly capMs: number;
	/** Failed attempts since the last stable connection. */
	attempt = 0;
	#hal: Hal;
	#random = new Uint8Array(4);

	constructor(hal: Hal, baseMs: number, capMs: number) {
		if (!(baseMs > 0) || !(capMs >= baseMs)) throw new RangeError("back-off needs 0 < base <= cap");
		this.#hal = hal;
		this.baseMs = baseMs;
		this.capMs = capMs;
	}

	/** The ceiling of the next delay (the exponential part, without jitter). */
	get ceiling(): number {
		return Math.min(this.capMs, this.baseMs * Math.pow(2, Math.min(this.attempt, 30)));
	}

	/** The delay before the next attempt; counts the attempt. */
	next(): number {
		const ceiling = this.ceiling;
		this.attempt++;
		const r = this.#random;
		this.#hal.randomBytes(r, 0, 4);
		const fraction = (((r[0] << 24) | (r[1] << 16) | (r[2] << 8) | r[3]) >>> 0) / 4294967296;
		return Math.floor(fraction * ceiling);
	}

	reset(): void {
		this.attempt = 0;
	}
}
