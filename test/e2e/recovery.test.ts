/*
 * Loss detection against the real emulator (issue 12 point 2): the emulator plays a wedged platform
 * (Emulator.wedge: answers pings, never requests; a WebSocket message or an AlwaysOn multipart set
 * left open), the client notices, counts it, reports it through onRecovery, connects again, and every
 * value set meanwhile is stored once the new connection is synchronized.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { EdgeClient, type EdgeClientConfig } from "../../src/client/index";
import { Reassembler } from "../../src/protocol/multipart";
import { Thing } from "../../src/thing/index";
import type { Emulator, WedgeMode } from "../../emulator/index";
import { deviceHal, emulator, KEY, rest, waitFor } from "./helpers";

function device(port: number, config: Partial<EdgeClientConfig>) {
	const d = deviceHal();
	const thing = new Thing({ name: "Counter", properties: [{ name: "n", baseType: "NUMBER" }] });
	const client = new EdgeClient(d.hal, {
		host: "127.0.0.1", port, tls: false, appKey: () => KEY, things: [thing], backoffBaseMs: 50, backoffCapMs: 400, pushRetryMs: 20, queueBytes: 65536, ...config,
	});
	const recoveries: string[] = [];
	client.onRecovery = (kind, name) => recoveries.push(kind + ":" + name);
	return { ...d, thing, client, recoveries };
}

function storedValues(emu: Emulator): Set<number> {
	const p = emu.store.get("Counter")?.properties.get("n");
	return new Set(p ? p.history.toArray().map((v) => (v.value.type === "VARIANT" ? v.value.value.value : v.value.value) as number) : []);
}

/**
 * An emulator and a device connected to it, synchronized, its first value (0) stored; `syncs` counts
 * synchronizations. Every back-off delay is half its ceiling (no jitter to allow for).
 */
async function serving(config: Partial<EdgeClientConfig>) {
	const emu = await emulator();
	const d = { ...device(emu.port, config), syncs: 0 };
	d.hal.randomBytes = (into, offset, length) => into.fill(0x80, offset, offset + length);
	d.client.onSynchronized = () => d.syncs++;
	d.client.start();
	await waitFor("synchronized", () => d.syncs === 1);
	d.thing.set("n", 0);
	await waitFor("the first value stored", () => storedValues(emu).has(0));
	return { emu, d };
}

/** Wedges the connection Counter is bound on, sets values during the wedge; the client must detect the loss and store them all. */
async function wedged(mode: WedgeMode, config: Partial<EdgeClientConfig>, kind: string, counter: "lostUnanswered" | "lostStaleMessage") {
	const { emu, d } = await serving(config);
	const wedgedId = emu.wedge({ thing: "Counter" }, mode);
	for (let v = 1; v <= 20; v++) d.thing.set("n", v);
	await waitFor("recovered", () => d.client.stats[counter] >= 1 && d.syncs >= 2);
	await waitFor("every value stored", () => storedValues(emu).size === 21);
	const connections = emu.platform.connectionOf("Counter")!.id;
	const counters = emu.counters();
	await d.client.stop();
	await emu.close();
	assert.notEqual(connections, wedgedId, "bound on a new connection");
	assert.ok(d.recoveries.includes(kind + ":null"), d.recoveries.join(", "));
	assert.equal(d.client.dropped("Counter"), 0);
	assert.ok(counters.wedgedDrops > 0, "the wedged connection ignored the client");
	return counters;
}

test("a platform that answers pings but no request (wedge silent): maxConsecutiveTimeouts unanswered pushes, a new connection, no value lost", async () => {
	await wedged("silent", { requestTimeoutMs: 200, maxConsecutiveTimeouts: 2 }, "unanswered", "lostUnanswered");
});

test("a WebSocket message begun and never finished (wedge fragment): failed at messageTimeoutMs, a new connection, no value lost", async () => {
	await wedged("fragment", { pingIntervalMs: 100, messageTimeoutMs: 300 }, "stale-message", "lostStaleMessage");
});

test("an AlwaysOn multipart set begun and never finished, nothing else sent (wedge chunk): a new connection, no value lost", async () => {
	await wedged("chunk", { messageTimeoutMs: 300, reassembly: Reassembler }, "stale-message", "lostStaleMessage");
});

