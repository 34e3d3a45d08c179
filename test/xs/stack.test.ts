/*
 * Module loading needs no deep stack: XS gives every top-level binding of a module a stack slot while
 * its body runs, and a device that does not preload the app (the simulator, lin/mac/win) loads it on
 * the SDK's default 384-slot stack (tools/mcconfig.js filterCreation). The shipped bundle
 * (build/dist/steamsensor.js) is loaded next to the XS starter in a metering worker, whose meters say
 * how deep each crank's stack went; the app module's own share is that load minus the same load with a
 * stub app. It must leave room below 384 for the main module and the runtime's frames.
 */
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { XsWorker } from "../../hal/xs/host";
import { meterWorker, meterWorkerProblem } from "../../hal/xs/meter-worker";
import { deviceBundle, xsBundle } from "./bundles";

/** mcconfig's default creation.stack (slots), what the simulator gets unless the manifest says more. */
const SDK_DEFAULT_STACK = 384;
/** Left for what runs below the app module at load: the main module's body and the runtime's frames. */
const HEADROOM = 64;

async function loadStack(binary: string, app: string): Promise<number> {
	const worker = new XsWorker({ name: "stack", binary });
	try {
		const { meters } = await worker.loadBundle({ name: "app", source: await xsBundle("xs-app-start"), modules: { steamsensor: app } });
		assert.notEqual(meters.stack, null, "the metering worker reports the stack");
		return meters.stack!;
	} finally {
		await worker.close();
	}
}

test("the shipped app module loads within the SDK's default stack, with room to spare", async (t) => {
	const binary = meterWorker();
	if (binary === null) return t.skip(`needs the metering xsnap worker: ${meterWorkerProblem()}`);
	const stub = await loadStack(binary, "export function startSteamSensor() {}\nexport function createSimulatedDrivers() {}\n");
	const own = (await loadStack(binary, deviceBundle("steamsensor"))) - stub;
	assert.ok(own > 0, `the app module takes stack (${own})`);
	assert.ok(own <= SDK_DEFAULT_STACK - HEADROOM, `the app module's own stack at load: ${own} slots, over ${SDK_DEFAULT_STACK} - ${HEADROOM}`);
});

test("the stack meter counts a recursion's frames and ignores number formatting's scratch at the stack's far end", async (t) => {
	const binary = meterWorker();
	if (binary === null) return t.skip(`needs the metering xsnap worker: ${meterWorkerProblem()}`);
	const worker = new XsWorker({ name: "stack-meter", binary });
	try {
		const floor = (await worker.evaluate("0")).meters.stack!;
		await worker.evaluate("globalThis.depth = (n) => n === 0 ? 0 : depth(n - 1) + 1");
		const d10 = (await worker.evaluate("depth(10)")).meters.stack! - floor;
		const d110 = (await worker.evaluate("depth(110)")).meters.stack! - floor;
		assert.ok(d110 > d10 + 100 * 2, `100 more frames take more than 2 slots each (${d10} -> ${d110})`);
		const formatting = (await worker.evaluate("String(Math.PI) + (1e21).toString() + (0.1).toFixed(20)")).meters.stack! - floor;
		assert.ok(formatting < 64, `dtoa's scratch is not stack depth (${formatting})`);
	} finally {
		await worker.close();
	}
});
