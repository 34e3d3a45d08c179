/*
 * The gateway on the real XS engine: EdgeGateway (test/xs/suites/gateway.ts) in an xsnap worker on
 * hal/xs, its platform connection and its HTTP listener on loopback carried by the bridge, against the
 * emulator in this process, driven by clients nobody here wrote: Node's fetch, and curl when installed;
 * a thing's callback is a Node http server here (the application the platform's writes and calls reach).
 * A second gateway on the same device ("guarded") requires Basic credentials and has small body and
 * client limits: 401, 413 and 503 answered on XS as on Node, and it keeps serving.
 * The device's clock is virtual: a pump fires what falls due now (zero-delay timers: pushes, closes)
 * while a request is in flight, and the test moves time by hand, so stored times are exact.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import * as net from "node:net";
import { after, before, test } from "node:test";
import { XsHalBridge } from "../../hal/xs/bridge";
import type { Emulator, Vtq } from "../../emulator/index";
import { emulator, KEY, rest } from "../e2e/helpers";
import { CURL, curlPutJson, NO_CURL } from "../support/curl";
import { callbackApp } from "../support/callback-app";
import { DEADLINE_MS } from "../support/deadline";
import { xsBundle } from "./bundles";

/** The device's wall clock at virtual time 0 (2026-03-01T00:00:00Z). */
const NOW = Date.UTC(2026, 2, 1);
const THING = "Press1";
/** Registered with a callback URL: the application below answers the platform's writes and service calls. */
const CALLED = "Valve1";


/** The application behind CALLED's callback URL. */
const app = callbackApp();
const appCalls = app.calls;
let appUrl = "";

let emu: Emulator;
let bridge: XsHalBridge;
let base = "";
let port = 0;
const emulatorLines: string[] = [];

/**
 * Fires the device's timers that are due at the current virtual time, again and again, so that what
 * the gateway does "at once" (timers.set(fn, 0)) happens while the test awaits a client; the clock
 * itself only moves with bridge.advance().
 */
let pump: NodeJS.Timeout | null = null;
function startPump(): void {
	let busy = false;
	pump = setInterval(() => {
		if (busy) return;
		busy = true;
		bridge.advance(0).then(() => (busy = false), () => (busy = false));
	}, 2);
}

before(async () => {
	emu = await emulator({ historySize: 1000 }, emulatorLines);
	appUrl = await app.listen();
	bridge = new XsHalBridge({ now: NOW, store: { appKey: KEY }, worker: { name: "gateway" } });
	await bridge.loadBundle({ name: "gateway", source: await xsBundle("xs-gateway") });
	startPump();
	await bridge.worker.evaluate(`bundles.gateway.start(${JSON.stringify({ host: "127.0.0.1", port: emu.port })})`);
	const listening = await bridge.waitForLog(/^gateway: (listening|start failed)/, DEADLINE_MS);
	port = Number(/listening (\d+)$/.exec(listening.message)?.[1] ?? NaN);
	assert.ok(port > 0, listening.message);
	base = `http://127.0.0.1:${port}/Thingworx/Things/`;
	await until("connected to the platform", async () => (await state()).connected);
});

after(async () => {
	if (pump) clearInterval(pump);
	await bridge?.close();
	await emu?.close();
	app.close();
});

