/*
 * A pulse-output flow meter (turbine or Hall-effect: one pulse per fixed volume) read through an
 * ECMA-419 PulseCount-shaped counter.
 *
 * Calibration: `pulsesPerLitre` is the meter's K-factor — from its datasheet (e.g. the common YF-S201
 * gives F[Hz] = 7.5 x Q[L/min], i.e. 450 pulses per litre) or measured: count the pulses while a known
 * volume passes and divide. Rate = pulses in the window / K-factor / window minutes; total = all pulses
 * since construction / K-factor.
 *
 * A counter that steps backwards (a quadrature counter seeing reverse motion, or a counter reset) adds
 * nothing to the rate or the total; the pulses are counted in `backwardPulses` rather than lost silently.
 */
import { SensorError } from "./errors";
import type { FlowSample } from "./index";
import type { PulseCounter, PulseCounterClass } from "./io";

export interface PulseFlowMeterOptions<Options extends { signal: number }> {
	/** The counter class and its constructor options (`signal` pin, and whatever else that class takes). */
	sensor: Options & { io: PulseCounterClass<Options> };
	/** Meter K-factor: pulses per litre (> 0). */
	pulsesPerLitre: number;
	/** Monotonic milliseconds (the HAL's `ticks`). */
	ticks: () => number;
}

export class PulseFlowMeter<Options extends { signal: number } = { signal: number; control?: number }> {
	#counter: PulseCounter | null;
	readonly #pulsesPerLitre: number;
	readonly #ticks: () => number;
	readonly #sample: FlowSample = { flow: 0, total: 0 };
	#lastCount: number;
	#windowStart: number;
	#windowPulses = 0;
	#pulses = 0;
	#backward = 0;

	constructor(options: PulseFlowMeterOptions<Options>) {
		const k = options.pulsesPerLitre;
		if (!(k > 0) || !Number.isFinite(k)) throw new RangeError(`flow meter: pulsesPerLitre must be a positive number, not ${k}`);
		this.#pulsesPerLitre = k;
		this.#ticks = options.ticks;
		const sensor = options.sensor;
		try {
			this.#counter = new sensor.io(sensor);
		} catch (cause) {
			throw new SensorError("bus", `flow meter: cannot open the pulse counter on pin ${sensor.signal}`, -1, cause);
		}
		this.#lastCount = this.#read();
		this.#windowStart = this.#ticks();
	}

	/** Pulses seen while the counter stepped backwards (ignored for rate and total). */
	get backwardPulses(): number {
		return this.#backward;
	}

	/** Rate over the time since the previous sample, and the running total; the same object every call. */
	sample(): FlowSample {
		const count = this.#read();
		const now = this.#ticks();
		let delta = count - this.#lastCount;
		this.#lastCount = count;
		if (delta < 0) {
			this.#backward -= delta;
			delta = 0;
		}
		this.#pulses += delta;
		this.#windowPulses += delta;
		const sample = this.#sample;
		const elapsed = now - this.#windowStart;
		// Two samples in the same millisecond keep the previous rate; their pulses count in the next window.
		if (elapsed > 0) {
			sample.flow = (this.#windowPulses / this.#pulsesPerLitre) * (60000 / elapsed);
			this.#windowPulses = 0;
			this.#windowStart = now;
		}
		sample.total = this.#pulses / this.#pulsesPerLitre;
		return sample;
	}

	close(): void {
		const counter = this.#counter;
		this.#counter = null;
		counter?.close();
	}

	#read(): number {
		const counter = this.#counter;
		if (counter === null) throw new SensorError("closed", "flow meter: used after close()");
		try {
			return counter.read();
		} catch (cause) {
			throw new SensorError("bus", "flow meter: reading the pulse counter failed", -1, cause);
		}
	}
}
