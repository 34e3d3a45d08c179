/*
 * Multipart messages (PROTOCOL.md §1.2-1.3). The sender splits an already-encoded single-part message;
 * the receiver collects chunks by requestId and rebuilds the single-part message.
 *
 * Split rule: per-chunk payload `eff = chunkSize - 15 - 6 - entityPrefix - (deflate ? 4 : 0)`, where
 * entityPrefix is the request's real entity address length (1 + encoded name; the C SDK assumes the
 * 1-byte name length) and 4 is DEFLATE_SYNC_TRAILER_SIZE, reserved when permessage-deflate is active.
 * Chunks = ceil(bodyLength / eff); 1 means the message goes as is. Unlike the C SDK, the same `eff`
 * decides single vs multipart (no two-non-multipart-messages window) and no chunk carries zero data;
 * otherwise the chunks are byte-identical to the C SDK's.
 */
import type { ChunkMessage } from "./model";
import { isRequestCode } from "./codes";
import { EncodeError } from "./errors";
import { stringFieldLength } from "./head";
import { HEADER_SIZE } from "./messages";
import { utf8Length } from "./utf8";
import { ByteWriter } from "./writer";

export const MULTIPART_HEADER_SIZE = 6;
const DEFLATE_TRAILER = 4;
const CHUNK_HEADER = HEADER_SIZE + MULTIPART_HEADER_SIZE;

/** How many chunks `message[0, length)` needs at `chunkSize`; 1 = send it as is. */
export function chunkCount(message: Uint8Array, length: number, chunkSize: number, deflate = false): number {
	const n = Math.ceil((length - HEADER_SIZE) / payloadPerChunk(message, length, chunkSize, deflate));
	if (n > 0xffff) throw new EncodeError("message of " + length + " bytes needs more than 65535 chunks");
	return n > 1 ? n : 1;
}

/** Writes chunk `chunkIndex` (1-based) of `message[0, length)` at `into[offset]`; returns its length. */
export function encodeChunk(message: Uint8Array, length: number, chunkIndex: number, chunkSize: number, into: Uint8Array, offset: number, deflate = false): number {
	const count = chunkCount(message, length, chunkSize, deflate);
	if (!(chunkIndex >= 1 && chunkIndex <= count)) throw new EncodeError("chunk " + chunkIndex + " of " + count + " does not exist");
	const eff = payloadPerChunk(message, length, chunkSize, deflate);
	const start = HEADER_SIZE + (chunkIndex - 1) * eff;
	const stop = Math.min(start + eff, length);
	const prefix = chunkIndex > 1 ? entityPrefixLength(message, length) : 0;
	const w = new ByteWriter(into, offset);
	w.bytes(message, 0, HEADER_SIZE - 1);
	w.u8(1);
	w.u16(chunkIndex);
	w.u16(count);
	w.u16(chunkSize);
	w.bytes(message, HEADER_SIZE, prefix);
	w.bytes(message, start, stop - start);
	return w.position - offset;
}

function payloadPerChunk(message: Uint8Array, length: number, chunkSize: number, deflate: boolean): number {
	if (!(length >= HEADER_SIZE && length <= message.length)) throw new EncodeError("message length " + length + " out of range");
	if (!(chunkSize > 0 && chunkSize <= 0xffff)) throw new EncodeError("chunk size " + chunkSize + " out of range");
	const eff = chunkSize - CHUNK_HEADER - entityPrefixLength(message, length) - (deflate ? DEFLATE_TRAILER : 0);
	if (eff <= 0) throw new EncodeError("chunk size " + chunkSize + " leaves no room for data");
	return eff;
}

/** Bytes of the entity address (type + name string) that opens a request body; 0 for other codes. */
function entityPrefixLength(message: Uint8Array, length: number): number {
	if (!isRequestCode(message[1])) return 0;
	const prefix = 1 + stringFieldLength(message, HEADER_SIZE + 1); // type byte + name
	if (!(HEADER_SIZE + 1 < length && HEADER_SIZE + prefix <= length)) throw new EncodeError("request without a complete entity address");
	return prefix;
}

export interface ReassemblerOptions {
	/** Bound on a set's chunkCount * chunkSize and on all buffered chunk data together. Default 1 MiB (§1.4). */
	maxMessageSize?: number;
	/** Incomplete sets older than this are dropped by sweep(). Default 50 000 ms (§1.2). */
	staleMs?: number;
}

