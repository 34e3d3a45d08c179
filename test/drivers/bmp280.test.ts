// BMP280 driver against a register-level fake. Expected values come from the datasheet's worked
// example and from a BigInt transcription of the datasheet's C formulas written here, with every C
// int32/uint32 conversion spelled out, never from the driver's own arithmetic.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Bmp280, SensorError } from "../../src/drivers/index";
import { Bmp280Device, DATASHEET_CALIBRATION, type Calibration } from "./fakes";

const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);

/** bmp280_compensate_T_int32 (datasheet §8.2): [T in 0.01 °C, t_fine]. */
function referenceT(adcT: number, c: Calibration): [bigint, bigint] {
	const adc = BigInt(adcT);
	const T1 = BigInt(c.T1), T2 = BigInt(c.T2), T3 = BigInt(c.T3);
	const var1 = s32(s32(s32((adc >> 3n) - s32(T1 << 1n)) * T2) >> 11n);
	const d = s32((adc >> 4n) - T1);
	const var2 = s32(s32(s32(d * d) >> 12n) * T3) >> 14n;
	const tFine = s32(var1 + var2);
	return [s32(s32(tFine * 5n) + 128n) >> 8n, tFine];
}

/** bmp280_compensate_P_int32 (datasheet §8.2): Pa, or null where the C code returns 0 to avoid dividing by zero. */
function referenceP32(adcP: number, tFine: bigint, c: Calibration): bigint | null {
	const P1 = BigInt(c.P1), P2 = BigInt(c.P2), P3 = BigInt(c.P3), P4 = BigInt(c.P4), P5 = BigInt(c.P5);
	const P6 = BigInt(c.P6), P7 = BigInt(c.P7), P8 = BigInt(c.P8), P9 = BigInt(c.P9);
	let var1 = s32((tFine >> 1n) - 64000n);
	let var2 = s32(s32(s32((var1 >> 2n) * (var1 >> 2n)) >> 11n) * P6);
	var2 = s32(var2 + s32(s32(var1 * P5) << 1n));
	var2 = s32((var2 >> 2n) + s32(P4 << 16n));
	var1 = s32((s32(s32(P3 * s32(s32((var1 >> 2n) * (var1 >> 2n)) >> 13n)) >> 3n) + s32(s32(P2 * var1) >> 1n)) >> 18n);
	var1 = s32(s32(s32(32768n + var1) * P1) >> 15n);
	if (var1 === 0n) return null;
	let p = u32(u32(u32(s32(1048576n - BigInt(adcP))) - u32(var2 >> 12n)) * 3125n);
	if (p < 0x80000000n) p = u32(u32(p << 1n) / u32(var1));
	else p = u32(u32(p / u32(var1)) * 2n);
	var1 = s32(s32(P9 * s32(u32(u32((p >> 3n) * (p >> 3n))) >> 13n)) >> 12n);
	var2 = s32(s32(s32(p >> 2n) * P8) >> 13n);
	return u32(s32(s32(p) + s32(s32(var1 + var2 + P7) >> 4n)));
}

/** bmp280_compensate_P_int64 (datasheet §3.11.3): Pa in Q24.8. */
function referenceP64(adcP: number, tFine: bigint, c: Calibration): bigint {
	let var1 = tFine - 128000n;
	let var2 = var1 * var1 * BigInt(c.P6);
	var2 = var2 + ((var1 * BigInt(c.P5)) << 17n);
	var2 = var2 + (BigInt(c.P4) << 35n);
	var1 = ((var1 * var1 * BigInt(c.P3)) >> 8n) + ((var1 * BigInt(c.P2)) << 12n);
	var1 = (((1n << 47n) + var1) * BigInt(c.P1)) >> 33n;
	let p = 1048576n - BigInt(adcP);
	p = (((p << 31n) - var2) * 3125n) / var1;
	var1 = (BigInt(c.P9) * (p >> 13n) * (p >> 13n)) >> 25n;
	var2 = (BigInt(c.P8) * p) >> 19n;
	return ((p + var1 + var2) >> 8n) + (BigInt(c.P7) << 4n);
}

