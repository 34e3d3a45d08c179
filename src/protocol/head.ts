/*
 * Zero-copy, allocation-free view of a received request (GET/PUT/POST/DEL) for the device's dispatch:
 * offsets into the received bytes instead of strings, so names are compared as bytes against the
 * pre-encoded ones (encodeName) and nothing is allocated for a request the device then rejects.
 */
import { isRequestCode } from "./codes";
import { DecodeError } from "./errors";
import { HEADER_SIZE } from "./messages";

/** Filled by readRequestHead; allocate one and reuse it. Name offsets/lengths cover the whole encoded
 * string field (length prefix included), the form encodeName produces, so bytesEqual compares them. */
export class RequestHead {
	code = 0;
	requestId = 0;
	endpointId = 0;
	sessionId = 0;
	entityType = 0;
	entityNameOffset = 0;
	entityNameLength = 0;
	characteristicType = 0;
	characteristicNameOffset = 0;
	characteristicNameLength = 0;
	/** Offset of the params type byte: 0x05 = an InfoTable follows (decode it from paramsOffset + 1), 0xFF = none. */
	paramsOffset = 0;
}

/** Reads the head of the single-part request in `bytes[offset, offset + length)` into `head`. */
export function readRequestHead(bytes: Uint8Array, offset: number, length: number, head: RequestHead): void {
	const end = offset + length;
	if (!(offset >= 0 && length >= HEADER_SIZE && end <= bytes.length)) throw new DecodeError(offset, "not a complete message header");
	const code = bytes[offset + 1];
	if (!isRequestCode(code)) throw new DecodeError(offset + 1, "not a request code");
	if (bytes[offset + 14] !== 0) throw new DecodeError(offset + 14, "a chunk: reassemble it first");
	head.code = code;
	head.requestId = u32(bytes, offset + 2);
	head.endpointId = u32(bytes, offset + 6);
	head.sessionId = u32(bytes, offset + 10);
	let at = offset + HEADER_SIZE;
	head.entityType = byteAt(bytes, at++, end);
	head.entityNameOffset = at;
	at = skipString(bytes, at, end);
	head.entityNameLength = at - head.entityNameOffset;
	head.characteristicType = byteAt(bytes, at++, end);
	head.characteristicNameOffset = at;
	at = skipString(bytes, at, end);
	head.characteristicNameLength = at - head.characteristicNameOffset;
	for (let n = byteAt(bytes, at++, end) * 2; n > 0; n--) at = skipString(bytes, at, end);
	byteAt(bytes, at, end);
	head.paramsOffset = at;
}

/** `a[aOffset, aOffset + aLength)` equals all of `b`. */
export function bytesEqual(a: Uint8Array, aOffset: number, aLength: number, b: Uint8Array): boolean {
	if (aLength !== b.length) return false;
	for (let i = 0; i < aLength; i++) if (a[aOffset + i] !== b[i]) return false;
	return true;
}

function u32(bytes: Uint8Array, at: number): number {
	return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function byteAt(bytes: Uint8Array, at: number, end: number): number {
	if (at >= end) throw new DecodeError(at, "truncated request head");
	return bytes[at];
}

/**
 * Bytes the string field at `at` takes, its 1- or 4-byte length prefix included (§5.1). Unchecked:
 * the caller makes sure the prefix is there and the result fits.
 */
export function stringFieldLength(bytes: Uint8Array, at: number): number {
	const first = bytes[at];
	return first < 0x80 ? 1 + first : 4 + (u32(bytes, at) & 0x7fffffff);
}

/** The offset after the string field at `at` (§5.1), checked against `end`. (stringFieldLength inlined: the device's receive path.) */
function skipString(bytes: Uint8Array, at: number, end: number): number {
	const first = byteAt(bytes, at, end);
	let next = at + 1 + first;
	if (first >= 0x80) {
		byteAt(bytes, at + 3, end);
		next = at + 4 + (u32(bytes, at) & 0x7fffffff);
	}
	if (next > end) throw new DecodeError(at, "truncated request head");
	return next;
}
