// Inlet valve on a Digital output: the levels written to the pin are what a solenoid driver sees.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DigitalValve, SensorError } from "../../src/drivers/index";
import { DigitalRecorder } from "./fakes";

test("starts closed, opens and closes on command, reports the commanded state", () => {
	const pin = new DigitalRecorder();
	const valve = new DigitalValve({ sensor: { io: pin.io, pin: 26 } });
	assert.deepEqual(pin.options, { pin: 26, mode: "output-mode", initialValue: 0 });
	assert.deepEqual(pin.writes, [0]);
	assert.equal(valve.sample().open, false);
	valve.write(true);
	assert.equal(valve.sample().open, true);
	valve.write(false);
	valve.write(true);
	assert.deepEqual(pin.writes, [0, 1, 0, 1]);
	assert.equal(valve.sample(), valve.sample(), "one sample object");
});

test("active-low: open drives the pin low", () => {
	const pin = new DigitalRecorder();
	const valve = new DigitalValve({ sensor: { io: pin.io, pin: 4 }, activeLow: true });
	assert.equal(pin.options?.initialValue, 1);
	valve.write(true);
	valve.write(false);
	assert.deepEqual(pin.writes, [1, 0, 1]);
});

test("close drives the valve closed before releasing the pin; later use is a typed error", () => {
	const pin = new DigitalRecorder();
	const valve = new DigitalValve({ sensor: { io: pin.io, pin: 26 } });
	valve.write(true);
	valve.close();
	valve.close();
	assert.deepEqual(pin.writes, [0, 1, 0]);
	assert.equal(pin.closed, 1);
	assert.throws(() => valve.write(true), (e: unknown) => e instanceof SensorError && e.kind === "closed");
	assert.throws(() => valve.sample(), (e: unknown) => e instanceof SensorError && e.kind === "closed");
});

test("a failing pin write is a bus error and the reported state does not change", () => {
	const pin = new DigitalRecorder();
	const valve = new DigitalValve({ sensor: { io: pin.io, pin: 26 } });
	pin.failWrites = true;
	assert.throws(() => valve.write(true), (e: unknown) => e instanceof SensorError && e.kind === "bus" && /open/.test(e.message));
	assert.equal(valve.sample().open, false);
	assert.throws(() => valve.close(), (e: unknown) => e instanceof SensorError && e.kind === "bus" && /may be left open/.test(e.message));
	assert.equal(pin.closed, 1, "the pin is released anyway");
});
