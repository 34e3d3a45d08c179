// Flow meter (pulses -> L/min and litres) and the Digital-edge pulse counter. Expected numbers are
// worked out by hand from the definitions: rate = pulses / K / minutes, total = pulses / K.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EdgeCounter, PulseFlowMeter, SensorError, type DigitalInputClass } from "../../src/drivers/index";

/** A PulseCount whose running count the test sets. */
interface CounterState {
	count: number;
	closed: number;
	fail: boolean;
	options?: unknown;
}

function counter(state: CounterState) {
	return class FakePulseCount {
		constructor(options: { signal: number; control?: number }) {
			state.options = options;
		}
		read(): number {
			if (state.fail) throw new Error("pcnt read failed");
			return state.count;
		}
		write(count: number): void {
			state.count = count;
		}
		close(): void {
			state.closed++;
		}
	};
}

test("450 pulses per litre: rate over each sample window, total since start", () => {
	const state: CounterState = { count: 1000, closed: 0, fail: false };
	let now = 5000;
	const meter = new PulseFlowMeter({ sensor: { io: counter(state), signal: 27 }, pulsesPerLitre: 450, ticks: () => now });
	assert.equal((state.options as { signal: number }).signal, 27, "the sensor options reach the counter's constructor");

	state.count += 900; // 2 L in one minute
	now += 60000;
	assert.deepEqual({ ...meter.sample() }, { flow: 2, total: 2 });

	state.count += 225; // 0.5 L in 30 s = 1 L/min
	now += 30000;
	assert.deepEqual({ ...meter.sample() }, { flow: 1, total: 2.5 });

	now += 10000; // no flow
	assert.deepEqual({ ...meter.sample() }, { flow: 0, total: 2.5 });
});

test("two samples in the same millisecond keep the rate; their pulses count in the next window", () => {
	const state = { count: 0, closed: 0, fail: false };
	let now = 0;
	const meter = new PulseFlowMeter({ sensor: { io: counter(state), signal: 4 }, pulsesPerLitre: 100, ticks: () => now });
	state.count = 100;
	now = 60000;
	assert.equal(meter.sample().flow, 1);
	state.count = 150;
	assert.equal(meter.sample().flow, 1, "no time passed: previous rate");
	assert.equal(meter.sample().total, 1.5);
	state.count = 200;
	now = 120000;
	assert.equal(meter.sample().flow, 1, "100 pulses over the 60 s window = 1 L/min");
});

test("a counter stepping backwards adds nothing and is counted, not lost", () => {
	const state = { count: 500, closed: 0, fail: false };
	let now = 0;
	const meter = new PulseFlowMeter({ sensor: { io: counter(state), signal: 4 }, pulsesPerLitre: 10, ticks: () => now });
	state.count = 480;
	now = 1000;
	assert.deepEqual({ ...meter.sample() }, { flow: 0, total: 0 });
	assert.equal(meter.backwardPulses, 20);
	state.count = 490;
	now = 61000;
	assert.deepEqual({ ...meter.sample() }, { flow: 1, total: 1 });
});

test("bad K-factor, counter failures and use after close are typed errors", () => {
	const state = { count: 0, closed: 0, fail: false };
	const io = counter(state);
	assert.throws(() => new PulseFlowMeter({ sensor: { io, signal: 4 }, pulsesPerLitre: 0, ticks: () => 0 }), RangeError);
	assert.throws(() => new PulseFlowMeter({ sensor: { io, signal: 4 }, pulsesPerLitre: Number.NaN, ticks: () => 0 }), RangeError);
	const meter = new PulseFlowMeter({ sensor: { io, signal: 4 }, pulsesPerLitre: 450, ticks: () => 0 });
	state.fail = true;
	assert.throws(() => meter.sample(), (e: unknown) => e instanceof SensorError && e.kind === "bus" && e.cause instanceof Error);
	meter.close();
	meter.close();
	assert.equal(state.closed, 1);
	assert.throws(() => meter.sample(), (e: unknown) => e instanceof SensorError && e.kind === "closed");
});

/** A Digital input whose edges the test fires. */
function digital(pins: { options?: { pin: number; mode: unknown; edge: number }; fire?: () => void; closed: number }): DigitalInputClass {
	return class FakeDigital {
		static readonly Input = "input";
		static readonly InputPullUp = "input-pull-up";
		static readonly InputPullDown = "input-pull-down";
		static readonly Rising = 1;
		constructor(options: { pin: number; mode: unknown; edge: number; onReadable: () => void }) {
			pins.options = { pin: options.pin, mode: options.mode, edge: options.edge };
			pins.fire = options.onReadable;
		}
		close(): void {
			pins.closed++;
		}
	};
}

test("edge counter: one count per delivered rising edge, pull-up by default, PulseCount shape", () => {
	const pins: Parameters<typeof digital>[0] = { closed: 0 };
	const edges = new EdgeCounter({ signal: 27, digital: digital(pins) });
	assert.deepEqual(pins.options, { pin: 27, mode: "input-pull-up", edge: 1 });
	for (let i = 0; i < 7; i++) pins.fire?.();
	assert.equal(edges.read(), 7);
	edges.write(100);
	pins.fire?.();
	assert.equal(edges.read(), 101);
	edges.close();
	edges.close();
	assert.equal(pins.closed, 1);
	assert.throws(() => edges.read(), (e: unknown) => e instanceof SensorError && e.kind === "closed");

	const down: Parameters<typeof digital>[0] = { closed: 0 };
	new EdgeCounter({ signal: 5, digital: digital(down), pull: "down" });
	assert.equal(down.options?.mode, "input-pull-down");
});

test("flow meter over the edge counter: the hardware wiring main.ts uses", () => {
	const pins: Parameters<typeof digital>[0] = { closed: 0 };
	let now = 0;
	const meter = new PulseFlowMeter({ sensor: { io: EdgeCounter, signal: 27, digital: digital(pins) }, pulsesPerLitre: 450, ticks: () => now });
	for (let i = 0; i < 450 * 3; i++) pins.fire?.();
	now = 90000;
	assert.deepEqual({ ...meter.sample() }, { flow: 2, total: 3 });
	meter.close();
	assert.equal(pins.closed, 1);
});
