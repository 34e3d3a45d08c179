/*
 * The offline queues kept in flash (HalFlash), so that a restart during an outage loses nothing they
 * hold: each thing's row ring (encoded VTQ rows) and the request queue, as a crash-consistent journal.
 *
 * Layout: the region is cut into blocks of whole sectors (at least 2). A block is a header (magic,
 * sequence number, block size, CRC) then records, appended and never rewritten:
 *   [type u8][stream u8][length u16][payload][CRC-32 of the four and the payload]
 * NAME (a stream starts, or starts again, for the thing named in the payload; stream 0 is the request
 * queue), ROW (a row appended to it), REMOVE (u16 index, u16 rows: rows that left, acknowledged or
 * dropped: from the head, or after the rows a push keeps in flight or in doubt; ring.ts),
 * CLOSE (the thing was removed), END (the snapshot that opens a block is complete). Erased flash reads
 * 0xff: no record has that type, so the log ends at the first byte still erased.
 *
 * A block opens with a snapshot of every queue (NAME and ROW records, then END); when a block has no
 * room for what is to be written, the next block is erased and opened with a new snapshot, so only the
 * newest block is ever needed, and the one before it is left intact until the new snapshot is complete.
 * A block's size is twice the largest snapshot (every queue full: ring bytes x2 covers the 8 bytes a
 * record adds to a row's 2), so at least half of every block takes changes.
 *
 * At start (restore) the newest block whose snapshot is complete is read: per stream, the rows since its
 * NAME less those removed (a list of their offsets, for the boot only), which are then copied into the
 * rings of the things of those names; the log ends at the first record that is erased, malformed or fails
 * its CRC: a power cut while writing loses at most the record being written, never what came before.
 * Then a new block opens with a snapshot, so the torn tail is never written after.
 *
 * Write rate: a change is not written at once but persistDelayMs later, with everything else that
 * changed meanwhile, in writes of up to 256 bytes; a row acknowledged within that delay (the usual case
 * online) never reaches flash. What is lost by a power cut is therefore at most the rows of the last
 * persistDelayMs. (Endurance arithmetic: README, "Persistence".)
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import type { Hal, HalFlash, TimerId } from "../../hal/hal";
import { bytesEqual } from "../protocol";
import type { Bindings } from "./bindings";
import type { PersistedQueues, Persistence, Settings } from "./config";
import type { RequestQueue } from "./requestqueue";
import type { RingJournal, RowRing } from "./ring";
import type { Session } from "./session";

const MAGIC = 0x54574a31; // "TWJ1"
const HEADER = 16;
const NAME = 1;
const ROW = 2;
const REMOVE = 3;
const CLOSE = 4;
const END = 5;
/** A record's bytes besides its payload: type, stream, length, CRC. */
const RECORD = 8;
/** A thing's encoded name as the block size counts it (a longer one still fits: the bound is twice the need). */
const MAX_NAME = 260;
/** Runs of journaled rows that left a ring, kept between two writes; more: the ring is written whole again. */
const LEFT_RUNS = 4;
const SCRATCH = 256;

/** CRC-32 (IEEE 802.3, reflected 0xedb88320) four bits at a time: 16 words of table instead of 256. */
const NIBBLES = new Uint32Array([
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
	0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
]);

/** Adds `bytes[at, at + length)` to a CRC-32 under way (start with 0xffffffff, end with `~crc >>> 0`). */
export function crc32(crc: number, bytes: Uint8Array, at: number, length: number): number {
	for (let i = at, end = at + length; i < end; i++) {
		crc ^= bytes[i];
		crc = (crc >>> 4) ^ NIBBLES[crc & 15];
		crc = (crc >>> 4) ^ NIBBLES[crc & 15];
	}
	return crc;
}

/** EdgeClient's `persistence` option: the offline queues kept in `flash` (hal.openFlash). */
export function persistIn(flash: HalFlash): Persistence {
	return (hal, s, bindings, requests, session) => new Journal(hal, flash, s, bindings, requests, session);
}

