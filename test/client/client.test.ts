import assert from "node:assert/strict";
import { test } from "node:test";
import { EdgeClient, RequestError, type EdgeClientConfig } from "../../src/client/index";
import { Characteristic, chunkCount, Code, decodeMessage, encodeChunk, encodeMessageToBytes, Reassembler } from "../../src/protocol";
import type { AuthMessage, BindMessage, ChunkMessage, InfoTable, RequestMessage, ResponseMessage, TypedValue } from "../../src/protocol/model";
import { Thing } from "../../src/thing/index";
import { edgeFrame } from "../thing/capture";
import { FakeHal, FakeTransport, request, subscriptions } from "./fakes";
import { invokeService, readProperty, writeProperty } from "../../src/client/requests";

const KEY = "k3y-abcdef-0123456789-secret";

function steamThing(): Thing {
	return new Thing({
		name: "SteamSensor",
		properties: [
			{ name: "Temperature", baseType: "NUMBER", readOnly: true },
			{ name: "TemperatureLimit", baseType: "NUMBER" },
			{ name: "Logfile", baseType: "STRING" },
		],
		services: [
			{ name: "Echo", inputs: [{ name: "text", baseType: "STRING" }], output: "STRING", handler: (p) => p.text as string },
			{ name: "Slow", output: "NUMBER", handler: () => Promise.resolve().then(() => 7) },
		],
	});
}

function setup(config: Partial<EdgeClientConfig> = {}) {
	const hal = new FakeHal();
	const transports: FakeTransport[] = [];
	const thing = steamThing();
	const events: string[] = [];
	const errors: Error[] = [];
	const client = new EdgeClient(hal, {
		host: "localhost", port: 8080, tls: false, appKey: () => KEY, things: [thing],
		transport: (_hal, options) => {
			const t = new FakeTransport(options);
			transports.push(t);
			return t;
		},
		...config,
	});
	client.onStateChange = (s) => events.push("state:" + s);
	client.onAuthenticated = (c) => events.push("authenticated:" + c);
	client.onBound = (n) => events.push("bound:" + n);
	client.onUnbound = (n) => events.push("unbound:" + n);
	client.onSynchronized = (n) => events.push("synchronized:" + n);
	client.onPush = (n, rows) => events.push("push:" + n + ":" + rows);
	client.onError = (e) => errors.push(e);
	const t = () => transports[transports.length - 1];
	return { hal, client, thing, transports, events, errors, t };
}

type Harness = ReturnType<typeof setup>;

function requests(t: FakeTransport, name?: string): RequestMessage[] {
	return t.sent.filter((m): m is RequestMessage => m.kind === "request" && (name === undefined || m.characteristicName === name));
}

function lastRequest(t: FakeTransport, name: string): RequestMessage {
	const all = requests(t, name);
	assert.ok(all.length > 0, "no " + name + " sent");
	return all[all.length - 1];
}

/** Values in the pushes sent on `t`, as "name=value@time". */
function pushed(t: FakeTransport): string[] {
	const out: string[] = [];
	for (const m of requests(t, "UpdateSubscribedPropertyValues")) {
		const inner = m.params!.rows[0][0].value as InfoTable;
		for (const r of inner.rows) out.push(r[0].value + "=" + JSON.stringify((r[1].value as TypedValue).value) + "@" + r[2].value);
	}
	return out;
}

/** Play the platform up to BIND answered. */
function bind(h: Harness): FakeTransport {
	if (h.client.state === "stopped") h.client.start();
	const t = h.t();
	t.accept();
	t.respond(t.last());
	t.respond(t.last());
	return t;
}

/** Play the platform up to synchronized. */
function synchronize(h: Harness, rows: Array<[string, string, number]> = [["Temperature", "ALWAYS", 0]]): FakeTransport {
	const t = bind(h);
	t.deliver(request(Code.POST, "SteamSensor", Characteristic.SERVICES, "NotifyPropertyUpdate", null, 1001));
	t.respond(lastRequest(t, "GetPropertySubscriptions"), Code.SUCCESS, subscriptions(rows));
	return t;
}

