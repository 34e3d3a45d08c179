/*
 * Fixed-buffer writer: big-endian integers, float64, int64 milliseconds as two 32-bit halves (no
 * BigInt), AlwaysOn strings (§5.1). Every write checks the room first: running out is an EncodeError
 * and nothing is written past the end. Allocates nothing after construction.
 */
import { EncodeError } from "./errors";
import { charCodeAt, utf8Length, utf8Write } from "./utf8";

const TWO_32 = 4294967296;

export class ByteWriter {
	readonly buffer: Uint8Array;
	/** Next write offset; callers may rewind it (e.g. to undo a row that did not fit). */
	position: number;
	/** Over `buffer`, for writers that store numbers themselves. */
	readonly view: DataView;
	/** `buffer.length` as a plain field: a typed array's length is a getter, under XS a native call. */
	readonly capacity: number;

	constructor(buffer: Uint8Array, offset = 0) {
		this.buffer = buffer;
		this.capacity = buffer.length;
		this.position = offset;
		this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
	}

	get remaining(): number {
		return this.capacity - this.position;
	}

	u8(value: number): void {
		// The check inline, not take(1): u8 is the push path's most frequent call, and under XS a call
		// costs more than the check (7% of a push's compute).
		if (this.position >= this.capacity) this.noRoom(1);
		this.buffer[this.position++] = value;
	}

	u16(value: number): void {
		this.view.setUint16(this.take(2), value);
	}

	u32(value: number): void {
		this.view.setUint32(this.take(4), value);
	}

	i32(value: number): void {
		this.view.setInt32(this.take(4), value);
	}

	f64(value: number): void {
		this.view.setFloat64(this.take(8), value);
	}

	/** A safe integer (milliseconds) as int64 BE. */
	int64(value: number): void {
		if (!Number.isSafeInteger(value)) throw new EncodeError("not a safe integer: " + value);
		const at = this.take(8);
		const high = Math.floor(value / TWO_32);
		this.view.setInt32(at, high);
		this.view.setUint32(at + 4, value - high * TWO_32);
	}

	bytes(source: Uint8Array, offset = 0, length = source.length - offset): void {
		const at = this.take(length);
		// set() is one native call (XS: a fifth of a byte loop's cost for a 12-byte name); a slice
		// needs a view object, which only the non-push callers (chunks) pay.
		this.buffer.set(offset === 0 && length === source.length ? source : source.subarray(offset, offset + length), at);
	}

	/** UTF-8 with the 1-byte (< 128) or 4-byte (top bit set) length prefix. */
	string(text: string): void {
		if (this.#ascii(text)) return;
		const length = utf8Length(text);
		const prefix = length < 0x80 ? 1 : 4;
		const at = this.take(prefix + length);
		if (prefix === 1) this.buffer[at] = length;
		else this.view.setUint32(at, (length | 0x80000000) >>> 0);
		utf8Write(text, this.buffer, at + prefix);
	}

	/** The common case in one pass: ASCII text of up to 127 bytes that fits. False (nothing committed) otherwise. */
	#ascii(text: string): boolean {
		const room = this.capacity - this.position - 1;
		const max = room < 0x7f ? room : 0x7f;
		const start = this.position + 1;
		for (let i = 0; i <= max; i++) {
			const c = charCodeAt.call(text, i);
			if (c !== c) { // NaN: the end
				this.buffer[this.position] = i;
				this.position = start + i;
				return true;
			}
			if (c >= 0x80 || i === max) return false;
			this.buffer[start + i] = c;
		}
		return false;
	}

	/** Reserves `needed` bytes: returns where they start and moves past them, or throws with nothing written (writers that store the bytes themselves). */
	take(needed: number): number {
		const at = this.position;
		if (needed > this.capacity - at) this.noRoom(needed);
		this.position = at + needed;
		return at;
	}

	/** The EncodeError for `needed` more bytes than fit (apart from the checks, which stay small; writers that check the room themselves call it). */
	noRoom(needed: number): never {
		throw new EncodeError("no room: need " + needed + " bytes at " + this.position + " of " + this.capacity);
	}
}
