/*
 * Bosch BMP280 (and the temperature/pressure part of the BME280) over I2C.
 * Datasheet: BST-BMP280-DS001 — registers §4.3, I2C §5.2, compensation §3.11.3 and §8.2.
 *
 * Construction: chip id (0xD0), soft reset (0xE0 <- 0xB6) and wait for the NVM copy (status.im_update),
 * calibration burst (0x88..0x9F: dig_T1..dig_P9), then config (0xF5) and ctrl_meas (0xF4, normal mode),
 * written in that order because config writes are only honoured in sleep mode.
 * `sample()` reads 0xF7..0xFC in one burst (the device shadows the data registers during a burst, so
 * temperature and pressure belong to the same conversion) and applies the datasheet's 32-bit integer
 * compensation (§8.2 `bmp280_compensate_T_int32`, `bmp280_compensate_P_int32`), transcribed with C's
 * int32/uint32 semantics: Math.imul for products, `| 0` / `>>> 0` for the C casts, `>>` for shifts.
 * No BigInt, no allocation: one reused sample object.
 */
import { SensorError, hex8 } from "./errors";
import type { ClimateSample } from "./index";
import type { I2CBus, I2CClass, I2COptions } from "./io";

export const BMP280_CHIP_ID = 0x58;
export const BME280_CHIP_ID = 0x60;
/** Engineering samples of the BMP280 answer 0x56 and 0x57 (Bosch's own driver accepts them). */
const BMP280_SAMPLE_IDS = Object.freeze([0x56, 0x57]);

// Registers (datasheet §4.3), as constants the bundle inlines.
const REG_CALIB = 0x88;
const REG_CHIP_ID = 0xd0;
const REG_RESET = 0xe0;
const REG_STATUS = 0xf3;
const REG_CTRL_MEAS = 0xf4;
const REG_CONFIG = 0xf5;
const REG_DATA = 0xf7;
/** dig_T1..dig_T3, dig_P1..dig_P9 (datasheet Table 17): 12 little-endian words, T1 and P1 unsigned. */
const CALIB_LENGTH = 24;
const T1 = 0;
const T2 = 1;
const T3 = 2;
const P1 = 3;
const P2 = 4;
const P3 = 5;
const P4 = 6;
const P5 = 7;
const P6 = 8;
const P7 = 9;
const P8 = 10;
const P9 = 11;
/** Every message names the part, so a log line alone says which driver spoke. */
const PART = "BMP280: ";
const DATA_LENGTH = 6;
const RESET_WORD = 0xb6;
const STATUS_IM_UPDATE = 0x01;
const MODE_NORMAL = 0x03;
/** What a data register holds before the first conversion, or for a skipped measurement. */
const NO_MEASUREMENT = 0x80000;
/** Power-on time after a soft reset (datasheet Table 2, t_startup). */
const STARTUP_MS = 2;

export interface Bmp280Options {
	/** I2C options (`data`, `clock`, `hz` default 400 kHz, `address` default 0x76, or 0x77 with SDO high) and the I2C class. */
	sensor: I2COptions & { io: I2CClass };
	/** osrs_t: 1..5 = x1..x16 (default 2 = x2). */
	temperatureOversampling?: number;
	/** osrs_p: 1..5 = x1..x16 (default 5 = x16). */
	pressureOversampling?: number;
	/** IIR filter coefficient: 0 = off, 1..4 = 2, 4, 8, 16 (default 2 = 4). */
	filter?: number;
	/** t_sb: 0..7; 5 = 1000 ms between conversions, the same on BMP280 and BME280 (default 5). */
	standby?: number;
	/**
	 * Blocking delay (Moddable `Timer.delay`). With it the constructor waits out t_startup after the reset
	 * and the first conversion after configuring, so the first `sample()` has data; without it a sample
	 * taken within t_measure (about 45 ms at the defaults) of construction throws "not-ready".
	 */
	delay?: (ms: number) => void;
	/** Status polls allowed for the NVM copy after reset (default 100). */
	resetPolls?: number;
}