test("the full sequence: upgrade options, AUTH first, one BIND, sync on NotifyPropertyUpdate, then push", () => {
	const h = setup();
	h.thing.set("Temperature", 400, 111);
	h.client.start();
	const t = h.t();
	assert.deepEqual(t.options.headers, [["Max-Frame-Size", "8192"]]);
	assert.deepEqual([t.options.path, t.options.maxFrameSize, t.options.pingIntervalMs, t.options.pongTimeoutMs, t.options.tls], ["/Thingworx/WS", 8192, 55000, 10000, false]);
	assert.ok(t.opened);
	assert.equal(t.frames.length, 0, "nothing before the upgrade");
	t.accept();
	const auth = t.sent[0] as AuthMessage;
	assert.equal(auth.kind, "auth");
	assert.deepEqual(auth.claims, [["appKey", KEY]]);
	assert.equal(auth.sessionId, 0xffffffff);
	t.respond(auth, Code.SUCCESS, null, 0xbeef);
	const bindMsg = t.sent[1] as BindMessage;
	assert.equal(bindMsg.kind, "bind");
	assert.deepEqual([bindMsg.names, bindMsg.gateway, bindMsg.sessionId], [["SteamSensor"], null, 0xbeef]);
	h.thing.set("Temperature", 401, 222);
	t.respond(bindMsg);
	h.thing.set("Temperature", 402, 333);
	h.hal.advance(1000);
	assert.equal(requests(t, "UpdateSubscribedPropertyValues").length, 0, "nothing pushed before synchronization");
	t.deliver(request(Code.POST, "SteamSensor", Characteristic.SERVICES, "NotifyPropertyUpdate", null, 1001));
	const reply = t.sent[2] as ResponseMessage;
	assert.deepEqual([reply.kind, reply.code, reply.requestId, reply.sessionId, reply.content], ["response", Code.SUCCESS, 1001, 0xbeef, null]);
	const gps = t.sent[3] as RequestMessage;
	assert.equal(gps.characteristicName, "GetPropertySubscriptions");
	assert.equal(Buffer.from(encodeMessageToBytes({ ...gps, requestId: 6 })).toString("hex"), edgeFrame(6), "GetPropertySubscriptions as the C SDK sends it");
	t.respond(gps, Code.SUCCESS, subscriptions([["Temperature", "ALWAYS", 0]]));
	assert.deepEqual(pushed(t), ["Temperature=400@111", "Temperature=401@222", "Temperature=402@333"]);
	t.respond(lastRequest(t, "UpdateSubscribedPropertyValues"));
	assert.equal(h.client.queued("SteamSensor"), 0);
	assert.deepEqual(h.events, [
		"state:connecting", "state:authenticating", "authenticated:appKey", "state:binding", "state:connected", "bound:SteamSensor",
		"synchronized:SteamSensor", "push:SteamSensor:3",
	]);
	assert.equal(h.client.stats.rowsAcknowledged, 3);
	assert.equal(h.errors.length, 0);
});

test("the platform's push types apply; every later NotifyPropertyUpdate re-synchronizes", () => {
	const h = setup({ autoPush: false });
	const t = synchronize(h, [["Temperature", "VALUE", 5]]);
	for (const x of [1, 2, 10]) h.thing.set("Temperature", x, x);
	h.client.push();
	assert.deepEqual(pushed(t), ["Temperature=1@1", "Temperature=10@10"]);
	t.respond(lastRequest(t, "UpdateSubscribedPropertyValues"));
	t.deliver(request(Code.POST, "SteamSensor", Characteristic.SERVICES, "NotifyPropertyUpdate", null, 1002));
	assert.equal(requests(t, "GetPropertySubscriptions").length, 2);
	t.respond(lastRequest(t, "GetPropertySubscriptions"), Code.SUCCESS, subscriptions([["Temperature", "NEVER", 0], ["NoSuchProperty", "ALWAYS", 0]]));
	assert.equal(h.thing.property("Temperature").pushType, "NEVER");
	h.thing.set("Temperature", 99);
	h.client.push();
	assert.equal(pushed(t).length, 2);
	assert.equal(h.events.filter((e) => e.startsWith("synchronized")).length, 2);
});

