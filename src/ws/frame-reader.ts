import { INVALID_DATA, isValidCloseCode, NO_STATUS, PROTOCOL_ERROR, TOO_BIG, type WebSocketErrorKind } from "./error";
import { Utf8Validator } from "./utf8";
import { VERBOSE } from "../verbose";

/** What `FrameReader.parse` stopped for. */
export const NONE = 0; // input used up
export const MESSAGE = 1; // `message`, `binary`
export const PING = 2; // `control[0, controlLength)`
export const PONG = 3;
export const CLOSE = 4; // `closeCode`, reason in `control[2, controlLength)`
export const ERROR = 5; // `errorCode`, `errorKind`, `errorReason` (short enough for a close frame)
export const OVERSIZE = 6; // a data message over the limits, skipped: its head in `message`, its length in `oversizeLength`

// Parser states.
const HEAD = 0; // FIN, RSV, opcode
const LENGTH = 1; // MASK, 7-bit length
const EXTENDED = 2; // 16- or 64-bit length, a byte at a time
const PAYLOAD = 3;
const FAILED = 4;

const TEXT = 1;
const BINARY = 2;
/**
 * A data message over maxFrameSize or maxMessageSize is only big: its head is kept, the rest skipped as it
 * arrives, and OVERSIZE tells its user, who may refuse it (a peer that ignored what we announced). A
 * length from 2^31 on is a lie no peer means (or a stream to keep us busy): that stays fatal, 1009.
 */
const MAX_SKIPPED = 0x7fffffff;