export class Bmp280 {
	#io: I2CBus | null;
	/** Chip id read at construction: 0x58 (BMP280) or 0x60 (BME280). */
	readonly chipId: number;
	readonly #register = new Uint8Array(1);
	readonly #pair = new Uint8Array(2);
	readonly #data = new Uint8Array(DATA_LENGTH);
	readonly #sample: ClimateSample = { temperature: 0, pressure: 0 };
	/** The calibration words, indexed by T1..P9. */
	readonly #calib = new Int32Array(12);

	constructor(options: Bmp280Options) {
		const osrsT = setting(options.temperatureOversampling, 2, 1, 5, "temperatureOversampling");
		const osrsP = setting(options.pressureOversampling, 5, 1, 5, "pressureOversampling");
		const filter = setting(options.filter, 2, 0, 4, "filter");
		const standby = setting(options.standby, 5, 0, 7, "standby");
		const polls = setting(options.resetPolls, 100, 1, 100000, "resetPolls");
		const sensor = options.sensor;
		try {
			this.#io = new sensor.io({ hz: 400_000, address: 0x76, ...sensor });
		} catch (cause) {
			throw new SensorError("bus", PART + `cannot open I2C at address ${hex8(sensor.address ?? 0x76)}`, -1, cause);
		}
		try {
			this.chipId = this.#readByte(REG_CHIP_ID);
			if (this.chipId !== BMP280_CHIP_ID && this.chipId !== BME280_CHIP_ID && !BMP280_SAMPLE_IDS.includes(this.chipId))
				throw new SensorError("chip-id", PART + `chip id ${hex8(this.chipId)} at I2C address ${hex8(sensor.address ?? 0x76)} is neither a BMP280 (0x58) nor a BME280 (0x60)`, REG_CHIP_ID);
			this.#writeByte(REG_RESET, RESET_WORD);
			options.delay?.(STARTUP_MS);
			this.#awaitNvmCopy(polls);
			this.#readCalibration();
			this.#writeByte(REG_CONFIG, (standby << 5) | (filter << 2));
			this.#writeByte(REG_CTRL_MEAS, (osrsT << 5) | (osrsP << 2) | MODE_NORMAL);
			options.delay?.(measurementMs(osrsT, osrsP));
		} catch (error) {
			this.close();
			throw error;
		}
	}

	/** Temperature (°C, 0.01 resolution) and pressure (Pa, integer) of the latest conversion; the same object every call. */
	sample(): ClimateSample {
		const data = this.#data;
		this.#read(REG_DATA, data);
		const adcP = (data[0] << 12) | (data[1] << 4) | (data[2] >> 4);
		const adcT = (data[3] << 12) | (data[4] << 4) | (data[5] >> 4);
		if (adcT === NO_MEASUREMENT || adcP === NO_MEASUREMENT)
			throw new SensorError("not-ready", PART + "no conversion completed yet", REG_DATA);
		const tFine = this.#temperatureFine(adcT);
		const sample = this.#sample;
		sample.temperature = ((Math.imul(tFine, 5) + 128) >> 8) / 100;
		sample.pressure = this.#pressure(adcP, tFine);
		return sample;
	}

	close(): void {
		const io = this.#io;
		this.#io = null;
		io?.close();
	}

