// Runs inside XS (bundled by test/xs/bundles.ts for test/drivers/xs-drivers.test.ts): the drivers against the same register
// fake as the Node tests, plus `run(n)` for the slot meter: n samples of every driver.
import { Bmp280, DigitalValve, PulseFlowMeter, createSimulatedDrivers } from "../../../src/drivers/index";
import { Bmp280Device } from "../../drivers/fakes";

let ticks = 0;
let pulses = 0;
let seed = 1;

class Counter {
	read(): number {
		return pulses;
	}
	write(count: number): void {
		pulses = count;
	}
	close(): void {}
}

class Pin {
	static readonly Output = 1;
	level = 0;
	write(value: 0 | 1): void {
		this.level = value;
	}
	read(): 0 | 1 {
		return this.level as 0 | 1;
	}
	close(): void {}
}

const device = new Bmp280Device();
device.conversion = [519888, 415148];
const climate = new Bmp280({ sensor: { io: device.io } });
device.recording = false;
const flow = new PulseFlowMeter({ sensor: { io: Counter, signal: 27 }, pulsesPerLitre: 450, ticks: () => ticks });
const valve = new DigitalValve({ sensor: { io: Pin, pin: 26 } });
// A multiply-with-carry style generator without allocation.
const simulated = createSimulatedDrivers({ random: () => ((seed = Math.imul(seed, 48271) % 0x7fffffff) & 0x7fffffff) / 0x80000000 });

/** The datasheet example and a flow reading, as text for the host to check. */
export function datasheet(): string {
	const c = climate.sample();
	pulses += 900;
	ticks += 60000;
	const f = flow.sample();
	return `${c.temperature} ${c.pressure} ${f.flow} ${f.total}`;
}

export function run(rounds: number): number {
	let sum = 0;
	for (let i = 0; i < rounds; i++) {
		sum += climate.sample().pressure;
		pulses += 3;
		ticks += 1000;
		sum += flow.sample().total;
		valve.write((i & 1) === 1);
		if (valve.sample().open) sum++;
		sum += simulated.climate.sample().temperature + simulated.flow.sample().total + simulated.gps.sample().latitude;
		simulated.valve.write(true);
	}
	return sum;
}
