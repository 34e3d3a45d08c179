/*
 * Chaos in npm test, on a short deterministic budget (npm run test:chaos runs the long campaign):
 * the hostile-server fuzzer, and the edge pushing through the fault-injecting proxy to the emulator
 * with one fault of every kind. What is asserted is behaviour: nothing thrown, always serving, every
 * value stored or counted dropped and never both, recovery after every loss. Times are not asserted.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEADLINE_MS } from "../support/deadline";
import { emulator, KEY } from "../e2e/helpers";
import { emulatorFault, FAULT_KINDS, LOSS_KINDS, runCampaign, storedCounter } from "./campaign";
import { CASE_KINDS, runHostile } from "./hostile";

test("hostile server, 3,000 seeded cases: nothing thrown, every case answered, counted, held or closed, a valid GET answered after every 100", () => {
	const r = runHostile(0x4057, 3000);
	assert.deepEqual(r.thrown, []);
	assert.equal(r.cases, 3000);
	for (const kind of CASE_KINDS) assert.ok(r.perKind[kind] > 0, kind);
	assert.equal(r.checks, 30);
	assert.equal(r.checksAnswered, r.checks);
	assert.ok(r.counted > 0 && r.answered > 0, JSON.stringify(r));
});

test("chaos campaign, one fault of every kind: every value stored or counted dropped, none both, times and order kept, every loss recovered", async (t) => {
	const emu = await emulator({ appKeys: ["chaos-key", KEY], historySize: 100000 });
	try {
		const r = await runCampaign({
			seed: 12,
			values: 400,
			faultsPerKind: 1,
			setEveryMs: 2,
			platform: { port: emu.port, stored: async () => storedCounter(emu), fault: async (kind) => emulatorFault(emu, kind) },
			client: { queueBytes: 512, pingIntervalMs: 200, pongTimeoutMs: 400, backoffBaseMs: 20, backoffCapMs: 200, requestTimeoutMs: 1000 },
			deadlineMs: DEADLINE_MS,
		});
		t.diagnostic(JSON.stringify({ ...r, errors: [...r.errors] }));
		for (const kind of FAULT_KINDS) assert.equal(r.injected[kind], 1, kind);
		for (const kind of LOSS_KINDS) assert.equal(r.unrecovered[kind], 0, kind + " recovered");
		assert.equal(r.unexpected, 0);
		assert.equal(r.wrongTime, 0);
		assert.equal(r.outOfOrder, 0);
		assert.equal(r.lost, 0, "every value set is stored or counted dropped");
		assert.equal(r.storedAndDropped, 0, "no value counted dropped was stored");
		assert.equal(r.stored + r.dropped, r.set);
		assert.ok(r.reconnects >= LOSS_KINDS.length - 1, `a reconnect per loss but the unbind (${r.reconnects})`);
	} finally {
		await emu.close();
	}
});
