/*
 * Exact accounting against the real emulator (issue 12 point 3): connections cut while a push is in
 * flight (the emulator may or may not have stored it), each followed by more values than the small
 * queue holds; then every value set is in the emulator's history or counted dropped by the client,
 * never both (set = stored ∪ dropped, stored ∖ set = ∅), each value unique.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { EdgeClient } from "../../src/client/index";
import { Thing } from "../../src/thing/index";
import { CuttingProxy, deviceHal, emulator, KEY, waitFor } from "./helpers";

test("cuts with a push in flight and a queue overflowing meanwhile: set = stored ∪ dropped, disjoint", async () => {
	const emu = await emulator();
	const proxy = new CuttingProxy(() => emu.port);
	await proxy.listen();
	const d = deviceHal();
	const thing = new Thing({ name: "Counter", properties: [{ name: "n", baseType: "NUMBER" }] });
	const client = new EdgeClient(d.hal, {
		host: "127.0.0.1", port: proxy.port, tls: false, appKey: () => KEY, things: [thing], queueBytes: 512, backoffBaseMs: 20, backoffCapMs: 100,
	});
	client.onError = () => {};
	let set = 0;
	let cuts = 0;
	let syncs = 0;
	client.onSynchronized = () => syncs++;
	client.onPush = () => {
		if (syncs <= cuts || cuts >= 5) return;
		cuts += proxy.cut() > 0 ? 1 : 0; // the push just left: it may or may not reach the emulator
		for (let k = 0; k < 40; k++) thing.set("n", set++); // more than the queue holds, while that push is in doubt
	};
	client.start();
	await waitFor("synchronized", () => syncs === 1);
	const writer = setInterval(() => thing.set("n", set++), 1);
	await waitFor("five cuts, each followed by a synchronization", () => cuts >= 5 && syncs > 5);
	const history = () => emu.store.get("Counter")!.properties.get("n")!.history.toArray();
	await waitFor("values stored after the cuts", () => history().length >= 200);
	clearInterval(writer);
	await waitFor("queue drained", () => client.isSynchronized("Counter") && client.queued("Counter") === 0);
	const all = history();
	const stored = new Set(all.map((v) => (v.value.type === "VARIANT" ? v.value.value.value : v.value.value) as number));
	const dropped = client.dropped("Counter");
	await client.stop();
	await proxy.close();
	await emu.close();
	console.log(`set ${set}, stored ${stored.size} (${all.length - stored.size} twice), dropped ${dropped}, cuts ${cuts}`);
	assert.ok([...stored].every((v) => Number.isInteger(v) && v >= 0 && v < set), "stored ∖ set = ∅");
	assert.ok(dropped > 0, "the queue overflowed");
	assert.equal(stored.size + dropped, set, "every value stored or counted dropped, none both");
});
