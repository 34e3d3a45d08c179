/*
 * Things added and removed at run time against the real emulator: the platform binds and synchronizes
 * an added thing while the others keep pushing, stores every value with its time, unbinds a removed
 * thing, and after a cut connection binds exactly the registered set again.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { EdgeClient } from "../../src/client/index";
import { Thing } from "../../src/thing/index";
import { CuttingProxy, deviceHal, emulator, KEY, waitFor } from "./helpers";
import type { Emulator } from "../../emulator/index";

function thing(name: string): Thing {
	return new Thing({ name, properties: [{ name: "Level", baseType: "NUMBER" }] });
}

function history(emu: Emulator, name: string): Array<[number, number]> {
	const record = emu.store.get(name)?.properties.get("Level");
	return (record?.history.toArray() ?? []).map((v) => [(v.value.type === "VARIANT" ? v.value.value.value : v.value.value) as number, v.time]);
}

test("addThing / removeThing on a live connection: bound, synchronized, values stored with their times; unbound on removal; a reconnect binds the registered set", async () => {
	const emu = await emulator({}, []);
	const proxy = new CuttingProxy(() => emu.port);
	const port = await proxy.listen();
	const d = deviceHal();
	const a = thing("DynA");
	const client = new EdgeClient(d.hal, { host: "127.0.0.1", port, tls: false, appKey: () => KEY, things: [a], maxThings: 4, backoffBaseMs: 20, backoffCapMs: 40 });
	const bound: string[] = [];
	client.onBound = (name) => bound.push(name);
	client.start();
	try {
		await waitFor("DynA synchronized", () => client.isSynchronized("DynA"));
		const b = thing("DynB");
		b.set("Level", 1, 1_700_000_000_001); // before registration: queued, pushed once synchronized
		client.addThing(b);
		b.set("Level", 2, 1_700_000_000_002);
		await waitFor("DynB synchronized on the platform", () => emu.store.get("DynB")?.synchronized === true && client.isSynchronized("DynB"));
		assert.equal(emu.store.get("DynB")!.isConnected, true);
		b.set("Level", 3, 1_700_000_000_003);
		a.set("Level", 9, 1_700_000_000_009);
		await waitFor("DynB's three values stored", () => history(emu, "DynB").length === 3);
		assert.deepEqual(history(emu, "DynB"), [[1, 1_700_000_000_001], [2, 1_700_000_000_002], [3, 1_700_000_000_003]]);
		await waitFor("DynA's value stored", () => history(emu, "DynA").length === 1);

		client.removeThing("DynB");
		await waitFor("DynB unbound on the platform", () => emu.store.get("DynB")!.isConnected === false);
		assert.equal(emu.store.get("DynA")!.isConnected, true, "DynA stays bound");

		const c = thing("DynC");
		client.addThing(c);
		await waitFor("DynC synchronized", () => client.isSynchronized("DynC"));
		bound.length = 0;
		proxy.cut();
		c.set("Level", 4, 1_700_000_000_004); // offline: queued, pushed after the reconnect's synchronization
		await waitFor("reconnected and synchronized", () => client.stats.reconnects > 0 && client.isSynchronized("DynA") && client.isSynchronized("DynC"));
		assert.deepEqual(bound.sort(), ["DynA", "DynC"], "exactly the registered set is bound again");
		assert.equal(emu.store.get("DynB")!.isConnected, false);
		await waitFor("DynC's offline value stored", () => history(emu, "DynC").length === 1);
		assert.deepEqual(history(emu, "DynC"), [[4, 1_700_000_000_004]]);
	} finally {
		await client.stop();
		proxy.server.close();
		await emu.close();
	}
});