function sensorError(kind: string, register: number) {
	return (error: unknown): boolean => {
		assert.ok(error instanceof SensorError, `expected a SensorError, got ${String(error)}`);
		assert.equal(error.kind, kind);
		assert.equal(error.register, register);
		assert.equal(error.name, "SensorError");
		return true;
	};
}

test("datasheet worked example: adc_T 519888, adc_P 415148 -> 25.08 °C and the 32-bit formula's 100656 Pa", () => {
	const device = new Bmp280Device();
	device.conversion = [519888, 415148];
	const sensor = new Bmp280({ sensor: { io: device.io } });
	const sample = sensor.sample();

	const [t, tFine] = referenceT(519888, DATASHEET_CALIBRATION);
	assert.equal(tFine, 128422n); // datasheet example: t_fine = 128422
	assert.equal(t, 2508n); // 25.08 °C
	// The 64-bit formula lands on the datasheet's 100653.27 Pa (its table rounds intermediate values)...
	const p64 = Number(referenceP64(415148, tFine, DATASHEET_CALIBRATION)) / 256;
	assert.ok(Math.abs(p64 - 100653.27) < 0.05, `64-bit formula: ${p64}`);
	// ...the 32-bit one, which truncates at each step, 2.7 Pa above it (the part's relative accuracy is ±12 Pa).
	const p32 = referenceP32(415148, tFine, DATASHEET_CALIBRATION);
	assert.equal(p32, 100656n);

	assert.equal(sample.temperature, 25.08);
	assert.equal(sample.pressure, 100656);
});

test("construction: chip id, soft reset, NVM copy wait, calibration burst, then config before ctrl_meas", () => {
	const device = new Bmp280Device();
	device.nvmCopyPolls = 4;
	const delays: number[] = [];
	new Bmp280({ sensor: { io: device.io, data: 21, clock: 22 }, delay: (ms) => delays.push(ms) });

	const { hz, address, data, clock } = device.options ?? {};
	assert.deepEqual({ hz, address, data, clock }, { hz: 400000, address: 0x76, data: 21, clock: 22 });
	assert.equal(device.resets, 1);
	const writes = device.log.filter((t) => t.op === "write").map((t) => (t.op === "write" ? t.bytes : []));
	const registerWrites = writes.filter((b) => b.length === 2);
	// reset, then config = t_sb 1000 ms (101) | filter x4 (010), then ctrl_meas = osrs_t x2 (010) | osrs_p x16 (101) | normal (11)
	assert.deepEqual(registerWrites, [[0xe0, 0xb6], [0xf5, 0b101_010_00], [0xf4, 0b010_101_11]]);
	const reads = device.log.filter((t) => t.op === "read");
	assert.deepEqual(reads.map((t) => (t.op === "read" ? [t.register, t.length] : [])), [
		[0xd0, 1],
		[0xf3, 1], [0xf3, 1], [0xf3, 1], [0xf3, 1], [0xf3, 1], // im_update for 4 polls, clear on the 5th
		[0x88, 24],
	]);
	// Register pointer writes keep the bus (repeated start), register writes end with a stop.
	for (const t of device.log) if (t.op === "write") assert.equal(t.stop, t.bytes.length !== 1);
	// t_startup 2 ms after reset; t_measure,max = 1.25 + 2.3·2 + 2.3·16 + 0.575 = 43.225 -> 44 ms.
	assert.deepEqual(delays, [2, 44]);
});