test("REST: POST /Emulator/Wedge and /Emulator/Unbind name the connection; bad input is a 4xx", async () => {
	const emu = await emulator();
	const d = device(emu.port, {});
	let synced = false;
	d.client.onSynchronized = () => (synced = true);
	d.client.start();
	await waitFor("synchronized", () => synced);
	const id = emu.platform.connectionOf("Counter")!.id;
	const post = (path: string, body: unknown) => fetch(emu.url.replace("ws:", "http:").replace("/Thingworx/WS", path), {
		method: "POST", headers: { appKey: KEY, "content-type": "application/json" }, body: JSON.stringify(body),
	}).then(async (res) => ({ status: res.status, text: await res.text() }));
	assert.deepEqual(await post("/Emulator/Wedge", { connection: id, mode: "nope" }), { status: 400, text: "wedge mode must be one of none, silent, fragment, chunk, not nope" });
	assert.equal((await post("/Emulator/Wedge", { thing: "Counter", connection: id, mode: "silent" })).status, 400);
	assert.equal((await post("/Emulator/Wedge", { connection: 999, mode: "silent" })).status, 404);
	assert.deepEqual(await post("/Emulator/Wedge", { thing: "Counter", mode: "silent" }), { status: 200, text: JSON.stringify({ connection: id }) });
	assert.deepEqual(await post("/Emulator/Wedge", { thing: "Counter", mode: "none" }), { status: 200, text: JSON.stringify({ connection: id }) });
	assert.deepEqual(await post("/Emulator/Unbind", { thing: "Counter" }), { status: 200, text: JSON.stringify({ connection: id }) });
	assert.equal((await post("/Emulator/Unbind", { thing: "Counter" })).status, 503, "no longer bound");
	assert.equal((await rest(emu, "GET", "/Things/Counter")).json.isConnected, false);
	assert.equal(emu.counters().adminUnbinds, 1);
	await d.client.stop();
	await emu.close();
});

test("an administrative unbind (its pushes answered FORBIDDEN): the thing is bound again and re-synchronized on the same connection, no value lost", async () => {
	const { emu, d } = await serving({});
	const id = emu.unbind("Counter");
	for (let v = 1; v <= 20; v++) d.thing.set("n", v);
	await waitFor("bound again and synchronized", () => d.client.stats.bindingsLost >= 1 && d.syncs >= 2);
	await waitFor("every value stored", () => storedValues(emu).size === 21);
	const now = emu.platform.connectionOf("Counter")?.id;
	const counters = emu.counters();
	await d.client.stop();
	await emu.close();
	assert.equal(now, id, "the same connection");
	assert.equal(d.client.stats.reconnects, 0);
	assert.deepEqual(d.recoveries, ["binding-lost:Counter"]);
	assert.equal(counters.adminUnbinds, 1);
	assert.equal(d.client.dropped("Counter"), 0);
});

test("a thing wedged on every connection (wedge every): the client reconnects ever more slowly, never in a loop; once the wedge ends its values arrive", async () => {
	const { emu, d } = await serving({ requestTimeoutMs: 100, maxConsecutiveTimeouts: 1, backoffBaseMs: 50, backoffCapMs: 400 });
	emu.wedge({ thing: "Counter", every: true }, "silent");
	for (let v = 1; v <= 10; v++) d.thing.set("n", v);
	await waitFor("six losses", () => d.client.stats.lostUnanswered >= 6);
	emu.wedge({ thing: "Counter", every: true }, "none");
	await waitFor("every value stored", () => storedValues(emu).size === 11);
	await d.client.stop();
	await emu.close();
	const delays = d.logs.map(([, m]) => /reconnecting in (\d+) ms/.exec(m)).filter((m) => m !== null).map((m) => Number(m![1]));
	const ceiling = (k: number) => Math.floor((0x80808080 / 2 ** 32) * Math.min(400, 50 * 2 ** k));
	// a loss before the wedge (a 100 ms timeout on a busy machine) is a detected loss too: the doubling only starts earlier
	assert.deepEqual(delays.slice(0, 6), [0, 1, 2, 3, 4, 5].map(ceiling), "each detected loss doubles the delay up to backoffCapMs");
	assert.equal(d.client.dropped("Counter"), 0);
});