export class Journal implements RingJournal, PersistedQueues {
	/** Bytes of a block: whole sectors, twice the largest snapshot. */
	readonly blockSize: number;
	readonly blocks: number;
	#hal: Hal;
	#flash: HalFlash;
	#s: Settings;
	#bindings: Bindings;
	#requests: RequestQueue;
	#session: Session;
	#timer: TimerId;
	#due = false;
	/** The ring last recorded for each stream (0: requests; 1 + slot: things), null for none. */
	#rings: Array<RowRing | null>;
	#block = 0;
	#sequence = 0;
	/** Where the next record goes, and where the current block ends (flash offsets). */
	#offset = 0;
	#end = 0;
	/** Bytes waiting to be written at #offset - #fill. */
	#scratch = new Uint8Array(SCRATCH);
	#fill = 0;
	#crc = 0;

	constructor(hal: Hal, flash: HalFlash, s: Settings, bindings: Bindings, requests: RequestQueue, session: Session) {
		const streams = 1 + s.maxThings;
		if (streams > 0xff) throw new RangeError("storage: at most 254 things (maxThings) are persisted, not " + s.maxThings);
		const snapshot = HEADER + RECORD + streams * (RECORD + MAX_NAME) + 2 * (s.requestQueueBytes + s.maxThings * s.queueBytes);
		const sector = flash.sectorSize;
		this.blockSize = Math.ceil((2 * snapshot) / sector) * sector;
		this.blocks = Math.floor(flash.byteLength / this.blockSize);
		if (this.blocks < 2) {
			throw new RangeError("storage: " + flash.byteLength + " bytes hold fewer than 2 journal blocks of " + this.blockSize + " (for queueBytes " + s.queueBytes + " x maxThings " + s.maxThings + " and requestQueueBytes " + s.requestQueueBytes + "): give it " + 2 * this.blockSize + " bytes or more");
		}
		this.#hal = hal;
		this.#flash = flash;
		this.#s = s;
		this.#bindings = bindings;
		this.#requests = requests;
		this.#session = session;
		this.#rings = new Array<RowRing | null>(streams).fill(null);
		this.#timer = hal.timers.create(this.due, this);
	}