test("a refused or unanswered push keeps its rows and retries after pushRetryMs", () => {
	const h = setup({ pushRetryMs: 500, requestTimeoutMs: 2000 });
	const t = synchronize(h);
	h.thing.set("Temperature", 1, 10);
	h.client.push();
	t.respond(lastRequest(t, "UpdateSubscribedPropertyValues"), Code.INTERNAL_SERVER_ERROR);
	assert.equal(h.client.queued("SteamSensor"), 1);
	assert.equal((h.errors[0] as RequestError).codeName, "INTERNAL_SERVER_ERROR");
	h.client.push();
	assert.equal(requests(t, "UpdateSubscribedPropertyValues").length, 1, "no retry before pushRetryMs");
	h.hal.advance(600);
	assert.equal(requests(t, "UpdateSubscribedPropertyValues").length, 2);
	h.hal.advance(2100); // unanswered: timed out
	assert.equal(h.client.stats.pushFailures, 2);
	assert.equal(h.client.queued("SteamSensor"), 1);
	h.hal.advance(600);
	const all = requests(t, "UpdateSubscribedPropertyValues");
	assert.equal(all.length, 3);
	t.respond(all[2]);
	assert.equal(h.client.queued("SteamSensor"), 0);
	assert.deepEqual(pushed(t), ["Temperature=1@10", "Temperature=1@10", "Temperature=1@10"]);
});

test("direct edge requests (queue: false) are matched by requestId; answers become values or typed errors; timeouts too", async () => {
	const h = setup({ requestTimeoutMs: 1000 });
	const direct = { queue: false };
	await assert.rejects(invokeService(h.client, "Other", "X", null, direct), (e: RequestError) => e.codeName === "SERVICE_UNAVAILABLE");
	const t = synchronize(h);
	const a = invokeService(h.client, "Other", "First", null, direct);
	const b = readProperty(h.client, "Other", "Speed", direct);
	const c = writeProperty(h.client, "Other", "Speed", { type: "NUMBER", value: 5 }, direct);
	const d = invokeService(h.client, "Other", "Never", null, direct);
	const [ra, rb, rc] = [lastRequest(t, "First"), requests(t, "Speed")[0], requests(t, "Speed")[1]];
	assert.deepEqual([rb.code, rc.code], [Code.GET, Code.PUT]);
	assert.deepEqual(rc.params!.rows, [[{ type: "NUMBER", value: 5 }]]);
	t.respond(rb, Code.SUCCESS, { fields: [{ name: "Speed", description: "", baseType: "NUMBER", aspects: [] }], rows: [[{ type: "NUMBER", value: 12 }]] });
	t.respond(rc, Code.FORBIDDEN, null, 0xbeef, "read-only");
	t.respond(ra, Code.NOT_FOUND);
	assert.deepEqual(await b, { type: "NUMBER", value: 12 });
	await assert.rejects(c, (e: RequestError) => e instanceof RequestError && e.code === Code.FORBIDDEN && e.reason === "read-only" && e.message === "FORBIDDEN: read-only");
	await assert.rejects(a, (e: RequestError) => e.codeName === "NOT_FOUND");
	h.hal.advance(1200);
	await assert.rejects(d, (e: RequestError) => e.codeName === "GATEWAY_TIMEOUT");
	t.respond(requests(t, "Never")[0]);
	assert.equal(h.client.stats.unmatchedResponses, 1, "a late answer is counted, not misrouted");
});

test("platform requests: dispatch, async answers, unknown things, messages not for the edge, garbage", async () => {
	const h = setup();
	const t = synchronize(h);
	const before = t.frames.length;
	t.deliver(request(Code.GET, "Nobody", Characteristic.PROPERTIES, "x", null, 2001));
	t.deliver({ kind: "auth", version: 1, code: Code.AUTH, requestId: 2002, endpointId: 0, sessionId: 0, claims: [["appKey", "x"]] });
	const garbage = encodeMessageToBytes(request(Code.GET, "SteamSensor", Characteristic.PROPERTIES, "Temperature", null, 2003)).slice(0, 25);
	t.deliverBytes(garbage);
	t.deliver(request(Code.POST, "SteamSensor", Characteristic.SERVICES, "Slow", null, 2004));
	await new Promise((resolve) => setImmediate(resolve)); // the async answer settles in microtasks, all run before this
	const replies = t.sent.slice(before) as ResponseMessage[];
	assert.deepEqual(replies.map((r) => [r.requestId, r.code]), [[2001, Code.NOT_FOUND], [2002, Code.BAD_REQUEST], [2003, Code.BAD_REQUEST], [2004, Code.SUCCESS]]);
	assert.deepEqual(replies[3].content!.rows, [[{ type: "NUMBER", value: 7 }]]);
	assert.equal(h.client.stats.decodeErrors, 1);
});

