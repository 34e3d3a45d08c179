// The gateway's REST routes with curl and Node's fetch: LocalEms registration (persisted in the HAL
// store), values of registered things kept and typed, bad input refused with its reason, and calls
// for platform things proxied over a real EdgeClient to the emulator. The binder here is a stand-in
// that records what the edge client would be asked to BIND/UNBIND.
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { Hal } from "../../hal/hal";
import { createNodeHal } from "../../hal/node/index";
import { EdgeClient } from "../../src/client/client";
import { Thing } from "../../src/thing/thing";
import { Gateway, type GatewayThing, type ThingBinder } from "../../src/gateway/gateway";
import { HttpServer } from "../../src/gateway/http-server";
import type { BaseTypeName, TypedValue } from "../../src/protocol/model";
import type { Emulator } from "../../emulator/index";
import { emulator, KEY, waitFor } from "../e2e/helpers";

const run = promisify(execFile);

class StandInThing implements GatewayThing {
	readonly writes: Array<[string, TypedValue, number]> = [];
	#values = new Map<string, TypedValue>();
	value(property: string) {
		return this.#values.get(property);
	}
	typeOf(property: string): BaseTypeName | undefined {
		return this.#values.get(property)?.type;
	}
	write(property: string, value: TypedValue, time: number) {
		this.#values.set(property, value);
		this.writes.push([property, value, time]);
	}
	whenBound() {
		return Promise.resolve();
	}
}

class StandInBinder implements ThingBinder {
	readonly log: string[] = [];
	readonly things = new Map<string, StandInThing>();
	bind(name: string, callback: string) {
		this.log.push(`bind ${name}${callback ? " " + callback : ""}`);
		const thing = new StandInThing();
		this.things.set(name, thing);
		return thing;
	}
	unbind(name: string) {
		this.log.push(`unbind ${name}`);
		this.things.delete(name);
	}
	rebind(name: string) {
		this.log.push(`rebind ${name}`);
	}
	isBound(name: string) {
		return this.things.has(name);
	}
	isSynchronized() {
		return false;
	}
}

async function startGateway(hal: Hal, client: EdgeClient | { connected: boolean; request: EdgeClient["request"] }, maxThings = 3) {
	const binder = new StandInBinder();
	const gateway = new Gateway(hal, client, binder, { maxThings });
	const server = new HttpServer(hal, { maxClients: 8, maxHeadBytes: 4096, maxHeaders: 32, maxBodyBytes: 8192, readTimeoutMs: 20000 }, gateway.handle);
	const port = await server.listen({ host: "127.0.0.1", port: 0 });
	return { binder, gateway, server, url: `http://127.0.0.1:${port}/Thingworx/Things/` };
}

