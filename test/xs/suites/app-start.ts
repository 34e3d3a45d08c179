/*
 * XS side of test/xs/app.test.ts and build/bench-xs.ts: starts the SteamSensor app from the module
 * "steamsensor" (build/dist/steamsensor.js, unchanged) on hal/xs, as a Moddable main would: the
 * simulated drivers from the bundle's exports, the app key read from the HAL store at each AUTH.
 * The client's callbacks report the sequence as log lines (once per connection, never per push);
 * per-push figures are counted in numbers only, so the steady state stays free of harness allocations.
 */
import { createSimulatedDrivers, startSteamSensor } from "steamsensor";
import type { ClientCallbacks } from "../../../src/apps/steamsensor/app";
import { createXsHal, type XsHal } from "../../../hal/xs/device";
import { seeded } from "../../support/seeded";

/** The store key the app key is provisioned under (a Preference on a device). */
export const APP_KEY = "appKey";

export interface StartOptions {
	host: string;
	port: number;
	/** The drivers' random source seed (mulberry32), so runs are reproducible. */
	seed: number;
	/** Client settings on top of the app's defaults (e.g. pingIntervalMs, smaller buffers). */
	client?: { pingIntervalMs?: number; requestTimeoutMs?: number; chunkSize?: number; queueBytes?: number; requestQueueBytes?: number; requestQueueLength?: number; maxPending?: number };
}

let hal: XsHal | null = null;
let app: ReturnType<typeof startSteamSensor> | null = null;
const counts = { pushes: 0, rows: 0, errors: 0 };

/** Creates the HAL (its HELLO brings the store and the clock); separate from start() so a bench can weigh it alone. */
export function createHal(): void {
	hal ??= createXsHal({ logLevel: "info" }); // manifest.json's logLevel: measured as shipped
}

function log(message: string): void {
	hal!.log("info", "app: " + message);
}

/**
 * The client's callbacks: module data, as a device main's would be (made once when the module loads,
 * in flash when preloaded), so the heap measured after start() is the app's alone.
 */
const CALLBACKS: ClientCallbacks = Object.freeze({
	onStateChange: (state: string) => log("state " + state),
	onAuthenticated: (type: string) => log("authenticated " + type),
	onBound: (name: string) => log("bound " + name),
	onUnbound: (name: string) => log("unbound " + name),
	onSynchronized: (name: string) => log("synchronized " + name),
	onPush: (_name: string, rows: number) => {
		counts.pushes++;
		counts.rows += rows;
	},
	onError: (error: Error) => {
		counts.errors++;
		log("error " + error.message);
	},
});

export function start(options: StartOptions): void {
	createHal();
	const h = hal!;
	app = startSteamSensor({
		hal: h,
		drivers: createSimulatedDrivers({ random: seeded(options.seed) }),
		config: {
			host: options.host,
			port: options.port,
			tls: false,
			appKey: () => h.store.get(APP_KEY) ?? "",
			...options.client,
		},
		callbacks: CALLBACKS,
	});
}

/** UNBIND and close; logs "app: stopped" once the connection is gone. */
export function stop(): void {
	app!.stop().then(() => hal!.log("info", "app: stopped"), (error: Error) => hal!.log("error", "app: stop failed " + error.message));
}

/** The client's counters, the pushes seen by onPush and the HAL's timer callbacks so far, as JSON text (read by the host between runs). */
export function stats(): string {
	const c = app!.client;
	return JSON.stringify({ ...c.stats, state: c.state, onPush: counts, timersFired: (hal!.timers as unknown as { fired: number }).fired });
}

/** Current value of a property of the app's thing. */
export function property(name: string): unknown {
	return app!.thing.get(name);
}