/** The chunks of a platform call of Echo with a 20,000-character text, last first (any order holds). */
function echoChunks(text: string, requestId: number): Uint8Array[] {
	const whole = encodeMessageToBytes(request(Code.POST, "SteamSensor", Characteristic.SERVICES, "Echo", {
		fields: [{ name: "text", description: "", baseType: "STRING", aspects: [] }], rows: [[{ type: "STRING", value: text }]],
	}, requestId));
	const n = chunkCount(whole, whole.length, 8192);
	assert.ok(n >= 3);
	const chunk = new Uint8Array(8192);
	const chunks: Uint8Array[] = [];
	for (let k = n; k >= 1; k--) chunks.push(chunk.slice(0, encodeChunk(whole, whole.length, k, 8192, chunk, 0)));
	return chunks;
}

test("multipart: a chunked platform request is reassembled (reassembly: Reassembler); a large answer leaves in chunks that each fit", () => {
	const h = setup({ reassembly: Reassembler });
	const t = synchronize(h);
	const text = "0123456789".repeat(2000);
	const before = t.frames.length;
	for (const chunk of echoChunks(text, 3001)) t.deliverBytes(chunk);
	const frames = t.frames.slice(before);
	assert.ok(frames.length >= 3);
	assert.ok(frames.every((f) => f.length <= 8192));
	const r = new Reassembler();
	let out: Uint8Array | null = null;
	for (const f of frames) out = r.add(decodeMessage(f) as ChunkMessage, 0) ?? out;
	const reply = decodeMessage(out!) as ResponseMessage;
	assert.deepEqual([reply.requestId, reply.code, reply.content!.rows[0][0].value], [3001, Code.SUCCESS, text]);
});

test("a 3 KB PUT in one message to a client with 1 KB chunks (a platform ignoring Max-Frame-Size): answered ENTITY_TOO_LARGE, counted, reported, the connection kept, the next PUT served", () => {
	const h = setup({ chunkSize: 1024 });
	const t = synchronize(h);
	const put = (text: string, requestId: number) => request(Code.PUT, "SteamSensor", Characteristic.PROPERTIES, "Logfile", {
		fields: [{ name: "Logfile", description: "", baseType: "STRING", aspects: [] }], rows: [[{ type: "STRING", value: text }]],
	}, requestId);
	assert.equal(t.options.rxBuffer.length, 1024);
	const before = t.sent.length;
	t.deliverOversize(put("x".repeat(3000), 4001));
	t.deliver(put("short", 4002));
	const answers = t.sent.slice(before).filter((m) => m.kind === "response");
	assert.deepEqual(answers.map((m) => [m.requestId, m.code]), [[4001, Code.ENTITY_TOO_LARGE], [4002, Code.SUCCESS]]);
	assert.equal(h.thing.get("Logfile"), "short");
	assert.equal(h.client.stats.messagesRefused, 1);
	assert.deepEqual([t.closedWith, h.transports.length, h.client.stats.reconnects], [null, 1, 0], "the connection kept");
	assert.ok(h.errors.some((e) => e instanceof RequestError && e.code === Code.ENTITY_TOO_LARGE && / 3\d{3} bytes/.test(e.message)));
	assert.ok(h.errors.every((e) => !e.message.includes(KEY)));
});

test("an oversized answer is counted and its request left to time out, as a lost one", async () => {
	const h = setup({ chunkSize: 1024, requestTimeoutMs: 1000 });
	const t = synchronize(h);
	const read = readProperty(h.client, "Other", "Big", { queue: false });
	const asked = lastRequest(t, "Big");
	t.deliverOversize({ kind: "response", version: 1, code: Code.SUCCESS, requestId: asked.requestId, endpointId: 0, sessionId: 0xbeef, reason: null, contentType: 0xff, trailing: 0,
		content: { fields: [{ name: "Big", description: "", baseType: "STRING", aspects: [] }], rows: [[{ type: "STRING", value: "y".repeat(3000) }]] } });
	assert.equal(h.client.stats.messagesRefused, 1);
	assert.equal(t.sent.filter((m) => m.kind === "response" && m.requestId === asked.requestId).length, 0, "an answer is not answered");
	h.hal.advance(1200);
	await assert.rejects(read, (e: RequestError) => e.codeName === "GATEWAY_TIMEOUT");
	assert.equal(t.closedWith, null);
});

