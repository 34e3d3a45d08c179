/*
 * A restart during an outage: a client with persistence (the Node HAL's flash file) sets values and fires
 * an event while the platform is down; it is dropped and a new client, on a new HAL over the same file,
 * takes its place; when the emulator comes up every value is in the platform's history with the time it
 * was set with, in order, and the event in the thing's event log.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { EdgeClient } from "../../src/client/index";
import { persistIn } from "../../src/client/journal";
import { Thing } from "../../src/thing/index";
import { deviceHal, emulator, freePort, KEY, waitFor } from "./helpers";

const REGION = 131072;

function counterThing(): Thing {
	return new Thing({
		name: "Counter",
		properties: [{ name: "n", baseType: "NUMBER" }],
		events: [{ name: "Restarted", shape: { name: "RestartedShape", fields: [{ name: "why", baseType: "STRING" }] } }],
	});
}

function device(port: number, directory: string) {
	const d = deviceHal({ flashDirectory: directory });
	const thing = counterThing();
	const client = new EdgeClient(d.hal, {
		host: "127.0.0.1", port, tls: false, appKey: () => KEY, things: [thing], backoffBaseMs: 50, backoffCapMs: 200,
		persistence: persistIn(d.hal.openFlash!("twx", REGION)),
	});
	return { ...d, thing, client };
}

test("restart during an outage: a new client over the same flash file delivers every value with its time, in order, and the event", async () => {
	const directory = mkdtempSync(join(tmpdir(), "twx-flash-"));
	const port = await freePort();
	try {
		const first = device(port, directory);
		first.client.start(); // nobody listens: it keeps trying
		const t0 = 1_700_000_000_000;
		const N = 40;
		for (let i = 0; i < N; i++) first.thing.set("n", i, t0 + i * 1000);
		const fired = first.thing.fireEvent("Restarted", { why: "power" });
		fired.catch(() => {}); // its caller goes with the first client; the event itself is queued
		first.client.persist();
		assert.equal(first.client.queued("Counter"), N);
		await first.client.stop(); // the device goes away; only the file remains

		const second = device(port, directory);
		assert.deepEqual([second.client.queued("Counter"), second.client.requestsQueued, second.client.stats.rowsRestored], [N, 1, N + 1]);
		const emu = await emulator({ port });
		second.client.start();
		await waitFor("every value and the event stored", () => second.client.queued("Counter") === 0 && second.client.requestsQueued === 0);
		const history = emu.store.get("Counter")!.properties.get("n")!.history.toArray();
		const events = emu.store.get("Counter")!.events.toArray();
		await second.client.stop();
		await emu.close();
		assert.deepEqual(history.map((v) => [v.value.value, v.time]), Array.from({ length: N }, (_, i) => [i, t0 + i * 1000]));
		assert.deepEqual(events.map((e) => [e.name, e.data?.rows[0][0].value]), [["Restarted", "power"]]);
		assert.equal(second.client.stats.rowsDropped, 0);
	} finally {
		rmSync(directory, { recursive: true, force: true });
	}
});