	/** t_fine of bmp280_compensate_T_int32 (the temperature is (t_fine * 5 + 128) >> 8 hundredths of °C). */
	#temperatureFine(adcT: number): number {
		const c = this.#calib;
		const t1 = c[T1];
		const var1 = Math.imul(((adcT >> 3) - (t1 << 1)) | 0, c[T2]) >> 11;
		const d = ((adcT >> 4) - t1) | 0;
		const var2 = Math.imul(Math.imul(d, d) >> 12, c[T3]) >> 14;
		return (var1 + var2) | 0;
	}

	/** bmp280_compensate_P_int32: pressure in Pa. */
	#pressure(adcP: number, tFine: number): number {
		const c = this.#calib;
		let var1 = ((tFine >> 1) - 64000) | 0;
		const quarter = var1 >> 2;
		const square = Math.imul(quarter, quarter);
		let var2 = Math.imul(square >> 11, c[P6]);
		var2 = (var2 + (Math.imul(var1, c[P5]) << 1)) | 0;
		var2 = ((var2 >> 2) + (c[P4] << 16)) | 0;
		var1 = ((Math.imul(c[P3], square >> 13) >> 3) + (Math.imul(c[P2], var1) >> 1)) >> 18;
		var1 = Math.imul((32768 + var1) | 0, c[P1]) >> 15;
		if (var1 === 0)
			throw new SensorError("calibration", PART + "pressure compensation divides by zero (dig_P1 or temperature out of range)", REG_CALIB);
		const divisor = var1 >>> 0;
		let p = Math.imul((1048576 - adcP - (var2 >> 12)) | 0, 3125) >>> 0;
		if (p < 0x80000000) p = ((p << 1) >>> 0) / divisor >>> 0;
		else p = ((p / divisor) >>> 0) * 2 >>> 0;
		const eighth = p >>> 3;
		var1 = Math.imul(c[P9], Math.imul(eighth, eighth) >>> 13) >> 12;
		var2 = Math.imul((p >>> 2) | 0, c[P8]) >> 13;
		return ((p | 0) + ((var1 + var2 + c[P7]) >> 4)) >>> 0;
	}

	/** After a reset the chip copies its NVM into the image registers; it may not answer at all for t_startup. */
	#awaitNvmCopy(polls: number): void {
		let lastError: unknown = null;
		for (let i = 0; i < polls; i++) {
			try {
				if ((this.#readByte(REG_STATUS) & STATUS_IM_UPDATE) === 0) return;
				lastError = null;
			} catch (error) {
				lastError = error;
			}
		}
		throw new SensorError("timeout", PART + `NVM copy after reset not finished after ${polls} status polls`, REG_STATUS, lastError ?? undefined);
	}

	#readCalibration(): void {
		const raw = new Uint8Array(CALIB_LENGTH);
		this.#read(REG_CALIB, raw);
		const c = this.#calib;
		for (let i = 0; i < 12; i++) {
			const word = raw[2 * i] | (raw[2 * i + 1] << 8);
			c[i] = i === T1 || i === P1 ? word : (word << 16) >> 16;
		}
		// A blank NVM image reads as zeros; dig_T1 and dig_P1 are never 0 on a calibrated part.
		if (c[T1] === 0 || c[P1] === 0)
			throw new SensorError("calibration", PART + "calibration registers read as blank (dig_T1 or dig_P1 is 0)", REG_CALIB);
	}

	#readByte(register: number): number {
		const one = this.#register;
		this.#read(register, one);
		return one[0];
	}

	/** Register pointer write with a repeated start, then a burst read (the address auto-increments). */
	#read(register: number, into: Uint8Array): void {
		const io = this.#open(register);
		const pointer = this.#register;
		pointer[0] = register;
		try {
			io.write(pointer, false);
			io.read(into);
		} catch (cause) {
			throw new SensorError("bus", PART + `I2C error reading ${into.length} byte(s) at register ${hex8(register)}`, register, cause);
		}
	}

	#writeByte(register: number, value: number): void {
		const io = this.#open(register);
		const pair = this.#pair;
		pair[0] = register;
		pair[1] = value;
		try {
			io.write(pair);
		} catch (cause) {
			throw new SensorError("bus", PART + `I2C error writing ${hex8(value)} to register ${hex8(register)}`, register, cause);
		}
	}

	#open(register: number): I2CBus {
		const io = this.#io;
		if (io === null) throw new SensorError("closed", PART + "used after close()", register);
		return io;
	}
}

/** t_measure,max (datasheet §3.8.1): 1.25 + 2.3·T oversampling + 2.3·P oversampling + 0.575 ms, rounded up. */
function measurementMs(osrsT: number, osrsP: number): number {
	return Math.ceil(1.25 + 2.3 * (1 << (osrsT - 1)) + 2.3 * (1 << (osrsP - 1)) + 0.575);
}

function setting(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
	if (value === undefined) return fallback;
	if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(PART + `${name} must be an integer from ${min} to ${max}, not ${value}`);
	return value;
}