test("multipart without reassembly: every chunk dropped and counted, the request answered ENTITY_TOO_LARGE once, the connection kept", () => {
	const h = setup();
	const t = synchronize(h);
	const chunks = echoChunks("0123456789".repeat(2000), 3002);
	const before = t.sent.length;
	for (const chunk of chunks) t.deliverBytes(chunk);
	const answers = t.sent.slice(before).filter((m) => m.kind === "response");
	assert.deepEqual(answers.map((m) => [m.requestId, m.code]), [[3002, Code.ENTITY_TOO_LARGE]]);
	assert.equal(h.client.stats.chunksRefused, chunks.length);
	assert.equal(t.closedWith, null);
	t.deliver(request(Code.GET, "SteamSensor", Characteristic.PROPERTIES, "Temperature", null, 3003));
	assert.deepEqual(t.sent.slice(before).filter((m) => m.kind === "response").map((m) => [m.requestId, m.code]).at(-1), [3003, Code.SUCCESS], "still serving");
});

test("auth failure: a clear error, the connection closed, back-off that grows (no hot loop), key never shown", () => {
	const h = setup({ backoffBaseMs: 500, backoffCapMs: 30000 });
	h.hal.randomByte = 0xff; // every delay at its ceiling
	h.client.start();
	const startedAt = h.hal.t;
	const delays: number[] = [];
	while (h.hal.t - startedAt < 60000) {
		const t = h.t();
		t.accept();
		t.respond(t.last(), Code.UNAUTHORIZED, null, 0, "bad key " + KEY);
		assert.equal(t.closedWith, 1000);
		delays.push(h.hal.pendingOneShots()[0]);
		h.hal.advance(h.hal.pendingOneShots()[0]);
	}
	assert.deepEqual(delays.slice(0, 7), [499, 999, 1999, 3999, 7999, 15999, 29999]);
	assert.ok(h.transports.length <= 9, h.transports.length + " attempts in a minute");
	const error = h.errors[0] as RequestError;
	assert.equal(error.codeName, "UNAUTHORIZED");
	assert.match(error.message, /^UNAUTHORIZED: authentication refused/);
	const shown = [...h.errors.map((e) => e.message), ...h.hal.logs.map(([, m]) => m)].join("\n");
	assert.ok(!shown.includes(KEY), "the key leaked: " + shown);
	assert.ok(shown.includes("bad key ***"));
});

test("reconnect on any loss: re-AUTH, re-BIND, re-sync; values set offline and a push cut mid-flight are not lost", () => {
	const h = setup({ backoffBaseMs: 100, backoffCapMs: 800 });
	let t = synchronize(h);
	h.thing.set("Temperature", 1, 1);
	h.client.push();
	t.respond(lastRequest(t, "UpdateSubscribedPropertyValues"));
	h.thing.set("Temperature", 2, 2);
	h.client.push(); // in flight when the connection is cut
	t.drop();
	assert.ok(h.events.includes("unbound:SteamSensor"));
	assert.equal(h.client.state, "waiting");
	assert.equal(h.client.queued("SteamSensor"), 1, "the unanswered row is still queued");
	h.thing.set("Temperature", 3, 3);
	h.hal.advance(100);
	assert.equal(h.transports.length, 2);
	t = synchronize(h);
	const auths = t.sent.filter((m) => m.kind === "auth");
	assert.equal(auths.length, 1, "re-AUTH first");
	assert.deepEqual(pushed(t), ["Temperature=2@2", "Temperature=3@3"]);
	t.respond(lastRequest(t, "UpdateSubscribedPropertyValues"));
	assert.equal(h.client.queued("SteamSensor"), 0);
	assert.equal(h.client.stats.reconnects, 1);
});

