// The whole gateway (EdgeGateway from an EMS-shaped config) against the emulator, driven by clients
// nobody here wrote: Node's fetch and curl (when installed). An application registers a thing with a
// callback URL (a Node http server here), the platform binds and synchronizes it, PUT values land in the
// platform's history with their times, the platform's writes and service calls reach the callback,
// RemoveEdgeThing unbinds it; a gateway restarted on the same store binds its persisted things again.
import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createNodeHal } from "../../hal/node/index";
import { gatewayConfig } from "../../src/gateway/config";
import { EdgeGateway } from "../../src/gateway/edge-gateway";
import { permessageDeflate } from "../../src/ws/deflate";
import type { Emulator } from "../../emulator/index";
import { CuttingProxy, emulator, KEY, rest, waitFor } from "../e2e/helpers";
import { callbackApp } from "../support/callback-app";
import { CURL, curlPutJson } from "../support/curl";

function startGateway(emu: Emulator, storePath: string, platformPort = emu.port) {
	const hal = createNodeHal({ logLevel: "error", storePath, lingerMs: 50 });
	const config = gatewayConfig({
		ws_servers: [{ host: "127.0.0.1", port: platformPort }],
		ws_connection: { encryption: "none" },
		http_server: { port: 0 },
		things: { max_things: 4 },
		logger: { level: "error" },
	});
	return new EdgeGateway(hal, config, () => KEY, permessageDeflate);
}

