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
		this.need(1, "byte");
		return this.bytes[this.position++];
	}

	i8(): number {
		this.need(1, "byte");
		return this.#view.getInt8(this.position++);
	}

	u16(): number {
		this.need(2, "uint16");
		const value = this.#view.getUint16(this.position);
		this.position += 2;
		return value;
	}

	u32(): number {
		this.need(4, "uint32");
		const value = this.#view.getUint32(this.position);
		this.position += 4;
		return value;
	}

	i32(): number {
		this.need(4, "int32");
		const value = this.#view.getInt32(this.position);
		this.position += 4;
		return value;
	}

	f64(): number {
		this.need(8, "float64");
		const value = this.#view.getFloat64(this.position);
		this.position += 8;
		return value;
	}

	/** int64 BE; outside the safe-integer range is a DecodeError (no BigInt). */
	int64(): number {
		this.need(8, "int64");
		const value = this.#view.getInt32(this.position) * TWO_32 + this.#view.getUint32(this.position + 4);
		if (!Number.isSafeInteger(value)) throw new DecodeError(this.position, "int64 outside the safe-integer range");
		this.position += 8;
		return value;
	}

	/** A view of the next `length` bytes (not a copy). */
	view(length: number): Uint8Array {
		this.need(length, "bytes");
		const start = this.position;
		this.position += length;
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

	/** Throws unless `length` more bytes are there; `what` names the missing thing in the error. */
	need(length: number, what: string): void {
		if (length > this.end - this.position)
			throw new DecodeError(this.position, "truncated: " + what + " needs " + length + " bytes, " + (this.end - this.position) + " left");
	}
}
