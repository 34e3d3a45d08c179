/*
 * Flash regions on the Moddable SDK: the `flash` module over a data partition of the board's
 * partitions.csv (e.g. `twx, data, 0x40, , 128K`), whose blockSize is the sector (4096 on ESP32).
 * Reads copy out of `Flash.read`'s buffer; writes and erases go straight to the partition.
 * A module of its own, mapped by the manifests on esp32 only: the SDK provides `flash` on esp, esp32
 * and nrf52, and an import of it stops an app at load anywhere else (the simulator).
 * Use: `createModdableHal({ openFlash: openPartition })`, then the client's `persistence` option.
 */
import Flash from "flash";
import type { HalFlash } from "../hal";

/** The first `byteLength` bytes (whole sectors) of the partition `name`; a RangeError when it is smaller. */
export function openPartition(name: string, byteLength: number): HalFlash {
	return new PartitionFlash(name, byteLength);
}

/** A flash partition, the first `byteLength` bytes of it (whole sectors). */
class PartitionFlash implements HalFlash {
	readonly byteLength: number;
	readonly sectorSize: number;
	#flash: Flash;

	constructor(name: string, byteLength: number) {
		const flash = new Flash(name);
		const sector = flash.blockSize;
		if (!(byteLength >= sector && byteLength % sector === 0)) throw new RangeError(`flash: ${byteLength} bytes is not a whole number of ${sector}-byte sectors`);
		if (flash.byteLength < byteLength) throw new RangeError(`flash: partition ${name} has ${flash.byteLength} bytes, not ${byteLength}`);
		this.#flash = flash;
		this.byteLength = byteLength;
		this.sectorSize = sector;
	}

	read(offset: number, into: Uint8Array, at: number, length: number): void {
		into.set(new Uint8Array(this.#flash.read(offset, length) as ArrayBuffer), at);
	}

	write(offset: number, bytes: Uint8Array, at: number, length: number): void {
		// The native write takes any buffer or view (xsmcGetBufferReadable) and writes its first `length`
		// bytes: from the start (the journal's case) no view is made.
		const from = at === 0 ? bytes : bytes.subarray(at, at + length);
		this.#flash.write(offset, length, from as unknown as ArrayBuffer);
	}

	erase(sector: number): void {
		this.#flash.erase(sector);
	}
}
