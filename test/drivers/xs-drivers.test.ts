// The drivers under real XS (xsnap, XS 13.3): the datasheet example gives the same numbers as on
// Node, and sampling every driver allocates nothing. XS's slot meter counts every object, closure
// and view, live or garbage since the crank's gc(); the difference between two run lengths is what
// the extra rounds allocated.
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { XsWorker } from "../../hal/xs/host";
import { xsBundle } from "../xs/bundles";

test("drivers under XS: datasheet values, and no allocation per sample", async () => {
	const source = await xsBundle("xs-drivers");
	const worker = new XsWorker({ name: "drivers" });
	try {
		await worker.loadBundle({ name: "drivers", source });
		assert.equal((await worker.evaluateJson<string>("bundles.drivers.datasheet()")).value, "25.08 100656 2 2");
		const slots = async (rounds: number) => (await worker.evaluate(`gc(); bundles.drivers.run(${rounds}); undefined`)).meters.currentHeapCount;
		await slots(100); // warm-up
		// Each crank itself leaves a slot or so behind: measured as two equal cranks in a row, then subtracted.
		const a = await slots(10);
		const crank = (await slots(10)) - a;
		const b = await slots(10);
		const perRound = ((await slots(1010)) - b - crank) / 1000;
		assert.ok(crank >= 0 && crank <= 2, `per-crank drift ${crank}`);
		assert.equal(perRound, 0, "slots per round (BMP280, flow meter, valve and the simulated set sampled once each)");
	} finally {
		await worker.close();
	}
});
