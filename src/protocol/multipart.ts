/*
 * Multipart messages (docs/protocol.md §1.2-1.3). The sender splits an already-encoded single-part message;
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
	/** Bound on a set's chunkCount * chunkSize (the C SDK's check, §1.2). Default 1 MiB (§1.4). */
	maxMessageSize?: number;
	/** Bound on the memory of all unfinished sets together. Default maxMessageSize. */
	maxBytes?: number;
	/** Unfinished sets held at once; the first chunk of one more is refused. Default 4. */
	maxSets?: number;
	/** An unfinished set this old is dropped: when its room is wanted, at its next chunk, or by sweep(). Default 50 000 ms (§1.2). */
	staleMs?: number;
}

/** One unfinished set: its identity, and one buffer that becomes the whole message. */
interface ChunkSet {
	requestId: number;
	code: number;
	chunkCount: number;
	chunkSize: number;
	entityType: number;
	/** null for a response (no entity address in its chunks). */
	entityName: string | null;
	startedMs: number;
	/**
	 * [header + entity address | chunk k's data at start + (k - 1) * room | u16 per chunk: its length + 1,
	 * 0 while missing]. Allocated whole at the first chunk (what chunkCount and chunkSize allow), counted
	 * against maxBytes; assembled in place.
	 */
	buffer: Uint8Array;
	start: number;
	room: number;
	received: number;
}

/**
 * Collects chunks by requestId in a fixed table of `maxSets` sets, each one buffer reserved at its
 * first chunk: a chunk costs a look-up in that table and one copy, whatever the peer sends (no sweep
 * of every set, no per-chunk allocation). The owner drops stale sets with sweep() at staleAt (a set is
 * also found stale lazily, when its room or its next chunk comes). Every refused chunk or set is counted.
 */
export class Reassembler {
	/** Unfinished sets dropped because they were staleMs old. */
	droppedStale = 0;
	/** Sets refused because their chunkCount * chunkSize exceeds maxMessageSize. */
	droppedOversize = 0;
	/** Sets refused because maxSets were already under way. */
	droppedTooMany = 0;
	/** Sets refused because their memory would take the unfinished sets over maxBytes. */
	droppedNoRoom = 0;
	/** Chunks dropped: chunkId out of range, chunkCount/chunkSize/code/entity unlike the set's, more data than a chunk holds. */
	droppedInvalid = 0;
	/** Chunks dropped because their chunkId was already received. */
	droppedDuplicate = 0;
	#maxMessageSize: number;
	#maxBytes: number;
	#staleMs: number;
	#sets: Array<ChunkSet | null>;
	#count = 0;
	#bytes = 0;

	constructor(options: ReassemblerOptions = {}) {
		this.#maxMessageSize = options.maxMessageSize ?? 1048576;
		this.#maxBytes = options.maxBytes ?? this.#maxMessageSize;
		this.#staleMs = options.staleMs ?? 50000;
		const maxSets = options.maxSets ?? 4;
		if (!(Number.isInteger(maxSets) && maxSets >= 1)) throw new RangeError("maxSets must be an integer of at least 1, not " + maxSets);
		this.#sets = new Array<ChunkSet | null>(maxSets).fill(null);
	}

	/** Unfinished sets held. */
	get pending(): number {
		return this.#count;
	}

	/** Memory the unfinished sets hold. */
	get bytes(): number {
		return this.#bytes;
	}

