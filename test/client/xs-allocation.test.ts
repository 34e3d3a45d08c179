/*
 * The client on the real XS engine (xsnap): what a platform GET, a platform PUT and a push cost in
 * allocations, measured with XS's meters (test/xs/measure.ts: runs of N, 2N, N after gc(), chunk bytes
 * from the metering worker). The budget: 0 bytes per push, and a request's decode allocates nothing
 * but the value handed to the application (a number here: nothing). As shipped: the HAL logs at the
 * manifest's level (info), and a line it lets through is built. The bundle is unminified, as the
 * sources are: a minifier may turn the module constants the hot paths compare with back into literals,
 * which XS allocates each time it evaluates them outside a preloaded module.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { XsWorker } from "../../hal/xs/host";
import { meterWorker } from "../../hal/xs/meter-worker";
import { platformFrame } from "../thing/capture";
import { xsBundle } from "../xs/bundles";
import { costPerUnit, describeCost } from "../xs/measure";

let worker: XsWorker;

before(async () => {
	worker = new XsWorker({ name: "client-allocation", binary: meterWorker() ?? undefined });
	await worker.loadBundle({ name: "client", source: await xsBundle("xs-client-requests") });
	const frames = [platformFrame("GET property Temperature"), platformFrame("PUT property TemperatureLimit"), platformFrame("POST NotifyPropertyUpdate")];
	const { value } = await worker.evaluateJson<string>(`bundles.client.setup(${frames.map((f) => JSON.stringify(f)).join(", ")})`);
	assert.equal(value, "connected synchronized");
});

after(async () => {
	await worker?.close();
});

for (const [what, loop, n] of [["a platform GET (read in place, answered from the property)", "gets", 200], ["a platform PUT of a NUMBER (decoded in place, set, answered)", "puts", 200], ["a push of 5 values, answered", "pushes", 100]] as const) {
	test(`XS: ${what} allocates nothing`, async (t) => {
		const cost = await costPerUnit(worker, `bundles.client.${loop}(N)`, n);
		t.diagnostic(describeCost(cost));
		assert.equal(cost.gcDuringRun, false, "no collection inside the runs: the counts are exact");
		assert.equal(cost.slots, 0, "slots per unit");
		if (cost.chunks !== null) assert.equal(cost.chunks, 0, "chunk bytes per unit");
	});
}
