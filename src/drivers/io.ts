/*
 * The parts of the ECMA-419 IO classes the drivers use, as structural types: Moddable's
 * `embedded:io/i2c`, `embedded:io/digital` and `embedded:io/pulsecount` satisfy them on a device, and
 * the tests pass register-level fakes. Only types: nothing here reaches a bundle.
 */

/** ECMA-419 I2C: synchronous; `stop = false` keeps the bus for a repeated start. */
export interface I2CBus {
	write(buffer: Uint8Array, stop?: boolean): void;
	/** Fills `buffer` completely (ECMA-419 `read(buffer)`). */
	read(buffer: Uint8Array, stop?: boolean): void;
	close(): void;
}

/** I2C constructor options (ECMA-419 §9.3): pins, speed and the 7-bit device address. */
export interface I2COptions {
	data?: number;
	clock?: number;
	hz?: number;
	address?: number;
	port?: number;
}

export interface I2CClass {
	new (options: I2COptions & { hz: number; address: number }): I2CBus;
}

export interface DigitalPin {
	write(value: 0 | 1): void;
	read(): 0 | 1;
	close(): void;
}

export interface DigitalClass {
	/** The mode constant for a push-pull output. */
	readonly Output: unknown;
	new (options: { pin: number; mode: unknown; initialValue?: 0 | 1 }): DigitalPin;
}

/** ECMA-419 PulseCount: `read()` is the running count since construction (or the last `write`). */
export interface PulseCounter {
	read(): number;
	write(count: number): void;
	close(): void;
}

/** Generic over its options: ECMA-419 PulseCount takes `{signal, control}`, an EdgeCounter also its Digital class. */
export interface PulseCounterClass<Options extends { signal: number } = { signal: number; control?: number }> {
	new (options: Options): PulseCounter;
}
