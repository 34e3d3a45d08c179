/*
 * Zero-copy reader over received bytes. Every read checks what remains first, so malformed input is
 * a DecodeError (with the offset) and never a RangeError, and no length is used before it is checked.
 */
import { DecodeError } from "./errors";
import { utf8Read } from "./utf8";

const TWO_32 = 4294967296;

export class ByteReader {
	readonly bytes: Uint8Array;
	position: number;
	readonly end: number;
	#view: DataView;

	constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
		if (!(offset >= 0 && offset <= end && end <= bytes.length)) throw new DecodeError(offset, "range outside the bytes");
		this.bytes = bytes;
		this.position = offset;
		this.end = end;
		this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	}

	get remaining(): number {
		return this.end - this.position;
	}

	u8(): number {
		return this.bytes[take(this, 1, "byte")];
	}

	i8(): number {
		return this.#view.getInt8(take(this, 1, "byte"));
	}

	u16(): number {
		return this.#view.getUint16(take(this, 2, "uint16"));
	}

	u32(): number {
		return this.#view.getUint32(take(this, 4, "uint32"));
	}

	i32(): number {
		return this.#view.getInt32(take(this, 4, "int32"));
	}

	f64(): number {
		return this.#view.getFloat64(take(this, 8, "float64"));
	}

	/** int64 BE; outside the safe-integer range is a DecodeError (no BigInt). */
	int64(): number {
		const at = take(this, 8, "int64");
		const value = this.#view.getInt32(at) * TWO_32 + this.#view.getUint32(at + 4);
		if (!Number.isSafeInteger(value)) throw new DecodeError(at, "int64 outside the safe-integer range");
		return value;
	}

	/** A view of the next `length` bytes (not a copy). */
	view(length: number): Uint8Array {
		const start = take(this, length, "bytes");
		return this.bytes.subarray(start, this.position);
	}

	/**
	 * The byte length of an AlwaysOn string (§5.1), checked against what remains. The 4-byte form is
	 * accepted for any length, as the C SDK reads it (such input does not re-encode byte-identically).
	 */
	stringLength(): number {
		let length = this.u8();
		if (length >= 0x80) {
			this.position--;
			length = this.u32() & 0x7fffffff;
		}
		this.need(length, "string");
		return length;
	}

	string(): string {
		const length = this.stringLength();
		const start = this.position;
		this.position += length;
		return utf8Read(this.bytes, start, this.position);
	}

	/** A field, row, multipart, reason or gateway marker: 1 = present, 0 = absent, anything else a DecodeError. */
	marker(what: string): boolean {
		const at = this.position;
		const value = this.u8();
		if (value > 1) throw new DecodeError(at, "bad " + what + " marker " + value);
		return value === 1;
	}

	/** Throws unless `length` more bytes are there; `what` names the missing thing in the error. */
	need(length: number, what: string): void {
		if (length > this.end - this.position)
			throw new DecodeError(this.position, "truncated: " + what + " needs " + length + " bytes, " + (this.end - this.position) + " left");
	}
}

/**
 * Checks `length` bytes like need(), then returns where they start and moves past them. A module
 * function, not a #private method: XS gives every instance a slot per private method, and a reader
 * is made per decoded message.
 */
function take(r: ByteReader, length: number, what: string): number {
	const at = r.position;
	if (length > r.end - at) r.need(length, what);
	r.position = at + length;
	return at;
}