/**
 * Incremental parser of server frames (RFC 6455 §5): bytes may arrive cut anywhere, down to one
 * per call. Data frames are reassembled into one buffer given by the client (the message is a view
 * into it); control frames, which may come between fragments, go to their own 125-byte buffer.
 * A message too big for the buffer keeps its head there and skips the rest (OVERSIZE).
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
export class FrameReader {
	/** The reassembly buffer; the opening handshake borrows it before the first frame. */
	readonly buffer: Uint8Array;
	readonly control = new Uint8Array(125);
	event = NONE;
	binary = false;
	controlLength = 0;
	closeCode = 0;
	errorCode = 0;
	errorKind: WebSocketErrorKind = "protocol";
	errorReason = "";
	/** A negotiated extension (permessage-deflate) lets a message's first frame carry RSV1. */
	allowCompressed = false;
	/** The MESSAGE had RSV1: its bytes are compressed (and its text not yet checked). */
	compressed = false;
	/** After OVERSIZE: the skipped message's full length. */
	oversizeLength = 0;

	readonly #maxFrame: number;
	readonly #maxMessage: number;
	readonly #utf8 = new Utf8Validator();
	#state = HEAD;
	#fin = false;
	#opcode = 0;
	#extended = 0; // length bytes still due
	#high = 0; // upper 32 bits of a 64-bit length
	#remaining = 0; // payload bytes still due
	#messageOpcode = 0; // TEXT or BINARY while a message is open
	#messageLength = 0; // bytes kept in `buffer`
	#messageTotal = 0; // bytes announced so far, kept or skipped
	#oversize = false; // the open message is skipped past its head
	#rsv1 = false;
	#messageCompressed = false;
	#view: Uint8Array;

	/** `buffer` holds at least maxMessageSize bytes. */
	constructor(maxFrameSize: number, maxMessageSize: number, buffer: Uint8Array) {
		this.#maxFrame = maxFrameSize;
		this.#maxMessage = maxMessageSize;
		this.buffer = buffer;
		this.#view = this.buffer.subarray(0, 0);
	}

	/** The complete message after a MESSAGE event (its head after OVERSIZE): a view valid until the next `parse`. */
	get message(): Uint8Array {
		// Reuse the view while lengths repeat: no allocation for a steady stream of same-size messages.
		if (this.#view.length !== this.#messageLength) this.#view = this.buffer.subarray(0, this.#messageLength);
		return this.#view;
	}

	/** A frame or a fragmented message has begun and is not finished. */
	get receiving(): boolean {
		return this.#messageOpcode !== 0 || this.#state !== HEAD;
	}

	/** Consumes `bytes[start, end)` up to the first event; returns where it stopped. */
	parse(bytes: Uint8Array, start: number, end: number): number {
		this.event = NONE;
		let i = start;
		while (i < end) {
			switch (this.#state) {
				case HEAD: {
					const b = bytes[i++];
					const opcode = b & 0x0f;
					if (b & 0x70 && ((b & 0x70) !== 0x40 || !this.allowCompressed || opcode === 0 || opcode >= 8)) return this.fail(i, PROTOCOL_ERROR, "protocol", VERBOSE ? "reserved bits set" : "rsv");
					this.#fin = (b & 0x80) !== 0;
					this.#rsv1 = (b & 0x40) !== 0;
					this.#opcode = opcode;
					if (opcode >= 8) {
						if (opcode > 10) return this.fail(i, PROTOCOL_ERROR, "protocol", VERBOSE ? `unknown opcode ${opcode}` : "opcode");
						if (!this.#fin) return this.fail(i, PROTOCOL_ERROR, "protocol", VERBOSE ? "fragmented control frame" : "fragmented control");
					} else if (opcode > BINARY) {
						return this.fail(i, PROTOCOL_ERROR, "protocol", VERBOSE ? `unknown opcode ${opcode}` : "opcode");
					} else if (opcode === 0) {
						if (this.#messageOpcode === 0) return this.fail(i, PROTOCOL_ERROR, "protocol", VERBOSE ? "continuation without a message" : "continuation");
					} else if (this.#messageOpcode !== 0) {
						return this.fail(i, PROTOCOL_ERROR, "protocol", VERBOSE ? "new message inside a fragmented one" : "interleaved");
					}
					this.#state = LENGTH;
					break;
				}
				case LENGTH: {
					const b = bytes[i++];
					if (b & 0x80) return this.fail(i, PROTOCOL_ERROR, "protocol", VERBOSE ? "masked frame from the server" : "masked");
					const length = b & 0x7f;
					this.#high = 0;
					if (length < 126) {
						this.#remaining = length;
						if (this.begin()) return i;
					} else {
						this.#remaining = 0;
						this.#extended = length === 126 ? 2 : 8;
						this.#state = EXTENDED;
					}
					break;
				}
				case EXTENDED: {
					const b = bytes[i++];
					const due = this.#extended--;
					if (due > 4) {
						if (due === 8 && b & 0x80) return this.fail(i, PROTOCOL_ERROR, "protocol", VERBOSE ? "64-bit length with the top bit set" : "length");
						this.#high = this.#high * 256 + b;
					} else {
						this.#remaining = this.#remaining * 256 + b;
					}
					if (due === 1 && this.begin()) return i;
					break;
				}
				case PAYLOAD: {
					const available = end - i;
					const count = available < this.#remaining ? available : this.#remaining;
					if (this.#opcode >= 8) {
						const control = this.control;
						let at = this.controlLength;
						for (let k = 0; k < count; k++) control[at++] = bytes[i + k];
						this.controlLength = at;
					} else {
						// all of it, but for a message skipped past its head, whose text is never checked (none of it is delivered)
						const buffer = this.buffer;
						const at = this.#messageLength;
						const room = buffer.length - at;
						const keep = count < room ? count : room;
						for (let k = 0; k < keep; k++) buffer[at + k] = bytes[i + k];
						this.#messageLength = at + keep;
						if (this.#messageOpcode === TEXT && !this.#messageCompressed && !this.#oversize && !this.#utf8.feed(buffer, at, at + count)) return this.fail(i + count, INVALID_DATA, "bad-utf8", VERBOSE ? "text is not UTF-8" : "text");
					}
					i += count;
					this.#remaining -= count;
					if (this.#remaining === 0 && this.end()) return i;
					break;
				}
				default:
					return end;
			}
		}
		return i;
	}

	/** The length is known: check it against the limits. True when that produced an event (an error, or an empty frame's). */
	private begin(): boolean {
		const length = this.#remaining;
		if (this.#opcode >= 8) {
			if (length > 125 || this.#high !== 0) return this.stop(PROTOCOL_ERROR, "protocol", VERBOSE ? "control frame over 125 bytes" : "control length");
			this.controlLength = 0;
		} else {
			if (this.#opcode !== 0) {
				this.#messageOpcode = this.#opcode;
				this.#messageLength = 0;
				this.#messageTotal = 0;
				this.#oversize = false;
				this.#messageCompressed = this.#rsv1;
				this.#utf8.reset();
			}
			const total = this.#messageTotal + this.#high * 0x100000000 + length;
			if (total > MAX_SKIPPED) return this.stop(TOO_BIG, "too-big", VERBOSE ? `message of ${total}+ bytes: over 2^31 - 1` : "length");
			this.#messageTotal = total;
			if (length > this.#maxFrame || total > this.#maxMessage) this.#oversize = true;
		}
		this.#state = PAYLOAD;
		return length === 0 && this.end();
	}

	/** The frame is complete: true when it produced an event. */
	private end(): boolean {
		this.#state = HEAD;
		const opcode = this.#opcode;
		if (opcode === 9) {
			this.event = PING;
		} else if (opcode === 10) {
			this.event = PONG;
		} else if (opcode === 8) {
			return this.close();
		} else if (this.#fin) {
			const oversize = this.#oversize;
			if (this.#messageOpcode === TEXT && !this.#messageCompressed && !oversize && !this.#utf8.complete) return this.stop(INVALID_DATA, "bad-utf8", VERBOSE ? "text ends inside a UTF-8 sequence" : "text end");
			this.binary = this.#messageOpcode === BINARY;
			this.compressed = this.#messageCompressed;
			this.#messageOpcode = 0;
			this.oversizeLength = this.#messageTotal;
			this.event = oversize ? OVERSIZE : MESSAGE;
		} else {
			return false;
		}
		return true;
	}

	/** §5.5.1: no payload, or a valid code and a UTF-8 reason. */
	private close(): boolean {
		const length = this.controlLength;
		const control = this.control;
		if (length === 0) {
			this.closeCode = NO_STATUS;
		} else if (length === 1) {
			return this.stop(PROTOCOL_ERROR, "protocol", VERBOSE ? "close frame with a 1-byte payload" : "close length");
		} else {
			const code = (control[0] << 8) | control[1];
			if (!isValidCloseCode(code)) {
				return this.stop(PROTOCOL_ERROR, "protocol", VERBOSE ? `invalid close code ${code}` : "close code");
			}
			// The message validator is free to borrow: nothing is read after a close frame.
			this.#utf8.reset();
			if (!this.#utf8.feed(control, 2, length) || !this.#utf8.complete) {
				return this.stop(INVALID_DATA, "bad-utf8", VERBOSE ? "close reason is not UTF-8" : "close reason");
			}
			this.closeCode = code;
		}
		this.event = CLOSE;
		return true;
	}

	private stop(code: number, kind: WebSocketErrorKind, reason: string): boolean {
		this.fail(0, code, kind, reason);
		return true;
	}

	private fail(at: number, code: number, kind: WebSocketErrorKind, reason: string): number {
		this.#state = FAILED;
		this.event = ERROR;
		this.errorCode = code;
		this.errorKind = kind;
		this.errorReason = reason;
		return at;
	}
}