test("a full offline queue drops the oldest rows, counts and reports them", () => {
	const h = setup({ queueBytes: 1024 });
	const reported: number[] = [];
	h.client.onDropped = (_name, rows) => reported.push(rows);
	for (let i = 0; i < 200; i++) h.thing.set("Temperature", i, i);
	const kept = h.client.queued("SteamSensor");
	const dropped = h.client.dropped("SteamSensor");
	assert.equal(kept + dropped, 200);
	assert.ok(dropped > 0);
	assert.equal(reported.reduce((a, b) => a + b, 0), dropped);
	assert.equal(h.client.stats.rowsDropped, dropped);
	const t = synchronize(h);
	while (h.client.queued("SteamSensor") > 0) t.respond(lastRequest(t, "UpdateSubscribedPropertyValues")); // a push takes at most half the queue
	assert.deepEqual(pushed(t), Array.from({ length: kept }, (_, i) => "Temperature=" + (200 - kept + i) + "@" + (200 - kept + i)));
});

test("stop(): UNBIND, close 1000, no reconnect; stop while waiting ends at once", async () => {
	const h = setup({ gateway: { name: "GW", type: "Edge" } });
	const t = synchronize(h);
	const stopped = h.client.stop();
	const unbind = t.last() as BindMessage;
	assert.deepEqual([unbind.kind, unbind.names, unbind.gateway], ["unbind", ["SteamSensor"], { name: "GW", type: "Edge" }]);
	assert.equal(t.closedWith, null);
	t.respond(unbind);
	assert.equal(t.closedWith, 1000);
	await stopped;
	assert.equal(h.client.state, "stopped");
	h.hal.advance(120000);
	assert.equal(h.transports.length, 1);

	const w = setup();
	w.client.start();
	w.t().drop("refused");
	assert.equal(w.client.state, "waiting");
	await w.client.stop();
	w.hal.advance(120000);
	assert.equal(w.transports.length, 1);
});

test("back-pressure: refused frames wait in order and go on onWritable; pushes resume", () => {
	const h = setup();
	const t = synchronize(h);
	t.full = true;
	h.thing.set("Temperature", 5, 5);
	h.client.push();
	t.deliver(request(Code.GET, "SteamSensor", Characteristic.PROPERTIES, "Temperature", null, 4001));
	const count = t.frames.length;
	t.full = false;
	t.onWritable!();
	const after = t.sent.slice(count);
	assert.equal(after[0].kind, "response");
	assert.equal((after[1] as RequestMessage).characteristicName, "UpdateSubscribedPropertyValues");
});

test("duty cycle: connected for percent of the period, then UNBIND + close, then back", () => {
	const h = setup({ dutyCycle: { percent: 25, periodMs: 4000 } });
	const t = synchronize(h);
	h.hal.advance(999);
	assert.equal(t.closedWith, null);
	h.hal.advance(1);
	const unbind = t.last() as BindMessage;
	assert.equal(unbind.kind, "unbind");
	t.respond(unbind);
	assert.equal(t.closedWith, 1000);
	h.hal.advance(2999);
	assert.equal(h.transports.length, 1);
	h.hal.advance(1);
	assert.equal(h.transports.length, 2);
	assert.equal(h.errors.length, 0);
});

test("AUTH or BIND unanswered in time: error, close, reconnect", () => {
	const h = setup({ authTimeoutMs: 300, backoffBaseMs: 50, backoffCapMs: 100 });
	h.client.start();
	h.t().accept();
	h.hal.advance(400);
	assert.equal(h.transports[0].closedWith, 1000);
	assert.equal((h.errors[0] as RequestError).codeName, "GATEWAY_TIMEOUT");
	h.hal.advance(200);
	assert.equal(h.transports.length, 2);
});

test("a transport that closes from inside send() leaves nothing queued for the next connection", () => {
	const h = setup({ backoffBaseMs: 10, backoffCapMs: 20 });
	const t = synchronize(h);
	t.commitMessage = () => {
		t.drop("reset while writing");
	};
	t.deliver(request(Code.GET, "SteamSensor", Characteristic.PROPERTIES, "Temperature", null, 5001));
	h.thing.set("Temperature", 1, 1);
	h.client.push();
	assert.equal(h.client.state, "waiting");
	h.hal.advance(50);
	const next = h.t();
	assert.notEqual(next, t);
	next.accept();
	assert.deepEqual(next.sent.map((m) => m.kind), ["auth"], "AUTH is the first and only message");
	assert.equal(h.client.queued("SteamSensor"), 1, "the value still waits for its push");
});