async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
	const deadline = Date.now() + DEADLINE_MS;
	while (!(await condition())) {
		if (bridge.errors.length) throw bridge.errors[0];
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; device log: ${bridge.logs.slice(-5).map((l) => l.message).join(" | ")}`);
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}

async function state(): Promise<{ connected: boolean; things: Array<{ name: string; synchronized: boolean }> }> {
	return JSON.parse((await bridge.worker.evaluateJson<string>("bundles.gateway.state()")).value);
}

async function call(url: string, method: string, body?: unknown) {
	// The hang guard: without the pump, an answer that waits on a device timer never comes.
	const signal = AbortSignal.timeout(DEADLINE_MS);
	const r = await fetch(url, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body), signal });
	const text = await r.text();
	return { status: r.status, text, json: r.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(text) : null };
}

/** A new connection; `closed` resolves with everything received until the gateway closes it. */
async function open(to: number): Promise<{ socket: net.Socket; closed: Promise<string> }> {
	const socket = net.connect({ host: "127.0.0.1", port: to });
	await once(socket, "connect");
	const chunks: Buffer[] = [];
	socket.on("data", (b: Buffer) => chunks.push(b));
	socket.on("error", () => {});
	const closed = once(socket, "close").then(() => Buffer.concat(chunks).toString("latin1"));
	return { socket, closed };
}

/** Sends raw bytes on a new connection; resolves with everything received until the gateway closes it. */
async function raw(text: string, to = port): Promise<string> {
	const { socket, closed } = await open(to);
	socket.write(text);
	return closed;
}

function statusOf(response: string): number {
	return Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1] ?? 0);
}

function history(property: string): Vtq[] {
	return emu.store.get(THING)?.properties.get(property)?.history.toArray() ?? [];
}

test("XS gateway: AddEdgeThing -> bound and synchronized on the platform -> PUT values stored with the device's times -> GetEdgeThings lists it", async (t) => {
	const added = await call(base + "LocalEms/Services/AddEdgeThing", "POST", { name: THING });
	assert.equal(added.status, 200, added.text);
	await until(`${THING} bound on the platform`, () => emu.store.get(THING)?.isConnected === true);

	await bridge.advance(1000);
	const first = await call(base + `${THING}/Properties/Pressure`, "PUT", { Pressure: 4.5 });
	assert.equal(first.status, 200, first.text);
	await bridge.advance(1000);
	if (CURL !== null) {
		assert.equal(await curlPutJson(base + `${THING}/Properties/Pressure`, '{"Pressure": 4.75}'), "200", "curl's PUT");
	} else {
		t.diagnostic(NO_CURL + ": the second PUT goes through fetch");
		assert.equal((await call(base + `${THING}/Properties/Pressure`, "PUT", { Pressure: 4.75 })).status, 200);
	}

	await until("synchronized on both sides", async () => emu.store.get(THING)!.synchronized && (await state()).things.some((t) => t.name === THING && t.synchronized));
	await until("both values stored", () => history("Pressure").length === 2);
	assert.deepEqual(history("Pressure").map((v) => v.value), [{ type: "NUMBER", value: 4.5 }, { type: "NUMBER", value: 4.75 }]);
	assert.deepEqual(history("Pressure").map((v) => v.time), [NOW + 1000, NOW + 2000], "each value stamped with the device's clock at its PUT");

	const listed = await call(base + "LocalEms/Services/GetEdgeThings", "POST");
	assert.equal(listed.status, 200, listed.text);
	assert.deepEqual(listed.json.rows, [{ name: THING, persist: false, isBound: true, isSynchronized: true, callback: "" }]);
});

test("XS gateway: a thing registered with a callback URL: the platform's write and service call reach the application, the service's result comes back through the platform", async () => {
	const added = await call(base + "LocalEms/Services/AddEdgeThing", "POST", { name: CALLED, callback: appUrl });
	assert.equal(added.status, 200, added.text);
	await until(`${CALLED} bound on the platform`, () => emu.store.get(CALLED)?.isConnected === true);
	assert.equal((await call(base + `${CALLED}/Properties/Pressure`, "PUT", { Pressure: 1 })).status, 200);
	assert.equal((await call(base + `${CALLED}/Properties/Locked`, "PUT", { Locked: false })).status, 200);
	await until("synchronized on both sides", async () => emu.store.get(CALLED)!.synchronized && (await state()).things.some((t) => t.name === CALLED && t.synchronized));
	appCalls.length = 0;

	const write = await rest(emu, "PUT", `/Things/${CALLED}/Properties/Pressure`, { Pressure: 6 });
	assert.equal(write.status, 200, write.text);
	assert.deepEqual(appCalls, [{ method: "PUT", url: "/app/Properties/Pressure", body: { Pressure: 6 } }]);
	assert.deepEqual((await call(base + `${CALLED}/Properties/Pressure`, "GET")).json.rows, [{ Pressure: 6 }], "the value the application took is kept");
	const refused = await rest(emu, "PUT", `/Things/${CALLED}/Properties/Locked`, { Locked: true });
	assert.equal(refused.status, 403, "the application's refusal keeps its meaning");
	assert.deepEqual((await call(base + `${CALLED}/Properties/Locked`, "GET")).json.rows, [{ Locked: false }], "a refused write is not kept");

	const sum = await rest(emu, "POST", `/Things/${CALLED}/Services/Add`, { a: 2, b: 3 });
	assert.equal(sum.status, 200, sum.text);
	assert.deepEqual(sum.json.rows, [{ result: 5 }]);
	assert.deepEqual(appCalls.at(-1), { method: "POST", url: "/app/Services/Add", body: { a: 2, b: 3 } });

	assert.equal((await call(base + "LocalEms/Services/RemoveEdgeThing", "POST", { name: CALLED })).status, 200);
	await until(`${CALLED} unbound`, () => emu.store.get(CALLED)!.isConnected === false);
});

test("XS gateway: a malformed request line and a lying Content-Length get 4xx with a reason; the gateway keeps serving", async () => {
	const malformed = await raw("get /Thingworx HTTP/1.1\r\nHost: x\r\n\r\n");
	assert.equal(statusOf(malformed), 400, malformed);
	assert.match(malformed, /malformed request line/);
	assert.equal((await call(base + "LocalEms/Services/GetEdgeThings", "POST")).status, 200, "served after the malformed line");

	// 100 bytes announced, 10 sent: the gateway waits up to content_read_timeout (20 s of the device's clock).
	const text = `PUT /Thingworx/Things/${THING}/Properties/Pressure HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"Pressure"`;
	const received = bridge.counts.bytesToXs;
	const lying = raw(text);
	await until("the lying request's bytes passed to the device", () => bridge.counts.bytesToXs >= received + text.length);
	await bridge.idle();
	assert.equal((await call(base + "LocalEms/Services/GetEdgeThings", "POST")).status, 200, "served while the lying request waits");
	// Steps well below the ping interval: the platform connection's own timers stay as they would be.
	for (let elapsed = 0; elapsed <= 21_000; elapsed += 1000) await bridge.advance(1000);
	const answer = await lying;
	assert.equal(statusOf(answer), 408, answer);
	assert.match(answer, /content_read_timeout/);
	assert.equal(history("Pressure").length, 2, "nothing of the incomplete body was stored");

	const after = await call(base + `${THING}/Properties/Pressure`, "GET");
	assert.equal(after.status, 200, after.text);
	assert.deepEqual(after.json.rows, [{ Pressure: 4.75 }], "served after the timeout, with the last value PUT");
});

test("XS gateway: RemoveEdgeThing -> UNBIND, isConnected false on the platform", async () => {
	const removed = await call(base + "LocalEms/Services/RemoveEdgeThing", "POST", { name: THING });
	assert.equal(removed.status, 200, removed.text);
	await until(`${THING} unbound`, () => emu.store.get(THING)!.isConnected === false);
	const gone = await rest(emu, "GET", `/Things/${THING}/Properties/isConnected`);
	assert.deepEqual(gone.json.rows, [{ isConnected: false }]);
	assert.deepEqual((await call(base + "LocalEms/Services/GetEdgeThings", "POST")).json.rows, []);
	assert.deepEqual((await state()).things, []);
});

/** A second gateway on the device: Basic credentials required, small body and client limits. */
const USER = "edge";
const PASSWORD = "s3cret-pass";
const GUARDED = { authenticate: true, user: USER, password: PASSWORD, max_body_bytes: 256, max_clients: 2 };
const BASIC = "Basic " + Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
let guardedPort = 0;

/**
 * POSTs with no body on its own connection, closed after the answer (a pooled keep-alive connection
 * would hold one of the two client slots the last test counts on).
 */
async function guardedCall(path: string, authorization?: string): Promise<{ status: number; text: string; challenge: string | null }> {
	const credentials = authorization === undefined ? "" : `Authorization: ${authorization}\r\n`;
	const answer = await raw(`POST /Thingworx/Things/${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${credentials}Content-Length: 0\r\nConnection: close\r\n\r\n`, guardedPort);
	const split = answer.indexOf("\r\n\r\n");
	return { status: statusOf(answer), text: answer.slice(split + 4), challenge: /^WWW-Authenticate: (.*)\r$/im.exec(answer.slice(0, split))?.[1] ?? null };
}

test("XS gateway with authenticate: missing or wrong credentials are 401 with a Basic challenge, the right ones are served", async () => {
	await bridge.worker.evaluate(`bundles.gateway.start(${JSON.stringify({ host: "127.0.0.1", port: emu.port, name: "guarded", http_server: GUARDED })})`);
	const listening = await bridge.waitForLog(/^gateway guarded: (listening|start failed)/, DEADLINE_MS);
	guardedPort = Number(/listening (\d+)$/.exec(listening.message)?.[1] ?? NaN);
	assert.ok(guardedPort > 0 && guardedPort !== port, listening.message);

	const none = await guardedCall("LocalEms/Services/GetEdgeThings");
	assert.equal(none.status, 401, none.text);
	assert.equal(none.challenge, 'Basic realm="gateway"');
	const wrongPassword = await guardedCall("LocalEms/Services/GetEdgeThings", "Basic " + Buffer.from(`${USER}:${PASSWORD}X`).toString("base64"));
	assert.equal(wrongPassword.status, 401, "a password one character longer");
	const wrongUser = await guardedCall("LocalEms/Services/GetEdgeThings", "Basic " + Buffer.from(`admin:${PASSWORD}`).toString("base64"));
	assert.equal(wrongUser.status, 401);
	const notBasic = await guardedCall("LocalEms/Services/GetEdgeThings", "Bearer " + PASSWORD);
	assert.equal(notBasic.status, 401);
	const right = await guardedCall("LocalEms/Services/GetEdgeThings", BASIC);
	assert.equal(right.status, 200, right.text);
	assert.deepEqual(JSON.parse(right.text).rows, []);
	assert.ok(!bridge.logs.some((l) => l.message.includes(PASSWORD) || l.message.includes(BASIC.slice(6))), "the credentials never reach a log line");
});

test("XS gateway: a body over max_body_bytes is 413 and the gateway keeps serving", async () => {
	const body = JSON.stringify({ name: "x".repeat(300) });
	const text = `POST /Thingworx/Things/LocalEms/Services/AddEdgeThing HTTP/1.1\r\nAuthorization: ${BASIC}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
	const answer = await raw(text, guardedPort);
	assert.equal(statusOf(answer), 413, answer);
	assert.match(answer, /larger than 256/);
	const listed = await guardedCall("LocalEms/Services/GetEdgeThings", BASIC);
	assert.equal(listed.status, 200, listed.text);
	assert.deepEqual(JSON.parse(listed.text).rows, [], "nothing of the oversized request was registered");
});

