/*
 * Cost per unit of work under XS: run a loop for N, 2N and again N units, each in a crank that starts
 * with gc(), and take the differences of the end-of-crank meters. What the runs share (the crank, the
 * script, warm-up) cancels out, and so does the slot and 24 bytes that every evaluated script leaves
 * behind in the worker (measured: an `e` crank of "gc()" grows the heap by exactly that; `?` cranks
 * do not): with heap(run) = base + leak x cranks + units x cost and the runs equally far apart,
 * cost = ((B - A) - (C - B)) / 2N.
 * - compute: XS compute units per unit.
 * - allocate: xsnap's `allocate` meter (heap obtained from the OS): it moves only when a heap grows,
 *   so it is 0 for garbage too; kept because the budget is stated in it.
 * - slots / chunks: what was allocated, live or garbage (slots counted by currentHeapCount, chunk bytes
 *   by the metering worker); bytes = slots x 32 + chunks. Exact as long as no collection ran inside
 *   the loop, which a FinalizationRegistry probe reports (gcDuringRun).
 */
import { XS_SLOT_SIZE, type XsMeters, type XsWorker } from "../../hal/xs/host";

export interface UnitCost {
	units: number;
	compute: number;
	/** Wall-clock ns per unit under XS on this host (not an MCU figure; never asserted). */
	ns: number;
	allocate: number;
	slots: number;
	chunks: number | null;
	bytes: number | null;
	/** A collection ran inside a measured loop: slots/chunks are then lower bounds. */
	gcDuringRun: boolean;
}

/**
 * `loop` is an expression that does `N` units of work in one crank (N is a global set here), e.g.
 * "bundles.bench.encodePushes(N)". The same script text runs for every length.
 */
export function costPerUnit(worker: XsWorker, loop: string, n: number): Promise<UnitCost> {
	return costPerRun(worker, (start) => worker.evaluate(`${start} ${loop};`), n);
}

/**
 * `run(start, token)` does `N` units of work, which may span many cranks (socket traffic), and
 * resolves when they are done; its first crank must be an `evaluate` of a script that begins with
 * `start` (gc() and the collection probe). `token` tells the runs apart.
 */
export async function costPerRun(worker: XsWorker, run: (start: string, token: number) => Promise<unknown>, n: number): Promise<UnitCost> {
	// The probe's held value names the run that registered it; its callback runs at the end of the
	// crank in which it was collected. Every run (warm-up included) registers one, so every measured
	// run also collects its predecessor's in gc(): that fixed cost cancels out.
	await worker.evaluate("globalThis.probe ??= new FinalizationRegistry((held) => { if (held === globalThis.token) globalThis.gcInside = true; });");
	const once = async (units: number, token: number) => {
		await worker.evaluate(`globalThis.N = ${units}; globalThis.token = ${token};`);
		const compute = worker.computeTotal;
		const started = process.hrtime.bigint();
		await run("gc(); globalThis.gcInside = false; probe.register({}, token);", token);
		const ns = Number(process.hrtime.bigint() - started);
		const spent = worker.computeTotal - compute;
		// This crank's own allocations are the same in every run; they cancel out.
		const { value: gcInside, meters } = await worker.evaluateJson<boolean>("globalThis.gcInside");
		return { meters, compute: spent, gcInside, ns };
	};
	await once(n, 1); // warm-up: lazily built caches, first-use property keys
	const a = await once(n, 2);
	const b = await once(2 * n, 3);
	const c = await once(n, 4);
	return {
		...difference(a.meters, b.meters, c.meters, n, a.gcInside || b.gcInside || c.gcInside),
		compute: (b.compute - a.compute) / n,
		ns: (b.ns - a.ns) / n,
	};
}

/** Per-unit cost from the meters after runs of `units`, 2 x `units` and `units`, equally spaced in cranks. */
export function difference(a: XsMeters, b: XsMeters, c: XsMeters, units: number, gcDuringRun: boolean): Omit<UnitCost, "ns" | "compute"> {
	const growth = (x: number, y: number, z: number) => (y - x - (z - y)) / (2 * units);
	const slots = growth(a.currentHeapCount, b.currentHeapCount, c.currentHeapCount);
	const chunks = a.chunks === null || b.chunks === null || c.chunks === null ? null : growth(a.chunks, b.chunks, c.chunks);
	return {
		units,
		allocate: growth(a.allocate, b.allocate, c.allocate),
		slots,
		chunks,
		bytes: chunks === null ? null : slots * XS_SLOT_SIZE + chunks,
		gcDuringRun,
	};
}

export function describeCost(c: UnitCost): string {
	const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
	return `compute ${f(c.compute)}/unit, allocate ${f(c.allocate)} B/unit, slots ${f(c.slots)}/unit` +
		(c.chunks === null ? ", chunks n/a (stock worker)" : `, chunks ${f(c.chunks)} B/unit = ${f(c.bytes!)} B/unit`) +
		(c.gcDuringRun ? " (a GC ran inside the loop: lower bounds)" : "");
}