test("BME280 (chip id 0x60) is driven the same way; other options reach the bus and the registers", () => {
	const device = new Bmp280Device(0x60);
	device.conversion = [519888, 415148];
	const sensor = new Bmp280({ sensor: { io: device.io, address: 0x77, hz: 100000 }, temperatureOversampling: 1, pressureOversampling: 3, filter: 0, standby: 0 });
	assert.equal(sensor.chipId, 0x60);
	assert.equal(device.options?.address, 0x77);
	assert.equal(device.options?.hz, 100000);
	assert.equal(device.registers[0xf4], 0b001_011_11);
	assert.equal(device.registers[0xf5], 0);
	assert.equal(sensor.sample().temperature, 25.08);
});

test("a chip that is not a BMP280/BME280 gives a chip-id error and the bus is released", () => {
	const device = new Bmp280Device(0x55);
	assert.throws(() => new Bmp280({ sensor: { io: device.io } }), (error: unknown) => {
		sensorError("chip-id", 0xd0)(error);
		assert.match((error as Error).message, /chip id 0x55 at I2C address 0x76/);
		return true;
	});
	assert.equal(device.closed, 1);
	assert.equal(device.resets, 0, "no reset is sent to an unknown device");
});

test("bus errors name the register and keep the bus error as the cause", () => {
	const failure = new Error("read failed");
	const device = new Bmp280Device();
	device.conversion = [519888, 415148];
	const sensor = new Bmp280({ sensor: { io: device.io } });
	device.failAt = { register: 0xf7, op: "read", error: failure };
	assert.throws(() => sensor.sample(), (error: unknown) => {
		sensorError("bus", 0xf7)(error);
		assert.match((error as Error).message, /reading 6 byte\(s\) at register 0xf7/);
		assert.equal((error as Error).cause, failure);
		return true;
	});
	device.failAt = null;
	assert.equal(sensor.sample().temperature, 25.08, "the driver keeps working once the bus recovers");

	const broken = new Bmp280Device();
	broken.failAt = { register: 0x88, op: "write", error: new Error("write failed") };
	assert.throws(() => new Bmp280({ sensor: { io: broken.io } }), sensorError("bus", 0x88));
	assert.equal(broken.closed, 1);

	const noAck = new Bmp280Device();
	noAck.failAt = { register: 0xf4, op: "write", error: new Error("write failed") };
	assert.throws(() => new Bmp280({ sensor: { io: noAck.io } }), (error: unknown) => {
		sensorError("bus", 0xf4)(error);
		assert.match((error as Error).message, /writing 0x57 to register 0xf4/);
		return true;
	});
});

test("an I2C class that cannot open is a bus error", () => {
	class Unopenable {
		constructor() {
			throw new Error("duplicate address");
		}
		write(): void {}
		read(): void {}
		close(): void {}
	}
	assert.throws(() => new Bmp280({ sensor: { io: Unopenable } }), sensorError("bus", -1));
});

test("the NVM copy not finishing within the allowed polls is a timeout", () => {
	const device = new Bmp280Device();
	device.nvmCopyPolls = 50;
	assert.throws(() => new Bmp280({ sensor: { io: device.io }, resetPolls: 10 }), sensorError("timeout", 0xf3));
	assert.equal(device.closed, 1);
});

test("a device that does not answer right after the reset is polled until it does", () => {
	const device = new Bmp280Device();
	device.conversion = [519888, 415148];
	let reads = 0;
	// Read 1 is the chip id; reads 2 and 3, the first status polls after the reset, get no ACK.
	class WakingUp extends device.io {
		override read(buffer: Uint8Array): void {
			reads++;
			if (reads === 2 || reads === 3) throw new Error("read failed");
			super.read(buffer);
		}
	}
	const sensor = new Bmp280({ sensor: { io: WakingUp } });
	assert.ok(reads > 4);
	assert.equal(sensor.sample().temperature, 25.08);
});

test("before the first conversion the data registers hold 0x80000: not-ready, not a bogus reading", () => {
	const device = new Bmp280Device();
	const sensor = new Bmp280({ sensor: { io: device.io } });
	assert.throws(() => sensor.sample(), sensorError("not-ready", 0xf7));
	device.setAdc(519888, 415148);
	assert.equal(sensor.sample().pressure, 100656);
});

