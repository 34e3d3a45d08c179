// The flash module as modules/files/flash reads on ESP32: a named partition (runtime.partitions), 4096-byte
// blocks; read returns a new ArrayBuffer, write programs bits (AND, as NOR flash does), erase takes a sector number.
import { runtime } from "./runtime";

const BLOCK = 4096;

export default class Flash {
	readonly byteLength: number;
	readonly blockSize = BLOCK;
	#bytes: Uint8Array;

	constructor(partition: string) {
		const bytes = runtime.partitions.get(partition);
		if (bytes === undefined) throw new Error("partition not found");
		this.#bytes = bytes;
		this.byteLength = bytes.length;
	}

	read(offset: number, byteLength: number): ArrayBuffer {
		this.#check(offset, byteLength);
		return this.#bytes.slice(offset, offset + byteLength).buffer;
	}

	write(offset: number, byteLength: number, buffer: ArrayBuffer | ArrayBufferView): void {
		this.#check(offset, byteLength);
		const from = ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new Uint8Array(buffer);
		if (from.length < byteLength) throw new Error("buffer too small");
		for (let i = 0; i < byteLength; i++) this.#bytes[offset + i] &= from[i];
	}

	erase(sector: number): void {
		if (!(sector >= 0 && (sector + 1) * BLOCK <= this.byteLength)) throw new Error("invalid sector");
		this.#bytes.fill(0xff, sector * BLOCK, (sector + 1) * BLOCK);
	}

	#check(offset: number, byteLength: number): void {
		if (offset < 0 || byteLength < 0 || offset + byteLength > this.byteLength) throw new Error("out of range");
	}
}
