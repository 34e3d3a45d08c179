import type { Hal } from "../../hal/hal";

const POOL_SIZE = 256; // 64 masking keys per call into the HAL

/** Bytes a client frame header takes for a payload of `length`: 2 + extended length + 4 mask. */
export function frameHeaderSize(length: number): number {
	return length < 126 ? 6 : length < 65536 ? 8 : 14;
}

/**
 * Writes client frames (RFC 6455 §5.2-5.3): header, then the payload masked with a fresh random key.
 * Keys come from a pool of random bytes refilled in blocks. A payload in the TX buffer is masked four
 * bytes per XOR through one DataView: under XS a typed array element access is a native call, so a
 * byte loop costs more than the rest of the push.
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
export class FrameWriter {
	readonly #hal: Hal;
	readonly #pool = new Uint8Array(POOL_SIZE);
	#next = POOL_SIZE;
	readonly #tx: Uint8Array;
	readonly #txView: DataView;

	/** `tx`: the buffer most frames are framed in place in (the client's TX buffer). */
	constructor(hal: Hal, tx: Uint8Array) {
		this.#hal = hal;
		this.#tx = tx;
		this.#txView = new DataView(tx.buffer, tx.byteOffset, tx.byteLength);
	}

	/**
	 * Writes one frame at `into[at]` with first byte `head` (FIN | opcode) and the payload
	 * `source[offset, offset + length)`; returns the end. The caller has checked the room
	 * (`frameHeaderSize(length) + length`).
	 */
	frame(into: Uint8Array, at: number, head: number, source: Uint8Array, offset: number, length: number): number {
		at = this.header(into, at, head, length);
		for (let i = 0; i < length; i++) into[at + i] = source[offset + i] ^ into[at - 4 + (i & 3)];
		return at + length;
	}

	/**
	 * Frames the `length` bytes already at `into[payload]` in place: the header goes just before them
	 * (`frameHeaderSize(length)` bytes, which the caller left free) and the payload is masked.
	 * Returns where the frame starts.
	 */
	frameInPlace(into: Uint8Array, payload: number, head: number, length: number): number {
		const start = payload - frameHeaderSize(length);
		this.header(into, start, head, length);
		let i = 0;
		if (into === this.#tx) {
			const view = this.#txView;
			const key = view.getInt32(payload - 4);
			for (const words = length - 3; i < words; i += 4) view.setInt32(payload + i, view.getInt32(payload + i) ^ key);
		}
		for (; i < length; i++) into[payload + i] ^= into[payload - 4 + (i & 3)];
		return start;
	}

	/** Writes the header of a frame with a `length`-byte payload, a fresh masking key last; returns where the payload goes. */
	private header(into: Uint8Array, at: number, head: number, length: number): number {
		into[at++] = head;
		if (length < 126) {
			into[at++] = 0x80 | length;
		} else if (length < 65536) {
			into[at++] = 0x80 | 126;
			into[at++] = length >> 8;
			into[at++] = length & 0xff;
		} else {
			into[at++] = 0x80 | 127;
			const high = Math.floor(length / 0x100000000);
			into[at++] = high >>> 24;
			into[at++] = (high >> 16) & 0xff;
			into[at++] = (high >> 8) & 0xff;
			into[at++] = high & 0xff;
			into[at++] = length >>> 24;
			into[at++] = (length >> 16) & 0xff;
			into[at++] = (length >> 8) & 0xff;
			into[at++] = length & 0xff;
		}
		const pool = this.#pool;
		if (this.#next === POOL_SIZE) {
			this.#hal.randomBytes(pool, 0, POOL_SIZE);
			this.#next = 0;
		}
		const key = this.#next;
		this.#next = key + 4;
		into[at++] = pool[key];
		into[at++] = pool[key + 1];
		into[at++] = pool[key + 2];
		into[at++] = pool[key + 3];
		return at;
	}
}