test("a blank calibration image is refused", () => {
	const device = new Bmp280Device();
	device.setCalibration({ ...DATASHEET_CALIBRATION, T1: 0, P1: 0 });
	assert.throws(() => new Bmp280({ sensor: { io: device.io } }), sensorError("calibration", 0x88));
});

test("one sample object, overwritten in place; close is idempotent and later use is a typed error", () => {
	const device = new Bmp280Device();
	device.conversion = [519888, 415148];
	const sensor = new Bmp280({ sensor: { io: device.io } });
	const first = sensor.sample();
	device.setAdc(500000, 400000);
	const second = sensor.sample();
	assert.equal(first, second);
	assert.notEqual(second.temperature, 25.08);
	sensor.close();
	sensor.close();
	assert.equal(device.closed, 1);
	assert.throws(() => sensor.sample(), sensorError("closed", 0xf7));
});

test("option values outside the register fields are refused before touching the bus", () => {
	const device = new Bmp280Device();
	assert.throws(() => new Bmp280({ sensor: { io: device.io }, pressureOversampling: 6 }), RangeError);
	assert.throws(() => new Bmp280({ sensor: { io: device.io }, standby: 1.5 }), RangeError);
	assert.equal(device.opened, 0);
});

test("integer compensation equals the C formulas for realistic parts and readings", () => {
	// Calibration spreads seen on real parts around the datasheet example; any 20-bit ADC value.
	const calibration = fc.record({
		T1: fc.integer({ min: 26000, max: 29000 }), T2: fc.integer({ min: 25000, max: 28000 }), T3: fc.integer({ min: -1500, max: 1000 }),
		P1: fc.integer({ min: 34000, max: 39000 }), P2: fc.integer({ min: -11500, max: -9500 }), P3: fc.integer({ min: 2500, max: 3500 }),
		P4: fc.integer({ min: 1000, max: 9000 }), P5: fc.integer({ min: -300, max: 300 }), P6: fc.integer({ min: -20, max: 10 }),
		P7: fc.integer({ min: 15000, max: 16000 }), P8: fc.integer({ min: -15000, max: -13000 }), P9: fc.integer({ min: 4000, max: 7000 }),
	});
	checkAgainstReference(calibration, fc.integer({ min: 300000, max: 700000 }), fc.integer({ min: 200000, max: 700000 }), 400);
});

test("integer compensation keeps C's 32-bit wrap-around for any register contents", () => {
	const int16 = fc.integer({ min: -32768, max: 32767 });
	const uint16 = fc.integer({ min: 1, max: 65535 });
	const calibration = fc.record({ T1: uint16, T2: int16, T3: int16, P1: uint16, P2: int16, P3: int16, P4: int16, P5: int16, P6: int16, P7: int16, P8: int16, P9: int16 });
	const adc = fc.integer({ min: 0, max: 0xfffff }).filter((v) => v !== 0x80000);
	checkAgainstReference(calibration, adc, adc, 600);
});

function checkAgainstReference(calibration: fc.Arbitrary<Calibration>, adcT: fc.Arbitrary<number>, adcP: fc.Arbitrary<number>, numRuns: number): void {
	fc.assert(
		fc.property(calibration, adcT, adcP, (c, t, p) => {
			const device = new Bmp280Device();
			device.setCalibration(c);
			device.conversion = [t, p];
			const sensor = new Bmp280({ sensor: { io: device.io } });
			const [hundredths, tFine] = referenceT(t, c);
			const pressure = referenceP32(p, tFine, c);
			if (pressure === null) {
				assert.throws(() => sensor.sample(), sensorError("calibration", 0x88));
				return;
			}
			const sample = sensor.sample();
			assert.equal(sample.temperature, Number(hundredths) / 100);
			assert.equal(sample.pressure, Number(pressure));
		}),
		{ numRuns, seed: 0x280 },
	);
}
