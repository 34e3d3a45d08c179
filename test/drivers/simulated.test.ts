// Simulated drivers: the C SDK SteamSensor value model (docs/protocol.md §11), deterministic given the
// random source. Expected values follow the C expressions: 18 + 5r, 400 + ⌊40r⌋, 10r.
import { test } from "node:test";
import assert from "node:assert/strict";
import { closeDrivers, createSimulatedDrivers, type DriverSet } from "../../src/drivers/index";
import { seeded } from "../support/seeded";

function scripted(values: number[]): () => number {
	let i = 0;
	return () => {
		if (i >= values.length) throw new Error("random source exhausted");
		return values[i++];
	};
}

function cycle(d: DriverSet) {
	// The C SDK's order within one scan: TotalFlow, Pressure, Location, Temperature.
	const total = d.flow.sample().total;
	const { pressure, temperature } = d.climate.sample();
	const { latitude, longitude, elevation } = d.gps.sample();
	return { total, pressure, temperature, latitude, longitude, elevation };
}

test("values follow the C expressions, one draw each, in the C SDK's order", () => {
	const d = createSimulatedDrivers({ random: scripted([0.25, 0.5, 0.999, 0, 0, 0, 0.1]) });
	const first = cycle(d);
	assert.equal(first.total, 2.5);
	assert.equal(first.pressure, 20.5);
	assert.equal(first.temperature, 439);
	const second = cycle(d);
	assert.deepEqual([second.total, second.pressure, second.temperature], [0, 18, 400]);
	assert.equal(d.flow.sample().flow, 0, "the C model has no flow rate");
});

test("same seed, same sequence; values stay within the documented ranges", () => {
	const a = createSimulatedDrivers({ random: seeded(42) });
	const b = createSimulatedDrivers({ random: seeded(42) });
	const other = createSimulatedDrivers({ random: seeded(43) });
	let differs = false;
	for (let i = 0; i < 500; i++) {
		const x = cycle(a);
		assert.deepEqual(cycle(b), x);
		const y = cycle(other);
		if (y.pressure !== x.pressure) differs = true;
		assert.ok(x.pressure >= 18 && x.pressure < 23, `pressure ${x.pressure}`);
		assert.ok(Number.isInteger(x.temperature) && x.temperature >= 400 && x.temperature <= 439, `temperature ${x.temperature}`);
		assert.ok(x.total >= 0 && x.total < 10, `total ${x.total}`);
	}
	assert.ok(differs, "another seed gives other values");
});

test("the GPS route: 30 steps around 40.06 N 75.68 W at elevation 0, then it starts over", () => {
	const d = createSimulatedDrivers({ random: seeded(1) });
	const route: string[] = [];
	for (let i = 0; i < 30; i++) {
		const p = d.gps.sample();
		assert.ok(Math.abs(p.latitude - 40.06) < 0.01 && Math.abs(p.longitude + 75.68) < 0.01, `${p.latitude}, ${p.longitude}`);
		assert.equal(p.elevation, 0);
		route.push(`${p.latitude},${p.longitude}`);
	}
	assert.equal(new Set(route).size, 30, "30 distinct points");
	for (let i = 0; i < 30; i++) {
		const p = d.gps.sample();
		assert.equal(`${p.latitude},${p.longitude}`, route[i]);
	}
});

test("the simulated valve is the real valve driver on a pin held in memory", () => {
	const d = createSimulatedDrivers({ random: seeded(1) });
	assert.equal(d.valve.sample().open, false);
	d.valve.write(true);
	assert.equal(d.valve.sample().open, true);
	d.valve.close();
	assert.throws(() => d.valve.sample());
});

test("closeDrivers closes every driver even when one fails, then reports the first failure", () => {
	const closed: string[] = [];
	const failing = new Error("valve stuck");
	const set: DriverSet = {
		climate: { sample: () => ({ temperature: 0, pressure: 0 }), close: () => void closed.push("climate") },
		flow: { sample: () => ({ flow: 0, total: 0 }), close: () => void closed.push("flow") },
		valve: { write() {}, sample: () => ({ open: false }), close: () => { closed.push("valve"); throw failing; } },
		gps: { sample: () => ({ latitude: 0, longitude: 0, elevation: 0 }), close: () => void closed.push("gps") },
	};
	assert.throws(() => closeDrivers(set), failing);
	assert.deepEqual(closed, ["climate", "flow", "valve", "gps"]);
});