interface ChunkSet {
	first: ChunkMessage;
	startedMs: number;
	ids: number[];
	parts: Uint8Array[];
	bytes: number;
}

/**
 * Collects chunks by requestId. Each chunk's data is copied (the received view does not outlive the
 * callback). Rejected chunks or sets are counted, never silently lost.
 */
export class Reassembler {
	/** Incomplete sets dropped by sweep(). */
	droppedStale = 0;
	/** Sets dropped because chunkCount * chunkSize, or all buffered data, would exceed maxMessageSize. */
	droppedOversize = 0;
	/** Chunks dropped: chunkId out of range, chunkCount/chunkSize/code/entity unlike the set's, data larger than chunkSize. */
	droppedInvalid = 0;
	/** Chunks dropped because their chunkId was already received. */
	droppedDuplicate = 0;
	#maxMessageSize: number;
	#staleMs: number;
	#sets = new Map<number, ChunkSet>();
	#buffered = 0;

	constructor(options: ReassemblerOptions = {}) {
		this.#maxMessageSize = options.maxMessageSize ?? 1048576;
		this.#staleMs = options.staleMs ?? 50000;
	}

	/** Incomplete sets held. */
	get pending(): number {
		return this.#sets.size;
	}

	/** Adds one chunk; returns the reassembled single-part message when it completes the set, else null. */
	add(chunk: ChunkMessage, nowMs: number): Uint8Array | null {
		this.sweep(nowMs);
		const { requestId, chunkId, chunkCount, chunkSize, data } = chunk;
		if (!(chunkId >= 1 && chunkId <= chunkCount) || CHUNK_HEADER + data.length > chunkSize) {
			this.droppedInvalid++;
			return null;
		}
		let set = this.#sets.get(requestId);
		if (set === undefined) {
			if (chunkCount * chunkSize > this.#maxMessageSize) {
				this.droppedOversize++;
				return null;
			}
			set = { first: chunk, startedMs: nowMs, ids: [], parts: [], bytes: 0 };
			this.#sets.set(requestId, set);
		} else if (!sameSet(set.first, chunk)) {
			this.droppedInvalid++;
			return null;
		}
		if (set.ids.indexOf(chunkId) >= 0) {
			this.droppedDuplicate++;
			return null;
		}
		if (this.#buffered + data.length > this.#maxMessageSize) {
			this.#drop(requestId, set);
			this.droppedOversize++;
			return null;
		}
		set.ids.push(chunkId);
		set.parts.push(data.slice());
		set.bytes += data.length;
		this.#buffered += data.length;
		if (set.ids.length < chunkCount) return null;
		this.#drop(requestId, set);
		return assemble(chunk, set);
	}

	/** Drops incomplete sets whose first chunk arrived `staleMs` or more before `nowMs`. */
	sweep(nowMs: number): void {
		for (const [requestId, set] of this.#sets) {
			if (nowMs - set.startedMs >= this.#staleMs) {
				this.#drop(requestId, set);
				this.droppedStale++;
			}
		}
	}

	/** Forgets every incomplete set without counting (e.g. on a new connection). */
	clear(): void {
		this.#sets.clear();
		this.#buffered = 0;
	}

	#drop(requestId: number, set: ChunkSet): void {
		this.#sets.delete(requestId);
		this.#buffered -= set.bytes;
	}
}

function sameSet(a: ChunkMessage, b: ChunkMessage): boolean {
	return a.code === b.code && a.chunkCount === b.chunkCount && a.chunkSize === b.chunkSize &&
		(a.entity === null ? b.entity === null : b.entity !== null && a.entity.type === b.entity.type && a.entity.name === b.entity.name);
}

/** Header of the last chunk (as the C SDK does) + entity address for requests + data in chunkId order. */
function assemble(last: ChunkMessage, set: ChunkSet): Uint8Array {
	const name = last.entity ? utf8Length(last.entity.name) : -2;
	const w = new ByteWriter(new Uint8Array(HEADER_SIZE + 2 + name + (name < 0x80 ? 0 : 3) + set.bytes));
	w.u8(last.version);
	w.u8(last.code);
	w.u32(last.requestId);
	w.u32(last.endpointId);
	w.u32(last.sessionId);
	w.u8(0);
	if (last.entity) {
		w.u8(last.entity.type);
		w.string(last.entity.name);
	}
	for (let id = 1; id <= set.ids.length; id++) w.bytes(set.parts[set.ids.indexOf(id)]);
	return w.buffer;
}
