/*
 * The inlet valve: a solenoid (through a driver transistor or relay) on one ECMA-419 Digital output.
 * The pin starts at the closed level (ECMA-419 `initialValue`, then an explicit write for IO classes
 * that ignore it); before the driver exists the level is whatever the board's pulls make it.
 * `sample()` reports the state last commanded, not a read-back of the pin (an output pin reads back
 * the driven level at best, and says nothing about the valve itself).
 */
import { SensorError } from "./errors";
import type { ValveSample } from "./index";
import type { DigitalClass, DigitalPin } from "./io";

export interface DigitalValveOptions {
	/** The Digital class and the output pin. */
	sensor: { io: DigitalClass; pin: number };
	/** The valve opens when the pin is low (e.g. an active-low relay board). Default false. */
	activeLow?: boolean;
}

export class DigitalValve {
	#pin: DigitalPin | null;
	readonly #openLevel: 0 | 1;
	readonly #sample: ValveSample = { open: false };

	constructor(options: DigitalValveOptions) {
		const { io, pin } = options.sensor;
		this.#openLevel = options.activeLow === true ? 0 : 1;
		try {
			this.#pin = new io({ pin, mode: io.Output, initialValue: (1 - this.#openLevel) as 0 | 1 });
		} catch (cause) {
			throw new SensorError("bus", `valve: cannot open pin ${pin} as a digital output`, -1, cause);
		}
		this.write(false);
	}

	write(open: boolean): void {
		const pin = this.#pin;
		if (pin === null) throw new SensorError("closed", "valve: used after close()");
		try {
			pin.write(open ? this.#openLevel : ((1 - this.#openLevel) as 0 | 1));
		} catch (cause) {
			throw new SensorError("bus", `valve: driving the output to ${open ? "open" : "closed"} failed`, -1, cause);
		}
		this.#sample.open = open;
	}

	sample(): ValveSample {
		if (this.#pin === null) throw new SensorError("closed", "valve: used after close()");
		return this.#sample;
	}

	/**
	 * Drives the valve closed, then releases the pin. On ESP32 releasing resets the GPIO (gpio_reset_pin:
	 * input with the internal pull-up), so the driver stage needs its own pull to the closed level.
	 * If the closing write fails the pin is still released and the failure is thrown: the valve may be open.
	 */
	close(): void {
		const pin = this.#pin;
		if (pin === null) return;
		this.#pin = null;
		let failure: unknown = null;
		try {
			pin.write((1 - this.#openLevel) as 0 | 1);
			this.#sample.open = false;
		} catch (cause) {
			failure = cause;
		}
		pin.close();
		if (failure !== null) throw new SensorError("bus", "valve: closing on close() failed; the valve may be left open", -1, failure);
	}
}
