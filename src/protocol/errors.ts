/*
 * The codec's two error types. Every malformed input is a DecodeError, every value that cannot be
 * written an EncodeError: callers catch these and keep serving. `name` is a getter because XS freezes
 * the built-in Error.prototype after preload (assigning `this.name` would throw there).
 */

/** Malformed bytes: `offset` is the index in the decoded array where the problem was found. */
export class DecodeError extends Error {
	readonly offset: number;
	readonly reason: string;
	constructor(offset: number, reason: string) {
		super(reason + " at offset " + offset);
		this.offset = offset;
		this.reason = reason;
	}
	override get name() {
		return "DecodeError";
	}
}

/** A value or message the codec cannot write (no room, wrong type, unsupported base type). */
export class EncodeError extends Error {
	readonly reason: string;
	constructor(reason: string) {
		super(reason);
		this.reason = reason;
	}
	override get name() {
		return "EncodeError";
	}
}

/** `value` when it is an integer from 0 to `max`, else an EncodeError naming `what`. */
export function limit(value: number, max: number, what: string): number {
	if (!(Number.isInteger(value) && value >= 0 && value <= max)) throw new EncodeError(what + " out of range: " + value);
	return value;
}