async function call(url: string, method: string, body?: unknown) {
	const r = await fetch(url, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
	const text = await r.text();
	return { status: r.status, text, json: r.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(text) : null };
}

describe("the gateway end to end", () => {
	let emu: Emulator;
	const lines: string[] = [];
	let dir: string;
	const app = callbackApp();
	let appUrl = "";
	before(async () => {
		emu = await emulator({}, lines);
		dir = mkdtempSync(join(tmpdir(), "gw-"));
		appUrl = await app.listen();
	});
	after(async () => {
		app.close();
		await emu.close();
		rmSync(dir, { recursive: true, force: true });
	});

	test("register -> bound and synchronized -> PUT values stored with their times -> platform write and service reach the callback -> remove -> unbound", async () => {
		const gw = startGateway(emu, join(dir, "a.json"));
		const port = await gw.start();
		const base = `http://127.0.0.1:${port}/Thingworx/Things/`;
		try {
			await waitFor("connected", () => gw.client.connected);
			assert.ok(lines.some((l) => /WebSocket open \(permessage-deflate\)/.test(l)), "compression on by default, as the EMS has it");
			assert.equal((await call(base + "LocalEms/Services/AddEdgeThing", "POST", { name: "Press1", callback: appUrl })).status, 200);
			await waitFor("Press1 bound on the platform", () => emu.store.get("Press1")?.isConnected === true);
			const before = Date.now();
			assert.equal((await call(base + "Press1/Properties/Pressure", "PUT", { Pressure: 4.5 })).status, 200);
			if (CURL !== null) {
				assert.equal(await curlPutJson(base + "Press1/Properties/Pressure", '{"Pressure": 4.75}'), "200");
			} else assert.equal((await call(base + "Press1/Properties/Pressure", "PUT", { Pressure: 4.75 })).status, 200);
			assert.equal((await call(base + "Press1/Properties/Locked", "PUT", { Locked: false })).status, 200);
			await waitFor("synchronized", () => emu.store.get("Press1")!.synchronized && gw.client.isSynchronized("Press1"));
			const listed = await call(base + "LocalEms/Services/GetEdgeThings", "POST");
			assert.deepEqual(listed.json.rows, [{ name: "Press1", persist: false, isBound: true, isSynchronized: true, callback: appUrl }]);
			const history = () => emu.store.get("Press1")!.properties.get("Pressure")?.history.toArray() ?? [];
			await waitFor("both values stored", () => history().length === 2);
			assert.deepEqual(history().map((v) => v.value.value), [4.5, 4.75]);
			for (const v of history()) assert.ok(v.time >= before && v.time <= Date.now(), "stored with the time of its PUT");

			// the platform's write and service call go to the application's callback
			const write = await rest(emu, "PUT", "/Things/Press1/Properties/Pressure", { Pressure: 6 });
			assert.equal(write.status, 200, write.text);
			assert.deepEqual(app.calls.at(-1), { method: "PUT", url: "/app/Properties/Pressure", body: { Pressure: 6 } });
			assert.deepEqual((await call(base + "Press1/Properties/Pressure", "GET")).json.rows, [{ Pressure: 6 }], "the value the application took is kept");
			const refused = await rest(emu, "PUT", "/Things/Press1/Properties/Locked", { Locked: true });
			assert.equal(refused.status, 403, "the application's refusal keeps its meaning");
			const sum = await rest(emu, "POST", "/Things/Press1/Services/Add", { a: 2, b: 3 });
			assert.equal(sum.status, 200, sum.text);
			assert.deepEqual(sum.json.rows, [{ result: 5 }]);
			assert.deepEqual(app.calls.at(-1), { method: "POST", url: "/app/Services/Add", body: { a: 2, b: 3 } });
			// the platform reads a registered thing's value from the gateway
			const read = await emu.platform.requestEdge("Press1", 0x01, 1, "Pressure", null);
			assert.equal(read.code, 0x40);

			assert.equal((await call(base + "LocalEms/Services/RemoveEdgeThing", "POST", { name: "Press1" })).status, 200);
			await waitFor("Press1 unbound", () => emu.store.get("Press1")!.isConnected === false);
			const gone = await rest(emu, "GET", "/Things/Press1/Properties/isConnected");
			assert.deepEqual(gone.json.rows, [{ isConnected: false }]);
		} finally {
			await gw.stop();
		}
	});

	test("a thing registered without a callback: platform writes kept on the gateway, service calls refused 501", async () => {
		const gw = startGateway(emu, join(dir, "b.json"));
		const port = await gw.start();
		const base = `http://127.0.0.1:${port}/Thingworx/Things/`;
		try {
			await call(base + "LocalEms/Services/AddEdgeThing", "POST", { name: "Plain1" });
			await call(base + "Plain1/Properties/Speed", "PUT", { Speed: 10 });
			await waitFor("stored", () => (emu.store.get("Plain1")?.properties.get("Speed")?.history.toArray().length ?? 0) === 1);
			assert.equal((await rest(emu, "PUT", "/Things/Plain1/Properties/Speed", { Speed: 11 })).status, 200);
			assert.deepEqual((await call(base + "Plain1/Properties/Speed", "GET")).json.rows, [{ Speed: 11 }]);
			const service = await rest(emu, "POST", "/Things/Plain1/Services/Start", {});
			assert.equal(service.status, 501);
			assert.match(service.text, /registered without a callback/);
			await call(base + "LocalEms/Services/AddEdgeThing", "POST", { name: "Lost1", callback: "http://127.0.0.1:1/nobody" });
			await waitFor("Lost1 bound", () => gw.client.isBound("Lost1"));
			const unreachable = await rest(emu, "POST", "/Things/Lost1/Services/Start", {});
			assert.equal(unreachable.status, 502, "an unreachable callback is a bad gateway");
			assert.match(unreachable.text, /127\.0\.0\.1:1/);
		} finally {
			await gw.stop();
		}
	});

	test("a gateway restarted on the same store binds its persisted things again", async () => {
		const store = join(dir, "c.json");
		let gw = startGateway(emu, store);
		let port = await gw.start();
		await call(`http://127.0.0.1:${port}/Thingworx/Things/LocalEms/Services/AddEdgeThing`, "POST", { name: "Kept1", persist: true });
		await call(`http://127.0.0.1:${port}/Thingworx/Things/LocalEms/Services/AddEdgeThing`, "POST", { name: "Gone1" });
		await waitFor("both bound", () => gw.client.isBound("Kept1") && gw.client.isBound("Gone1"));
		await gw.stop();
		await waitFor("unbound at stop", () => emu.store.get("Kept1")!.isConnected === false);
		gw = startGateway(emu, store);
		port = await gw.start();
		try {
			await waitFor("Kept1 bound again", () => emu.store.get("Kept1")!.isConnected && gw.client.isSynchronized("Kept1"));
			assert.equal(gw.client.isBound("Gone1"), false, "not persisted: not registered again");
			const listed = await call(`http://127.0.0.1:${port}/Thingworx/Things/LocalEms/Services/GetEdgeThings`, "POST");
			assert.deepEqual(listed.json.rows.map((r: { name: string }) => r.name), ["Kept1"]);
		} finally {
			await gw.stop();
		}
	});

	test("the connection to the platform cut again and again while values are PUT: every value stored, in order (a push whose answer a cut lost is sent again)", async () => {
		const proxy = new CuttingProxy(() => emu.port);
		const gw = startGateway(emu, join(dir, "d.json"), await proxy.listen());
		const port = await gw.start();
		const base = `http://127.0.0.1:${port}/Thingworx/Things/`;
		try {
			await call(base + "LocalEms/Services/AddEdgeThing", "POST", { name: "Flow1" });
			for (let i = 0; i < 60; i++) {
				assert.equal((await call(base + "Flow1/Properties/Count", "PUT", { Count: i })).status, 200);
				if (i % 20 === 10) proxy.cut();
			}
			const stored = () => (emu.store.get("Flow1")?.properties.get("Count")?.history.toArray() ?? []).map((v) => v.value.value);
			await waitFor("all 60 values stored", () => new Set(stored()).size === 60);
			assert.deepEqual([...new Set(stored())], Array.from({ length: 60 }, (_, i) => i), "first stored in the order they were PUT");
			assert.ok(gw.client.stats.reconnects >= 1);
		} finally {
			await gw.stop();
			proxy.server.close();
		}
	});
});

test("AddEdgeThing on a live connection answers once the platform answered its BIND: a refused thing is a 4xx with the platform's reason and is not kept", async () => {
	const emu = await emulator({ bindPolicy: "not-found", things: [{ name: "Known1" }] });
	const gw = startGateway(emu, join(mkdtempSync(join(tmpdir(), "gw-")), "s.json"));
	const port = await gw.start();
	const add = `http://127.0.0.1:${port}/Thingworx/Things/LocalEms/Services/AddEdgeThing`;
	try {
		await waitFor("connected", () => gw.client.connected);
		const ok = await call(add, "POST", { name: "Known1" });
		assert.equal(ok.status, 200);
		assert.equal(gw.client.isBound("Known1"), true, "answered after the BIND succeeded");
		const refused = await call(add, "POST", { name: "Typo1", persist: true });
		assert.equal(refused.status, 404, refused.text);
		assert.match(refused.text, /the platform refused to bind Typo1 \(unknown thing: Typo1\)/);
		const listed = await call(`http://127.0.0.1:${port}/Thingworx/Things/LocalEms/Services/GetEdgeThings`, "POST");
		assert.deepEqual(listed.json.rows.map((r: { name: string }) => r.name), ["Known1"], "the refused thing is not kept (nor persisted)");
		assert.equal(gw.client.things.length, 1);
		assert.equal((await call(add, "POST", { name: "Known1" })).status, 200, "registering a bound thing again answers at once");
	} finally {
		await gw.stop();
		await emu.close();
	}
});

test("restarted with a persisted thing the platform no longer knows: the others are bound, that one is left out, the gateway serves", async () => {
	const emu = await emulator({ bindPolicy: "not-found", things: [{ name: "Known1" }, { name: "Known2" }] });
	const store = join(mkdtempSync(join(tmpdir(), "gw-")), "s.json");
	writeFileSync(store, JSON.stringify({ "gw.things": JSON.stringify([{ name: "Known1", callback: "" }, { name: "Deleted1", callback: "" }, { name: "Known2", callback: "" }]) }));
	const gw = startGateway(emu, store);
	await gw.start();
	try {
		await waitFor("the known things bound and synchronized", () => gw.client.isSynchronized("Known1") && gw.client.isSynchronized("Known2"));
		assert.equal(gw.client.isBound("Deleted1"), false);
		assert.equal(gw.client.connected, true);
		assert.equal(emu.store.get("Known1")!.isConnected, true);
	} finally {
		await gw.stop();
		await emu.close();
	}
});

test("the platform restarted mid-stream: values PUT while it is down are answered 200, queued, and stored by the platform that comes back, with their times", async () => {
	let platform = await emulator();
	const proxy = new CuttingProxy(() => platform.port);
	const dir = mkdtempSync(join(tmpdir(), "gw-restart-"));
	const gw = startGateway(platform, join(dir, "r.json"), await proxy.listen());
	const port = await gw.start();
	const base = `http://127.0.0.1:${port}/Thingworx/Things/`;
	const history = (emu: Emulator) => (emu.store.get("Flow2")?.properties.get("Count")?.history.toArray() ?? []).map((v) => [v.value.value as number, v.time] as const);
	const putAt = new Map<number, number>();
	const put = async (i: number) => {
		const before = Date.now();
		assert.equal((await call(base + "Flow2/Properties/Count", "PUT", { Count: i })).status, 200);
		putAt.set(i, before);
	};
	try {
		assert.equal((await call(base + "LocalEms/Services/AddEdgeThing", "POST", { name: "Flow2" })).status, 200);
		for (let i = 0; i < 20; i++) await put(i);
		await waitFor("the first 20 stored", () => new Set(history(platform).map(([v]) => v)).size === 20);
		const first = history(platform);
		await platform.close(); // the platform goes away mid-stream
		proxy.cut();
		for (let i = 20; i < 40; i++) await put(i); // the gateway keeps taking values meanwhile
		const restartedAt = Date.now();
		platform = await emulator(); // a new platform (empty store) where the old one was
		await waitFor("the other 20 stored by the new platform", () => new Set(history(platform).map(([v]) => v)).size >= 20);
		const all = [...first, ...history(platform)];
		assert.deepEqual([...new Set(all.map(([v]) => v))].sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i), "nothing lost");
		// stamped when PUT (the gateway's clock), not when the new platform got them
		for (const [value, time] of all) assert.ok(time >= putAt.get(value)! - 1 && (value < 20 || time <= restartedAt), `value ${value} kept the time it was PUT at`);
		assert.ok(gw.client.stats.reconnects >= 1);
	} finally {
		await gw.stop();
		await proxy.close();
		await platform.close();
		rmSync(dir, { recursive: true, force: true });
	}
});