	/** A persisted ring changed, or a thing was added or removed: written persistDelayMs from the first change not yet written. */
	changed(): void {
		if (this.#due) return;
		this.#due = true;
		this.#hal.timers.schedule(this.#timer, this.#s.persistDelayMs);
	}

	/** A ring's row at `index` leaves: if the journal holds it, recorded as a run of rows that left (or, past LEFT_RUNS runs, the ring is written whole). */
	leave(ring: RowRing, index: number): void {
		if (index >= ring.journaled) return;
		ring.journaled--;
		const runs = ring.leftRuns;
		const left = ring.left as Uint16Array;
		if (runs > 0 && runs <= LEFT_RUNS && left[2 * runs - 2] === index && left[2 * runs - 1] < 0xffff) left[2 * runs - 1]++;
		else if (runs < LEFT_RUNS) {
			left[2 * runs] = index;
			left[2 * runs + 1] = 1;
			ring.leftRuns = runs + 1;
		} else ring.leftRuns = LEFT_RUNS + 1;
		this.changed();
	}

	/** A ring was cleared: the rows the journal held are gone, so it is written whole. */
	cleared(ring: RowRing): void {
		if (ring.journaled === 0) return;
		ring.journaled = 0;
		ring.leftRuns = LEFT_RUNS + 1;
		this.changed();
	}

	/**
	 * Reads the newest complete block back into the queues of the things registered now (and the request
	 * queue), then opens a new block with their snapshot. Rows of a thing not registered are dropped,
	 * counted and logged. Returns the rows restored.
	 */
	restore(): number {
		const sequences: number[] = [];
		let best = -1;
		for (let b = 0; b < this.blocks; b++) {
			sequences.push(this.header(b));
			if (sequences[b] >= 0 && (best < 0 || sequences[b] > sequences[best])) best = b;
		}
		let previous = -1;
		for (let b = 0; b < this.blocks; b++) if (b !== best && sequences[b] >= 0 && (previous < 0 || sequences[b] > sequences[previous])) previous = b;
		let from = -1;
		let live = best >= 0 ? this.live(best) : null;
		if (live !== null) from = best;
		else if (previous >= 0) {
			live = this.live(previous); // the newest block's snapshot was cut: the one before is whole
			if (live !== null) from = previous;
		}
		const restored = live !== null ? this.apply(live) : 0;
		// The block opened next (after #block) must not be the one just read: a cut while opening it would
		// leave nothing. After the newest, or in place of the newest when its snapshot was cut (garbage).
		if (best < 0) this.#block = this.blocks - 1;
		else this.#block = from === best ? best : (best + this.blocks - 1) % this.blocks;
		this.#sequence = best >= 0 ? sequences[best] : 0;
		this.open();
		this.#session.stats.rowsRestored += restored;
		return restored;
	}

	/** Writes what changed: each stream's new name, rows that left, rows added; a new block when it does not fit. */
	write(): void {
		this.#due = false;
		const streams = this.#rings.length;
		let size = 0;
		for (let id = 0; id < streams; id++) size += this.pending(id);
		if (size === 0 && this.#offset < this.#end) return;
		if (this.#offset + size >= this.#end) {
			this.open();
			return;
		}
		try {
			for (let id = 0; id < streams; id++) this.writeChanges(id);
			this.flushScratch();
		} catch (error) {
			this.failed(error);
		}
	}

	private due(): void {
		this.write();
	}

	/** Bytes the changes of stream `id` take as records. */
	private pending(id: number): number {
		const ring = this.current(id);
		const recorded = this.#rings[id];
		if (ring !== recorded || (ring !== null && ring.leftRuns > LEFT_RUNS)) return ring === null ? RECORD : this.snapshotSize(ring);
		if (ring === null) return 0;
		let size = ring.leftRuns * (RECORD + 4);
		let cursor = ring.head();
		for (let i = 0; i < ring.count; i++, cursor = ring.next(cursor)) if (i >= ring.journaled) size += RECORD + ring.length(cursor);
		return size;
	}

	private writeChanges(id: number): void {
		const ring = this.current(id);
		if (ring !== this.#rings[id] || (ring !== null && ring.leftRuns > LEFT_RUNS)) {
			if (ring === null) {
				this.record(CLOSE, id, null, 0, 0);
				(this.#rings[id] as RowRing).journal = null;
				this.#rings[id] = null;
			} else this.snapshotStream(id, ring);
			return;
		}
		if (ring === null) return;
		const left = ring.left as Uint16Array;
		for (let run = 0; run < ring.leftRuns; run++) {
			this.begin(REMOVE, id, 4);
			this.put(left[2 * run] >> 8);
			this.put(left[2 * run] & 0xff);
			this.put(left[2 * run + 1] >> 8);
			this.put(left[2 * run + 1] & 0xff);
			this.finish();
		}
		ring.leftRuns = 0;
		this.rows(id, ring, ring.journaled);
	}

	/** Erases the next block and opens it with a snapshot of every queue. */
	private open(): void {
		const flash = this.#flash;
		const stats = this.#session.stats;
		this.#due = false;
		try {
			this.#block = (this.#block + 1) % this.blocks;
			this.#sequence++;
			const start = this.#block * this.blockSize;
			const sectors = this.blockSize / flash.sectorSize;
			for (let k = 0; k < sectors; k++) flash.erase(start / flash.sectorSize + k);
			stats.journalErases += sectors;
			this.#offset = start;
			this.#end = start + this.blockSize;
			this.#fill = 0;
			const s = this.#scratch;
			putU32(s, 0, MAGIC);
			putU32(s, 4, this.#sequence);
			putU32(s, 8, this.blockSize);
			putU32(s, 12, ~crc32(0xffffffff, s, 0, 12) >>> 0);
			this.#fill = HEADER;
			this.#offset += HEADER;
			for (let id = 0; id < this.#rings.length; id++) {
				const ring = this.current(id);
				const recorded = this.#rings[id];
				if (recorded !== null && recorded !== ring) recorded.journal = null;
				this.#rings[id] = null;
				if (ring !== null) this.snapshotStream(id, ring);
			}
			this.record(END, 0, null, 0, 0);
			this.flushScratch();
		} catch (error) {
			this.failed(error);
		}
	}

	/** NAME (the thing's encoded name; none for the request queue) and every row of stream `id`: the ring is recorded whole from here on. */
	private snapshotStream(id: number, ring: RowRing): void {
		const name = id === 0 ? null : this.#bindings.entities[id - 1]!.nameBytes;
		this.record(NAME, id, name, 0, name === null ? 0 : name.length);
		const recorded = this.#rings[id];
		if (recorded !== null && recorded !== ring) recorded.journal = null;
		this.#rings[id] = ring;
		ring.journal = this;
		if (ring.left === null) ring.left = new Uint16Array(2 * LEFT_RUNS);
		ring.leftRuns = 0;
		this.rows(id, ring, 0);
	}

	private snapshotSize(ring: RowRing): number {
		let size = RECORD + MAX_NAME;
		let cursor = ring.head();
		for (let i = 0; i < ring.count; i++, cursor = ring.next(cursor)) size += RECORD + ring.length(cursor);
		return size;
	}

	/** ROW records of the ring's rows from the `from`-th on; then the ring is journaled whole. */
	private rows(id: number, ring: RowRing, from: number): void {
		const mem = ring.writer.buffer;
		let cursor = ring.head();
		for (let i = 0; i < ring.count; i++, cursor = ring.next(cursor)) {
			if (i < from) continue;
			const length = ring.length(cursor);
			this.begin(ROW, id, length);
			this.putBytes(mem, ring.inRegion(cursor), length);
			this.finish();
		}
		ring.journaled = ring.count;
	}

	/** The queue of stream `id` now: the request queue's, or the ring of the thing in slot id - 1. */
	private current(id: number): RowRing | null {
		if (id === 0) return this.#requests.ring();
		const m = this.#bindings.managers[id - 1];
		return m === undefined || m === null ? null : m.ring;
	}

	// --- writing records through the scratch buffer ---

	private record(type: number, id: number, bytes: Uint8Array | null, at: number, length: number): void {
		this.begin(type, id, length);
		if (bytes !== null) this.putBytes(bytes, at, length);
		this.finish();
	}

	private begin(type: number, id: number, length: number): void {
		this.#crc = 0xffffffff;
		this.put(type);
		this.put(id);
		this.put(length >> 8);
		this.put(length & 0xff);
	}

	private finish(): void {
		const crc = ~this.#crc >>> 0;
		this.putRaw(crc >>> 24);
		this.putRaw((crc >>> 16) & 0xff);
		this.putRaw((crc >>> 8) & 0xff);
		this.putRaw(crc & 0xff);
	}

	private put(byte: number): void {
		let crc = this.#crc ^ byte;
		crc = (crc >>> 4) ^ NIBBLES[crc & 15];
		this.#crc = (crc >>> 4) ^ NIBBLES[crc & 15];
		this.putRaw(byte);
	}

	private putRaw(byte: number): void {
		if (this.#fill === SCRATCH) this.flushScratch();
		this.#scratch[this.#fill++] = byte;
		this.#offset++;
	}

	/** Copied byte by byte: no view object per row (the journal writes while offline, on a small heap). */
	private putBytes(bytes: Uint8Array, at: number, length: number): void {
		for (let i = at, end = at + length; i < end; i++) this.put(bytes[i]);
	}

	private flushScratch(): void {
		const fill = this.#fill;
		if (fill === 0) return;
		this.#fill = 0;
		this.#flash.write(this.#offset - fill, this.#scratch, 0, fill);
		const stats = this.#session.stats;
		stats.journalWrites++;
		stats.journalBytes += fill;
	}

	/**
	 * A flash operation failed: reported; the next write (at the next change, or persist()) opens a new
	 * block with the whole state, since what this one holds may be torn or short of what was counted.
	 */
	private failed(error: unknown): void {
		this.#fill = 0;
		this.#offset = this.#end;
		this.#session.report(error);
	}

	// --- reading back ---

	/** The sequence number of block `b`, -1 when its header is not this journal's. */
	private header(b: number): number {
		const s = this.#scratch;
		this.#flash.read(b * this.blockSize, s, 0, HEADER);
		if (u32(s, 0) !== MAGIC || u32(s, 8) !== this.blockSize || u32(s, 12) !== ~crc32(0xffffffff, s, 0, 12) >>> 0) return -1;
		return u32(s, 4);
	}

	/**
	 * Walks block `b`'s records up to the first that is not whole (erased, malformed, or failing its CRC),
	 * calling `visit(type, id, offset, length, first, second)` for each (a REMOVE's index and rows). Returns whether
	 * its snapshot was complete (an END was read).
	 */
	private walk(b: number, visit: (type: number, id: number, offset: number, length: number, first: number, second: number) => void): boolean {
		const flash = this.#flash;
		const s = this.#scratch;
		const streams = this.#rings.length;
		const end = (b + 1) * this.blockSize;
		let complete = false;
		for (let at = b * this.blockSize + HEADER; at + RECORD <= end; ) {
			flash.read(at, s, 0, 4);
			const type = s[0];
			const id = s[1];
			const length = (s[2] << 8) | s[3];
			if (type < NAME || type > END || id >= streams || at + RECORD + length > end) break;
			let crc = crc32(0xffffffff, s, 0, 4);
			for (let done = 0; done < length; ) {
				const n = length - done < SCRATCH ? length - done : SCRATCH;
				flash.read(at + 4 + done, s, 0, n);
				crc = crc32(crc, s, 0, n);
				done += n;
			}
			const first = (s[0] << 8) | s[1];
			const second = (s[2] << 8) | s[3];
			flash.read(at + 4 + length, s, 0, 4);
			if (u32(s, 0) !== ~crc >>> 0) break;
			if (type === END) complete = true;
			visit(type, id, at + 4, length, first, second);
			at += RECORD + length;
		}
		return complete;
	}

	/**
	 * The rows of block `b` still queued at its end: per stream, null (no NAME, or closed since) or the
	 * NAME record's payload (offset, length) then each row's; null when the block's snapshot is not complete.
	 */
	private live(b: number): Array<number[] | null> | null {
		const live = new Array<number[] | null>(this.#rings.length).fill(null);
		const complete = this.walk(b, (type, id, offset, length, first, second) => {
			const rows = live[id];
			if (type === NAME) live[id] = [offset, length];
			else if (type === CLOSE) live[id] = null;
			else if (rows === null) return;
			else if (type === ROW) rows.push(offset, length);
			else if (type === REMOVE && length === 4) rows.splice(2 + 2 * first, 2 * second);
		});
		return complete ? live : null;
	}

	/** Copies the rows still queued (`live`) into the rings of the things of those names; returns how many. */
	private apply(live: Array<number[] | null>): number {
		const stats = this.#session.stats;
		let restored = 0;
		let lost = 0;
		for (let id = 0; id < live.length; id++) {
			const rows = live[id];
			if (rows === null) continue;
			const ring = this.target(id, rows[0], rows[1]);
			for (let k = 2; k < rows.length; k += 2) {
				const length = rows[k + 1];
				if (ring === null || length > ring.maxRow) {
					lost++;
					continue;
				}
				const before = ring.dropped;
				if (!ring.reserve(length)) {
					lost++;
					continue;
				}
				this.#flash.read(rows[k], ring.writer.buffer, ring.start, length);
				const dropped = ring.dropped - before;
				if (id === 0) this.#requests.restored(dropped, ring.writer.buffer, ring.start, length);
				else stats.rowsDropped += dropped;
				ring.commit(length);
				restored++;
			}
		}
		if (lost > 0) {
			stats.rowsDropped += lost;
			this.#hal.log("warn", "journal: " + lost + " rows of things not registered (or too big for their queue now) dropped");
		}
		return restored;
	}

	/** The ring a stream's rows go back to: the request queue's (stream 0), or that of the thing whose encoded name the NAME record holds. */
	private target(id: number, offset: number, length: number): RowRing | null {
		if (id === 0) return this.#requests.ring();
		const name = new Uint8Array(length);
		this.#flash.read(offset, name, 0, length);
		const entities = this.#bindings.entities;
		for (let i = 0; i < entities.length; i++) {
			const e = entities[i];
			if (e !== null && bytesEqual(name, 0, length, e.nameBytes)) return this.#bindings.managers[i]!.ring;
		}
		return null;
	}
}

function putU32(bytes: Uint8Array, at: number, value: number): void {
	bytes[at] = value >>> 24;
	bytes[at + 1] = (value >>> 16) & 0xff;
	bytes[at + 2] = (value >>> 8) & 0xff;
	bytes[at + 3] = value & 0xff;
}

function u32(bytes: Uint8Array, at: number): number {
	return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}