test("XS gateway: more clients than max_clients at once: the extra ones get 503, the held ones and later clients are served", async () => {
	// Two clients hold the two slots with heads not yet finished; the device has their bytes before the others come.
	const head = `POST /Thingworx/Things/LocalEms/Services/GetEdgeThings HTTP/1.1\r\nAuthorization: ${BASIC}\r\n`;
	const received = bridge.counts.bytesToXs;
	const held = [await open(guardedPort), await open(guardedPort)];
	for (const h of held) h.socket.write(head);
	await until("the held heads passed to the device", () => bridge.counts.bytesToXs >= received + 2 * head.length);
	await bridge.idle();

	const extra = await Promise.all(Array.from({ length: 4 }, () => raw(head + "\r\n", guardedPort)));
	for (const answer of extra) {
		assert.equal(statusOf(answer), 503, answer);
		assert.match(answer, /too many clients: 2 connections are open \(http_server.max_clients\)/);
	}

	for (const h of held) h.socket.write("Connection: close\r\n\r\n");
	for (const h of held) {
		const answer = await h.closed;
		assert.equal(statusOf(answer), 200, answer);
	}
	const later = await guardedCall("LocalEms/Services/GetEdgeThings", BASIC);
	assert.equal(later.status, 200, later.text);

	await bridge.worker.evaluate(`bundles.gateway.stop("guarded")`);
	await bridge.waitForLog(/^gateway guarded: (stopped|stop failed)/, DEADLINE_MS);
	assert.ok(bridge.logs.some((l) => l.message === "gateway guarded: stopped"));
});

test("XS gateway: stops cleanly; no errors in the device or the bridge; the key never reaches a log line", async () => {
	await bridge.worker.evaluate("bundles.gateway.stop()");
	await bridge.waitForLog(/^gateway: (stopped|stop failed)/, DEADLINE_MS);
	assert.ok(bridge.logs.some((l) => l.message === "gateway: stopped"));
	await assert.rejects(fetch(base + "LocalEms/Services/GetEdgeThings", { method: "POST" }), "the listener is closed");
	assert.deepEqual(bridge.errors, []);
	assert.deepEqual(bridge.logs.filter((l) => l.level === "error"), []);
	const everything = [...bridge.logs.map((l) => l.message), ...emulatorLines].join("\n");
	assert.ok(!everything.includes(KEY));
});
