// Register-level stand-ins for the hardware the drivers talk to, each with the ECMA-419 IO shape.
import type { DigitalClass, I2CClass, I2COptions } from "../../src/drivers/index";

/** Datasheet example calibration (BST-BMP280-DS001 §3.12 / Table 16). */
export const DATASHEET_CALIBRATION = Object.freeze({
	T1: 27504, T2: 26435, T3: -1000,
	P1: 36477, P2: -10685, P3: 3024, P4: 2855, P5: 140, P6: -7, P7: 15500, P8: -14600, P9: 6000,
});
export type Calibration = { -readonly [K in keyof typeof DATASHEET_CALIBRATION]: number };

export type Transaction = { op: "write"; bytes: number[]; stop: boolean } | { op: "read"; register: number; length: number };

/**
 * A BMP280 on an I2C bus, at the register level (datasheet §4.3, §5.2):
 * a write sets the register pointer from its first byte and then writes (register, value) pairs;
 * a read returns bytes from the pointer, auto-incrementing. 0xE0 <- 0xB6 resets: control registers
 * clear, data registers return to 0x80000, and status.im_update reads 1 for `nvmCopyPolls` reads.
 */
export class Bmp280Device {
	readonly registers = new Uint8Array(256);
	readonly log: Transaction[] = [];
	options: (I2COptions & { hz: number; address: number }) | null = null;
	opened = 0;
	closed = 0;
	nvmCopyPolls = 3;
	resets = 0;
	/** Keep the transaction log (off for allocation measurements). */
	recording = true;
	/** What the first conversion yields once ctrl_meas leaves sleep mode; null: none completes. */
	conversion: [adcT: number, adcP: number] | null = null;
	/** Throw from the bus when a write or read touches this register (the bus error tests). */
	failAt: { register: number; op: "write" | "read"; error: Error } | null = null;
	#pointer = 0;
	#copying = 0;

	constructor(chipId = 0x58) {
		this.registers[0xd0] = chipId;
		this.setCalibration(DATASHEET_CALIBRATION);
		this.#clear();
	}

	setCalibration(c: Calibration): void {
		const view = new DataView(this.registers.buffer, 0x88, 24);
		view.setUint16(0, c.T1, true);
		view.setInt16(2, c.T2, true);
		view.setInt16(4, c.T3, true);
		view.setUint16(6, c.P1, true);
		[c.P2, c.P3, c.P4, c.P5, c.P6, c.P7, c.P8, c.P9].forEach((v, i) => view.setInt16(8 + 2 * i, v, true));
	}

	/** Raw 20-bit ADC values, laid out as msb/lsb/xlsb[7:4] (datasheet Table 18). */
	setAdc(adcT: number, adcP: number): void {
		const r = this.registers;
		r[0xf7] = adcP >> 12;
		r[0xf8] = (adcP >> 4) & 0xff;
		r[0xf9] = (adcP & 0xf) << 4;
		r[0xfa] = adcT >> 12;
		r[0xfb] = (adcT >> 4) & 0xff;
		r[0xfc] = (adcT & 0xf) << 4;
	}

	/** The IO class a driver is given; every instance talks to this device. */
	get io(): I2CClass {
		const device = this;
		return class FakeI2C {
			constructor(options: I2COptions & { hz: number; address: number }) {
				device.options = options;
				device.opened++;
			}
			write(buffer: Uint8Array, stop = true): void {
				device.#write(buffer, stop);
			}
			read(buffer: Uint8Array): void {
				device.#read(buffer);
			}
			close(): void {
				device.closed++;
			}
		};
	}

	#write(buffer: Uint8Array, stop: boolean): void {
		if (this.recording) this.log.push({ op: "write", bytes: Array.from(buffer), stop });
		if (buffer.length === 0) return;
		if (this.failAt?.op === "write" && this.failAt.register === buffer[0]) throw this.failAt.error;
		this.#pointer = buffer[0];
		for (let i = 0; i + 1 < buffer.length; i += 2) this.#store(buffer[i], buffer[i + 1]);
	}

	#read(buffer: Uint8Array): void {
		if (this.recording) this.log.push({ op: "read", register: this.#pointer, length: buffer.length });
		if (this.failAt?.op === "read" && this.failAt.register === this.#pointer) throw this.failAt.error;
		for (let i = 0; i < buffer.length; i++) {
			const register = this.#pointer;
			if (register === 0xf3) {
				buffer[i] = (this.registers[0xf3] & ~1) | (this.#copying > 0 ? 1 : 0);
				if (this.#copying > 0) this.#copying--;
			}
			else buffer[i] = this.registers[register];
			this.#pointer = (register + 1) & 0xff;
		}
	}

	#store(register: number, value: number): void {
		if (register === 0xe0) {
			if (value === 0xb6) {
				this.resets++;
				this.#clear();
				this.#copying = this.nvmCopyPolls;
			}
			return;
		}
		if (register === 0xf4 || register === 0xf5) this.registers[register] = value;
		if (register === 0xf4 && (value & 3) !== 0 && this.conversion !== null) this.setAdc(...this.conversion);
	}

	#clear(): void {
		this.registers[0xf4] = 0;
		this.registers[0xf5] = 0;
		this.setAdc(0x80000, 0x80000);
	}
}

/** A Digital output pin that records what it was told. */
export class DigitalRecorder {
	readonly writes: number[] = [];
	options: { pin: number; mode: unknown; initialValue?: 0 | 1 } | null = null;
	closed = 0;
	failWrites = false;

	get io(): DigitalClass {
		const pin = this;
		return class FakeDigital {
			static readonly Output = "output-mode";
			constructor(options: { pin: number; mode: unknown; initialValue?: 0 | 1 }) {
				pin.options = options;
			}
			write(value: 0 | 1): void {
				if (pin.failWrites) throw new Error("gpio write failed");
				pin.writes.push(value);
			}
			read(): 0 | 1 {
				return (pin.writes.at(-1) ?? 0) as 0 | 1;
			}
			close(): void {
				pin.closed++;
			}
		};
	}
}