	/** When the oldest unfinished set goes stale (its first chunk's time + staleMs); -1 when none is held. */
	get staleAt(): number {
		let at = -1;
		for (const set of this.#sets) if (set !== null && (at < 0 || set.startedMs < at)) at = set.startedMs;
		return at < 0 ? -1 : at + this.#staleMs;
	}

	/** Adds one chunk; returns the reassembled single-part message when it completes the set, else null. */
	add(chunk: ChunkMessage, nowMs: number): Uint8Array | null {
		const { chunkId, chunkCount, data } = chunk;
		if (!(chunkId >= 1 && chunkId <= chunkCount)) return this.invalid();
		let slot = this.find(chunk.requestId);
		let set = slot < 0 ? null : this.#sets[slot];
		if (set !== null && nowMs - set.startedMs >= this.#staleMs) {
			this.drop(slot); // a late chunk starts a new set rather than completing the stale one
			this.droppedStale++;
			set = null;
		}
		if (set === null) {
			slot = this.open(chunk, nowMs);
			if (slot < 0) return null;
			set = this.#sets[slot] as ChunkSet;
		} else if (!sameSet(set, chunk)) return this.invalid();
		if (data.length > set.room) {
			if (set.received === 0) this.drop(slot);
			return this.invalid();
		}
		const buffer = set.buffer;
		const mark = set.start + set.chunkCount * set.room + 2 * (chunkId - 1);
		if (buffer[mark] !== 0 || buffer[mark + 1] !== 0) {
			this.droppedDuplicate++;
			return null;
		}
		buffer.set(data, set.start + (chunkId - 1) * set.room);
		buffer[mark] = (data.length + 1) >> 8;
		buffer[mark + 1] = (data.length + 1) & 0xff;
		if (++set.received < chunkCount) return null;
		this.drop(slot);
		return assemble(chunk, set);
	}

	/** Drops the unfinished sets whose first chunk arrived `staleMs` or more before `nowMs`; returns how many. */
	sweep(nowMs: number): number {
		const before = this.droppedStale;
		const sets = this.#sets;
		for (let slot = 0; slot < sets.length; slot++) {
			const set = sets[slot];
			if (set !== null && nowMs - set.startedMs >= this.#staleMs) {
				this.drop(slot);
				this.droppedStale++;
			}
		}
		return this.droppedStale - before;
	}

	/** Forgets every unfinished set without counting (e.g. on a new connection). */
	clear(): void {
		this.#sets.fill(null);
		this.#count = 0;
		this.#bytes = 0;
	}

	/** The slot of a new set for `chunk`'s request (stale sets make room), or -1 when refused (counted). */
	private open(chunk: ChunkMessage, nowMs: number): number {
		const { chunkCount, chunkSize, entity } = chunk;
		if (chunkCount * chunkSize > this.#maxMessageSize) {
			this.droppedOversize++;
			return -1;
		}
		// The entity address as the C SDK's sender reserves room for it in every chunk (§1.3).
		const name = entity === null ? -2 : utf8Length(entity.name);
		const room = chunkSize - CHUNK_HEADER - (name + 2);
		if (room < 0) {
			this.droppedInvalid++;
			return -1;
		}
		const start = HEADER_SIZE + name + 2 + (name < 0x80 ? 0 : 3);
		const size = start + chunkCount * (room + 2);
		this.sweep(nowMs);
		const slot = this.find(-1);
		if (slot < 0) {
			this.droppedTooMany++;
			return -1;
		}
		if (this.#bytes + size > this.#maxBytes) {
			this.droppedNoRoom++;
			return -1;
		}
		const set: ChunkSet = {
			requestId: chunk.requestId, code: chunk.code, chunkCount, chunkSize, entityType: entity === null ? 0 : entity.type,
			entityName: entity === null ? null : entity.name, startedMs: nowMs, buffer: new Uint8Array(size), start, room, received: 0,
		};
		this.#sets[slot] = set;
		this.#count++;
		this.#bytes += size;
		return slot;
	}

	/** The slot of the set of `requestId` (-1: a free slot), or -1. */
	private find(requestId: number): number {
		const sets = this.#sets;
		for (let slot = 0; slot < sets.length; slot++) {
			const set = sets[slot];
			if (set === null ? requestId < 0 : set.requestId === requestId) return slot;
		}
		return -1;
	}

	private drop(slot: number): void {
		const set = this.#sets[slot] as ChunkSet;
		this.#sets[slot] = null;
		this.#count--;
		this.#bytes -= set.buffer.length;
	}

	private invalid(): null {
		this.droppedInvalid++;
		return null;
	}
}

function sameSet(set: ChunkSet, chunk: ChunkMessage): boolean {
	const entity = chunk.entity;
	return set.code === chunk.code && set.chunkCount === chunk.chunkCount && set.chunkSize === chunk.chunkSize &&
		(entity === null ? set.entityName === null : set.entityType === entity.type && set.entityName === entity.name);
}

/**
 * In place: the chunks' data moved together in chunkId order after the header of the last chunk (as
 * the C SDK does) and, for requests, the entity address.
 */
function assemble(last: ChunkMessage, set: ChunkSet): Uint8Array {
	const buffer = set.buffer;
	const marks = set.start + set.chunkCount * set.room;
	let end = set.start;
	for (let k = 0; k < set.chunkCount; k++) {
		const length = ((buffer[marks + 2 * k] << 8) | buffer[marks + 2 * k + 1]) - 1;
		const from = set.start + k * set.room;
		if (from !== end) buffer.copyWithin(end, from, from + length);
		end += length;
	}
	const w = new ByteWriter(buffer);
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
	return buffer.subarray(0, end);
}