async function call(url: string, method: string, body?: unknown) {
	const r = await fetch(url, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
	const text = await r.text();
	return { status: r.status, text, json: r.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(text) : null };
}

const OFFLINE = { connected: false, request: () => Promise.reject(new Error("offline")) } as unknown as EdgeClient;

describe("LocalEms services and registered things", () => {
	const hal = createNodeHal({ logLevel: "error" });
	let ctx: Awaited<ReturnType<typeof startGateway>>;
	before(async () => {
		ctx = await startGateway(hal, OFFLINE);
	});
	after(() => ctx.server.close());
	const svc = (name: string) => ctx.url + "LocalEms/Services/" + name;

	test("AddEdgeThing binds, persist is kept in the store, GetEdgeThings lists, RemoveEdgeThing unbinds and forgets", async () => {
		const { stdout } = await run("/usr/bin/curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Content-Type: application/json", "-d", '{"name":"Pump1","persist":true}', svc("AddEdgeThing")]);
		assert.equal(stdout, "200");
		assert.equal((await call(svc("AddEdgeThing"), "POST", { name: "Tank2", callback: "http://127.0.0.1:9/cb" })).status, 200);
		assert.deepEqual(ctx.binder.log, ["bind Pump1", "bind Tank2 http://127.0.0.1:9/cb"]);
		assert.deepEqual(JSON.parse(hal.store.get("gw.things")!), [{ name: "Pump1", callback: "" }]);
		const list = await call(svc("GetEdgeThings"), "POST");
		assert.equal(list.status, 200);
		assert.deepEqual(list.json.rows, [
			{ name: "Pump1", persist: true, isBound: true, isSynchronized: false, callback: "" },
			{ name: "Tank2", persist: false, isBound: true, isSynchronized: false, callback: "http://127.0.0.1:9/cb" },
		]);
		assert.equal(list.json.dataShape.fieldDefinitions.isBound.baseType, "BOOLEAN");
		assert.equal((await call(svc("RemoveEdgeThing"), "POST", { name: "Pump1" })).status, 200);
		assert.deepEqual(ctx.binder.log.slice(-1), ["unbind Pump1"]);
		assert.equal(hal.store.get("gw.things"), undefined);
		const again = await call(svc("RemoveEdgeThing"), "POST", { name: "Pump1" });
		assert.equal(again.status, 404);
		assert.match(again.text, /no registered thing is named Pump1/);
		await call(svc("RemoveEdgeThing"), "POST", { name: "Tank2" });
	});

	test("bad registrations: each a 4xx with its reason; the limit on things is a 409", async () => {
		const cases: Array<[string, unknown, number, RegExp]> = [
			["AddEdgeThing", {}, 400, /"name"/],
			["AddEdgeThing", { name: "" }, 400, /"name"/],
			["AddEdgeThing", { name: "x".repeat(300) }, 400, /at most 256/],
			["AddEdgeThing", { name: "A", persist: "yes" }, 400, /persist must be true or false/],
			["AddEdgeThing", { name: "A", callback: "https://evil.example/x" }, 400, /callback must be/],
			["NoSuchService", {}, 404, /AddEdgeThing, RemoveEdgeThing, GetEdgeThings/],
		];
		for (const [service, body, status, reason] of cases) {
			const r = await call(svc(service), "POST", body);
			assert.equal(r.status, status, JSON.stringify(body));
			assert.match(r.text, reason);
		}
		const notJson = await fetch(svc("AddEdgeThing"), { method: "POST", body: "{name:" });
		assert.equal(notJson.status, 400);
		assert.match(await notJson.text(), /JSON object/);
		assert.equal((await fetch(svc("AddEdgeThing"))).status, 405);
		for (const name of ["L1", "L2", "L3"]) assert.equal((await call(svc("AddEdgeThing"), "POST", { name })).status, 200);
		const full = await call(svc("AddEdgeThing"), "POST", { name: "L4" });
		assert.equal(full.status, 409);
		assert.match(full.text, /holds 3 things already/);
		assert.equal((await call(svc("AddEdgeThing"), "POST", { name: "L1" })).status, 200, "registering again is not a new thing");
		for (const name of ["L1", "L2", "L3"]) await call(svc("RemoveEdgeThing"), "POST", { name });
	});

	test("PUT of a registered thing's property: typed from the value or the InfoTable form, kept, answered locally; a type change is refused", async () => {
		await call(svc("AddEdgeThing"), "POST", { name: "Boiler" });
		const thing = ctx.binder.things.get("Boiler")!;
		const put = await run("/usr/bin/curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "Content-Type: application/json", "-d", '{"Temperature": 81.5}', ctx.url + "Boiler/Properties/Temperature"]);
		assert.equal(put.stdout, "200");
		const tableForm = { Mode: { dataShape: { fieldDefinitions: { Mode: { name: "Mode", baseType: "INTEGER" } } }, rows: [{ Mode: 3 }] } };
		assert.equal((await call(ctx.url + "Boiler/Properties/Mode", "PUT", tableForm)).status, 200);
		assert.deepEqual(thing.writes.map(([p, v]) => [p, v]), [["Temperature", { type: "NUMBER", value: 81.5 }], ["Mode", { type: "INTEGER", value: 3 }]]);
		const got = await call(ctx.url + "Boiler/Properties/Temperature", "GET");
		assert.equal(got.status, 200);
		assert.deepEqual(got.json.rows, [{ Temperature: 81.5 }]);
		assert.equal(got.json.dataShape.fieldDefinitions.Temperature.baseType, "NUMBER");
		const wrongType = await call(ctx.url + "Boiler/Properties/Temperature", "PUT", { Temperature: "hot" });
		assert.equal(wrongType.status, 400);
		assert.match(wrongType.text, /Temperature: expected a number/);
		const notInteger = await call(ctx.url + "Boiler/Properties/Mode", "PUT", { Mode: 2.5 });
		assert.equal(notInteger.status, 400);
		const wrongKey = await call(ctx.url + "Boiler/Properties/Mode", "PUT", { mode: 1 });
		assert.equal(wrongKey.status, 400);
		assert.match(wrongKey.text, /body must be \{"Mode": value\}/);
		const unknown = await call(ctx.url + "Boiler/Properties/Pressure", "GET");
		assert.equal(unknown.status, 404);
		assert.equal((await call(ctx.url + "Boiler/Properties/Mode", "DELETE")).status, 405);
		assert.equal(thing.writes.length, 2, "refused writes reached the thing");
		await call(svc("RemoveEdgeThing"), "POST", { name: "Boiler" });
	});

	test("platform things while the connection is down: 503 saying so; other paths 404", async () => {
		const r = await call(ctx.url + "Elsewhere/Properties/X", "GET");
		assert.equal(r.status, 503);
		assert.match(r.text, /not connected to the platform/);
		assert.equal((await call(ctx.url.replace("/Things/", "/Mashups/"), "GET")).status, 404);
		assert.equal((await call(ctx.url + "Elsewhere/Subscriptions/X", "GET")).status, 404);
		assert.equal((await call(ctx.url + "Bad%ZZ/Properties/X", "GET")).status, 400);
	});
});

describe("restart", () => {
	test("persisted registrations are registered again from the store, then auto_bind names", async () => {
		const hal = createNodeHal({ logLevel: "error" });
		hal.store.set("gw.things", JSON.stringify([{ name: "Kept", callback: "http://127.0.0.1:9/k" }]));
		const binder = new StandInBinder();
		const gateway = new Gateway(hal, OFFLINE, binder, { maxThings: 10 });
		assert.deepEqual(gateway.restore([{ name: "Auto", callback: "" }, { name: "Kept", callback: "" }]), ["Kept", "Auto"]);
		assert.deepEqual(binder.log, ["bind Kept http://127.0.0.1:9/k", "bind Auto"]);
		hal.store.set("gw.things", "not json");
		const other = new Gateway(hal, OFFLINE, new StandInBinder(), { maxThings: 10 });
		assert.deepEqual(other.restore([]), []);
	});
});

describe("proxy to the platform over the AlwaysOn connection", () => {
	let emu: Emulator;
	let client: EdgeClient;
	let ctx: Awaited<ReturnType<typeof startGateway>>;
	before(async () => {
		emu = await emulator({ things: [{ name: "GatewayItself", properties: [{ name: "Setpoint", baseType: "NUMBER", remote: false }] }] });
		const hal = createNodeHal({ logLevel: "error", lingerMs: 50 });
		client = new EdgeClient(hal, { host: "127.0.0.1", port: emu.port, tls: false, appKey: () => KEY, things: [new Thing({ name: "GatewayItself" })], requestTimeoutMs: 5000 });
		client.start();
		await waitFor("connected", () => client.connected, 10000);
		ctx = await startGateway(hal, client);
	});
	after(async () => {
		ctx?.server.close();
		await client?.stop();
		await emu?.close();
	});

	test("PUT and GET of a platform property, and a platform service, answered in the platform's InfoTable JSON; the platform's refusals keep their meaning", async () => {
		const put = await call(ctx.url + "GatewayItself/Properties/Setpoint", "PUT", { Setpoint: 42.5 });
		assert.equal(put.status, 200, put.text);
		const got = await call(ctx.url + "GatewayItself/Properties/Setpoint", "GET");
		assert.equal(got.status, 200, got.text);
		assert.equal(got.json.rows[0].Setpoint, 42.5);
		const viaEmulator = await fetch(`${emu.restUrl}/Things/GatewayItself/Properties/Setpoint`, { headers: { appKey: KEY, accept: "application/json" } });
		assert.deepEqual(((await viaEmulator.json()) as { rows: unknown }).rows, got.json.rows, "the gateway answers what the platform's REST answers");
		const service = await run("/usr/bin/curl", ["-sS", "-X", "POST", "-H", "Content-Type: application/json", "-d", "{}", ctx.url + "GatewayItself/Services/GetPropertyValues"]);
		assert.equal(JSON.parse(service.stdout).rows[0].Setpoint, 42.5);
		const missing = await call(ctx.url + "NoSuchThing/Properties/X", "GET");
		assert.equal(missing.status, 404);
		assert.match(missing.text, /platform: NOT_FOUND/);
		// The emulator lets a connection address only the things bound on it: the app key's limits are the proxy's.
		const foreign = await call(ctx.url + "SomeoneElse/Properties/X", "GET");
		assert.equal(foreign.status, 404);
	});
});