test("a misspelt option is refused with the closest valid name, and the key is not in the message", () => {
	const hal = new FakeHal();
	const config = { host: "h", port: 80, appKey: () => KEY, things: [steamThing()], chunkSzie: 4096 } as unknown as EdgeClientConfig;
	assert.throws(() => new EdgeClient(hal, config), (error: Error) => {
		assert.ok(error instanceof TypeError);
		assert.match(error.message, /unknown option chunkSzie \(did you mean chunkSize\?\)/);
		assert.doesNotMatch(error.message, new RegExp(KEY));
		return true;
	});
	const wrongCase = { host: "h", port: 80, appKey: () => KEY, things: [steamThing()], pingintervalms: 0 } as unknown as EdgeClientConfig;
	assert.throws(() => new EdgeClient(hal, wrongCase), /unknown option pingintervalms \(did you mean pingIntervalMs\?\)/);
});

test("one deadline timer: an idle connected client never wakes; a push timeout wakes it exactly at its deadline", () => {
	const h = setup({ requestTimeoutMs: 3000, pushRetryMs: 700 });
	const t = synchronize(h);
	h.thing.set("Temperature", 1, 10);
	h.client.push();
	t.respond(lastRequest(t, "UpdateSubscribedPropertyValues"));
	const fired = h.hal.fired;
	h.hal.advance(60000);
	assert.equal(h.hal.fired - fired, 0, "no wake-up in an idle minute");
	assert.deepEqual(h.hal.pendingOneShots(), [], "nothing scheduled while idle");
	h.thing.set("Temperature", 2, 20);
	h.client.push();
	h.hal.advance(2999);
	assert.equal(h.client.stats.timeouts, 0);
	const before = h.hal.fired;
	h.hal.advance(1);
	assert.deepEqual([h.client.stats.timeouts, h.client.stats.pushFailures, h.hal.fired - before], [1, 1, 1], "one wake-up, at the timeout");
	h.hal.advance(699);
	assert.equal(requests(t, "UpdateSubscribedPropertyValues").length, 2, "no retry before pushRetryMs");
	h.hal.advance(1);
	assert.equal(requests(t, "UpdateSubscribedPropertyValues").length, 3, "the retry, at pushRetryMs");
	t.respond(lastRequest(t, "UpdateSubscribedPropertyValues"));
	assert.deepEqual(h.hal.pendingOneShots(), []);
	assert.deepEqual(pushed(t), ["Temperature=1@10", "Temperature=2@20", "Temperature=2@20"]);
});

test("changes are pushed without push(): the values set in one turn go in one push, pushDelayMs batches longer", () => {
	const now = setup();
	const t = synchronize(now);
	now.thing.set("Temperature", 1, 1);
	now.thing.set("TemperatureLimit", 2, 1);
	assert.equal(requests(t, "UpdateSubscribedPropertyValues").length, 0, "not inside the turn that set them");
	now.hal.advance(0);
	assert.deepEqual(pushed(t), ["Temperature=1@1", "TemperatureLimit=2@1"]);

	const later = setup({ pushDelayMs: 1000 });
	const u = synchronize(later);
	later.thing.set("Temperature", 1, 1);
	later.hal.advance(500);
	later.thing.set("Temperature", 2, 2);
	later.hal.advance(499);
	assert.equal(requests(u, "UpdateSubscribedPropertyValues").length, 0);
	later.hal.advance(1);
	assert.deepEqual(pushed(u), ["Temperature=1@1", "Temperature=2@2"], "one push, pushDelayMs after the first change");

	const manual = setup({ autoPush: false });
	const v = synchronize(manual);
	manual.thing.set("Temperature", 1, 1);
	manual.hal.advance(60000);
	assert.equal(requests(v, "UpdateSubscribedPropertyValues").length, 0, "autoPush false: only push() pushes");
	manual.client.push();
	assert.deepEqual(pushed(v), ["Temperature=1@1"]);
});

test("the polling tick is gone: tickMs is an unknown option", () => {
	const config = { host: "h", port: 80, appKey: () => KEY, things: [steamThing()], tickMs: 100 } as unknown as EdgeClientConfig;
	assert.throws(() => new EdgeClient(new FakeHal(), config), /unknown option tickMs/);
});
