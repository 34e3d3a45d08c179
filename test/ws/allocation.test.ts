// Steady state under real XS (xsnap): sending, receiving (whole, fragmented, with control frames
// inside) and the ping/pong round allocate nothing per frame. XS's slot meter counts every object,
// closure and view, live or garbage since the crank's gc(); the difference between two run lengths
// is what the extra rounds allocated.
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { xsBundle } from "../xs/bundles";

test("no allocation per frame under XS", async (t) => {
	let host: typeof import("../../hal/xs/host");
	try {
		host = await import("../../hal/xs/host");
	} catch (error) {
		t.skip(`hal/xs/host is not available (npm ci builds the XS engine; it needs a C compiler, cc): ${(error as Error).message}`);
		return;
	}
	const source = await xsBundle("xs-ws-steady-state");
	const worker = new host.XsWorker({ name: "ws-steady-state" });
	try {
		await worker.loadBundle({ name: "steady", source });
		const slots = async (rounds: number) => (await worker.evaluate(`gc(); bundles.steady.run(${rounds}); undefined`)).meters.currentHeapCount;
		/** Slots the extra 1000 rounds took (the meter wobbles by a slot or two between cranks). */
		const extra = async () => {
			await slots(100); // warm-up: lazily built caches, the first message views
			return (await slots(1010)) - (await slots(10));
		};
		const steady = await extra();
		assert.ok(Math.abs(steady) <= 2, `${steady} slots for 1000 rounds of 7 frames sent or received, messages of one length`);
		const before = (await worker.evaluateJson<number>("bundles.steady.run(0)")).value;
		assert.equal((await worker.evaluateJson<number>("bundles.steady.run(3)")).value - before, 3 * (472 + 472), "every message delivered");
		// A message of a new length gets a new view (the contract hands over a Uint8Array of the message).
		await worker.evaluate("bundles.steady.setTextLength(400)");
		t.diagnostic(`slots per round with two message lengths alternating: ${(await extra()) / 1000}`);
	} finally {
		await worker.close();
	}
});
