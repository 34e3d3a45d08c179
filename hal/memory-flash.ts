/*
 * NOR flash in memory, for hal/xs and for tests (hal/node without a directory): the same rules as the
 * chip's, checked, so that a journal that writes a byte twice without erasing it fails here rather than
 * corrupt a device's flash. Counts what wears the chip: writes, bytes written, erases per sector.
 */
import type { HalFlash } from "./hal";

export class MemoryFlash implements HalFlash {
	readonly byteLength: number;
	readonly sectorSize: number;
	/** The region's bytes (tests read and copy them: a power cut keeps them as they are). */
	readonly bytes: Uint8Array;
	writes = 0;
	bytesWritten = 0;
	erases = 0;
	/** Erases of each sector. */
	readonly wear: Uint32Array;

	constructor(byteLength: number, sectorSize = 4096, bytes?: Uint8Array) {
		if (!(sectorSize > 0 && byteLength >= sectorSize && byteLength % sectorSize === 0)) throw new RangeError("flash: " + byteLength + " bytes is not a whole number of " + sectorSize + "-byte sectors");
		if (bytes !== undefined && bytes.length !== byteLength) throw new RangeError("flash: " + bytes.length + " bytes given for " + byteLength);
		this.byteLength = byteLength;
		this.sectorSize = sectorSize;
		this.bytes = bytes ?? new Uint8Array(byteLength).fill(0xff);
		this.wear = new Uint32Array(byteLength / sectorSize);
	}

	read(offset: number, into: Uint8Array, at: number, length: number): void {
		this.check(offset, length);
		into.set(this.bytes.subarray(offset, offset + length), at);
	}

	write(offset: number, bytes: Uint8Array, at: number, length: number): void {
		this.check(offset, length);
		const mine = this.bytes;
		for (let i = 0; i < length; i++) {
			const b = bytes[at + i];
			if ((mine[offset + i] & b) !== b) throw new RangeError("flash: byte " + (offset + i) + " written twice without an erase");
		}
		mine.set(bytes.subarray(at, at + length), offset);
		this.writes++;
		this.bytesWritten += length;
	}

	erase(sector: number): void {
		if (!(Number.isInteger(sector) && sector >= 0 && sector < this.wear.length)) throw new RangeError("flash: no sector " + sector);
		this.bytes.fill(0xff, sector * this.sectorSize, (sector + 1) * this.sectorSize);
		this.wear[sector]++;
		this.erases++;
	}

	private check(offset: number, length: number): void {
		if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset + length <= this.byteLength)) {
			throw new RangeError("flash: " + length + " bytes at " + offset + " are outside the " + this.byteLength + "-byte region");
		}
	}
}
