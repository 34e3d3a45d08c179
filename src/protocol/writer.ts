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
	#view: DataView;

	constructor(buffer: Uint8Array, offset = 0) {
		this.buffer = buffer;
		this.position = offset;
		this.#view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
	}

	get remaining(): number {
		return this.buffer.length - this.position;
	}

	u8(value: number): void {
		this.#room(1);
		this.buffer[this.position++] = value;
	}

	u16(value: number): void {
		this.#room(2);
		this.#view.setUint16(this.position, value);
		this.position += 2;
	}

	u32(value: number): void {
		this.#room(4);
		this.#view.setUint32(this.position, value);
		this.position += 4;
	}

	i32(value: number): void {
		this.#room(4);
		this.#view.setInt32(this.position, value);
		this.position += 4;
	}

	f64(value: number): void {
		this.#room(8);
		this.#view.setFloat64(this.position, value);
		this.position += 8;
	}

	/** A safe integer (milliseconds) as int64 BE. */
	int64(value: number): void {
		if (!Number.isSafeInteger(value)) throw new EncodeError("not a safe integer: " + value);
		this.#room(8);
		const high = Math.floor(value / TWO_32);
		this.#view.setInt32(this.position, high);
		this.#view.setUint32(this.position + 4, value - high * TWO_32);
		this.position += 8;
	}

	bytes(source: Uint8Array, offset = 0, length = source.length - offset): void {
		this.#room(length);
		// set() is one native call (XS: a fifth of a byte loop's cost for a 12-byte name); a slice
		// needs a view object, which only the non-push callers (chunks) pay.
		if (offset === 0 && length === source.length) this.buffer.set(source, this.position);
		else this.buffer.set(source.subarray(offset, offset + length), this.position);
		this.position += length;
	}

	/** UTF-8 with the 1-byte (< 128) or 4-byte (top bit set) length prefix. */
	string(text: string): void {
		if (this.#ascii(text)) return;
		const length = utf8Length(text);
		const prefix = length < 0x80 ? 1 : 4;
		this.#room(prefix + length);
		if (prefix === 1) this.buffer[this.position] = length;
		else this.#view.setUint32(this.position, (length | 0x80000000) >>> 0);
		this.position = utf8Write(text, this.buffer, this.position + prefix);
	}

	/** The common case in one pass: ASCII text of up to 127 bytes that fits. False (nothing committed) otherwise. */
	#ascii(text: string): boolean {
		const room = this.buffer.length - this.position - 1;
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

	#room(needed: number): void {
		if (needed > this.buffer.length - this.position) this.#noRoom(needed);
	}

	/** Apart from #room so that the check itself stays small enough to inline. */
	#noRoom(needed: number): never {
		throw new EncodeError("no room: need " + needed + " bytes at " + this.position + " of " + this.buffer.length);
	}
}
