// Loss detection and recovery (issue 12 point 2), on a controlled clock: a connection that looks alive
// but has stopped working is detected, counted, reported through onRecovery and made again, without
// losing the values queued on it, and never in a loop faster than the back-off.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConnectionError, EdgeClient, type EdgeClientConfig } from "../../src/client/index";
import { Characteristic, Code, encodeChunk, encodeMessageToBytes, Reassembler } from "../../src/protocol";
import type { InfoTable, RequestMessage, TypedValue } from "../../src/protocol/model";
import { Thing } from "../../src/thing/index";
import { WebSocketError } from "../../src/ws/error";
import { FakeHal, FakeTransport, fakeTransports, request, subscriptions } from "./fakes";

const ALWAYS = subscriptions([["n", "ALWAYS", 0]]);

function setup(config: Partial<EdgeClientConfig> = {}) {
	const hal = new FakeHal();
	hal.randomByte = 0xff; // every back-off delay at its ceiling
	const { transports, factory } = fakeTransports();
	const thing = new Thing({ name: "Counter", properties: [{ name: "n", baseType: "NUMBER" }] });
	const errors: Error[] = [];
	const recoveries: string[] = [];
	const client = new EdgeClient(hal, {
		host: "localhost", port: 8080, tls: false, appKey: () => "key", things: [thing], requestTimeoutMs: 1000, pushRetryMs: 100,
		transport: factory,
		...config,
	});
	client.onError = (e) => errors.push(e);
	client.onRecovery = (kind, thing) => recoveries.push(kind + ":" + thing);
	client.start();
	return { hal, client, thing, transports, errors, recoveries, t: () => transports[transports.length - 1] };
}

type Harness = ReturnType<typeof setup>;

function requests(t: FakeTransport, name: string): RequestMessage[] {
	return t.sent.filter((m): m is RequestMessage => m.kind === "request" && m.characteristicName === name);
}

/** Plays the platform up to synchronized on the newest connection. */
function synchronize(h: Harness): FakeTransport {
	const t = h.t();
	t.accept();
	t.respond(t.last()); // AUTH
	t.respond(t.last()); // BIND
	t.deliver(request(Code.POST, "Counter", Characteristic.SERVICES, "NotifyPropertyUpdate", null));
	const sync = requests(t, "GetPropertySubscriptions");
	t.respond(sync[sync.length - 1], Code.SUCCESS, ALWAYS);
	return t;
}

/** The values of n in the pushes sent on `t`. */
function pushed(t: FakeTransport): number[] {
	const out: number[] = [];
	for (const m of requests(t, "UpdateSubscribedPropertyValues")) {
		for (const row of (m.params!.rows[0][0].value as InfoTable).rows) out.push((row[1].value as TypedValue).value as number);
	}
	return out;
}

test("maxConsecutiveTimeouts pushes in a row unanswered: the connection is lost (1008), counted, reported once; the values go out on the next one", () => {
	const h = setup({ maxConsecutiveTimeouts: 3 });
	const t = synchronize(h);
	for (const v of [1, 2, 3]) h.thing.set("n", v);
	h.hal.advance(0);
	assert.deepEqual(pushed(t), [1, 2, 3]);
	h.hal.advance(1000 + 100 + 1000); // two pushes unanswered: not yet a loss
	assert.equal(requests(t, "UpdateSubscribedPropertyValues").length, 2);
	assert.equal(t.closedWith, null);
	h.hal.advance(100 + 1000); // the third
	assert.equal(requests(t, "UpdateSubscribedPropertyValues").length, 3);
	assert.equal(t.closedWith, 1008);
	assert.deepEqual(h.recoveries, ["unanswered:null"]);
	assert.equal(h.client.stats.lostUnanswered, 1);
	const lost = h.errors.filter((e) => e instanceof ConnectionError) as ConnectionError[];
	assert.deepEqual(lost.map((e) => e.kind), ["unanswered"]);
	assert.match(lost[0].message, /^3 requests in a row not answered within 1000 ms/);
	assert.equal(h.client.queued("Counter"), 3, "the rows stay queued");
	h.hal.advance(1000); // the back-off's first delay (500 ms at most)
	assert.equal(h.transports.length, 2, "connected again");
	const next = synchronize(h);
	assert.deepEqual(pushed(next), [1, 2, 3]);
	next.respond(requests(next, "UpdateSubscribedPropertyValues")[0]);
	assert.equal(h.client.queued("Counter"), 0);
	assert.equal(h.client.stats.rowsDropped, 0);
});

test("any answer ends the streak: timeouts separated by answers are no loss", () => {
	const h = setup({ maxConsecutiveTimeouts: 2 });
	const t = synchronize(h);
	for (let round = 0; round < 4; round++) {
		h.thing.set("n", round);
		h.hal.advance(1000 + 100); // unanswered
		const all = requests(t, "UpdateSubscribedPropertyValues");
		t.respond(all[all.length - 1]); // the retry is answered
		h.hal.advance(200);
	}
	assert.equal(h.client.stats.timeouts, 4);
	assert.equal(t.closedWith, null);
	assert.deepEqual(h.recoveries, []);
	assert.equal(h.client.queued("Counter"), 0);
});

test("application requests count too: a platform that answers nothing is left after maxConsecutiveTimeouts of them", async () => {
	const h = setup({ maxConsecutiveTimeouts: 2 });
	const t = synchronize(h);
	const asked = [h.client.request(Code.POST, "Other", Characteristic.SERVICES, "A", null, { queue: false }), h.client.request(Code.POST, "Other", Characteristic.SERVICES, "B", null, { queue: false })];
	h.hal.advance(1000);
	const outcomes = await Promise.allSettled(asked);
	assert.deepEqual(outcomes.map((o) => o.status === "rejected" && (o.reason as Error).message), ["GATEWAY_TIMEOUT: no answer within 1000 ms", "GATEWAY_TIMEOUT: no answer within 1000 ms"]);
	assert.equal(t.closedWith, 1008);
	assert.deepEqual(h.recoveries, ["unanswered:null"]);
});

test("a platform that wedges every connection is retried ever more slowly (the back-off is not reset by a detected loss)", () => {
	const h = setup({ maxConsecutiveTimeouts: 1, backoffBaseMs: 500, backoffCapMs: 8000 });
	const delays: number[] = [];
	for (let round = 0; round < 6; round++) {
		const t = synchronize(h);
		h.thing.set("n", round);
		h.hal.advance(20000); // bound for longer than backoffCapMs, which would count as a stable connection
		assert.equal(t.closedWith, 1008, "round " + round);
		const logged = h.hal.logs.map(([, m]) => /reconnecting in (\d+) ms/.exec(m)).filter((m) => m !== null);
		delays.push(Number(logged[logged.length - 1]![1]));
		assert.equal(h.transports.length, round + 2);
	}
	assert.deepEqual(delays.map((d) => Math.round(d / 100) * 100), [500, 1000, 2000, 4000, 8000, 8000]);
	assert.equal(h.client.stats.lostUnanswered, 6);
	const last = synchronize(h);
	h.hal.advance(0);
	assert.deepEqual(pushed(last), [0, 1, 2, 3, 4, 5], "every value still queued, none dropped");
});

/** Chunk `k` of 2 of a platform request too big for one 8192-byte chunk. */
function chunkOf(k: number, requestId: number): Uint8Array {
	const text = "x".repeat(9000);
	const whole = encodeMessageToBytes({
		...request(Code.POST, "Counter", Characteristic.SERVICES, "Big", { fields: [{ name: "text", description: "", baseType: "STRING", aspects: [] }], rows: [[{ type: "STRING", value: text }]] }),
		requestId,
	});
	const into = new Uint8Array(8192);
	return into.slice(0, encodeChunk(whole, whole.length, k, 8192, into, 0));
}

test("a multipart message left unfinished for messageTimeoutMs with nothing else received: the connection is lost (stale-message) and made again", () => {
	const h = setup({ messageTimeoutMs: 5000, reassembly: Reassembler });
	const t = synchronize(h);
	h.hal.advance(1000);
	t.deliverBytes(chunkOf(1, 77));
	h.hal.advance(4999);
	assert.equal(t.closedWith, null);
	h.hal.advance(1);
	assert.equal(t.closedWith, 1008);
	assert.deepEqual(h.recoveries, ["stale-message:null"]);
	assert.equal(h.client.stats.lostStaleMessage, 1);
	h.hal.advance(1000);
	assert.equal(h.transports.length, 2);
});

test("a multipart set that goes stale while other messages still come is dropped, not a loss", () => {
	const h = setup({ messageTimeoutMs: 5000, reassembly: Reassembler });
	const t = synchronize(h);
	t.deliverBytes(chunkOf(1, 77));
	h.hal.advance(3000);
	t.deliver(request(Code.GET, "Counter", Characteristic.PROPERTIES, "n", null, 78)); // the platform works
	h.hal.advance(2500);
	assert.equal(t.closedWith, null);
	assert.deepEqual(h.recoveries, []);
	t.deliverBytes(chunkOf(2, 77)); // too late: its set is gone
	assert.equal(requests(t, "Big").length + t.sent.filter((m) => m.kind === "response" && m.requestId === 77).length, 0, "never answered");
});

test("a WebSocket message left unfinished (the WebSocket client fails it, 1008 timeout) counts as a stale-message recovery", () => {
	const h = setup();
	const t = synchronize(h);
	t.onClose!(1008, "", new WebSocketError("timeout", "a message left unfinished for over 50000 ms", 1008));
	assert.deepEqual(h.recoveries, ["stale-message:null"]);
	assert.equal(h.client.stats.lostStaleMessage, 1);
	assert.ok(h.errors.some((e) => e instanceof WebSocketError && e.kind === "timeout"));
});

test("an outbox overflow is a recovery too (outbox-full)", () => {
	const h = setup({ outboxMessages: 1 });
	const t = synchronize(h);
	t.full = true;
	for (let id = 500; t.closedWith === null && id < 510; id++) t.deliver(request(Code.GET, "Counter", Characteristic.PROPERTIES, "n", null, id));
	assert.equal(t.closedWith, 1008);
	assert.deepEqual(h.recoveries, ["outbox-full:null"]);
	assert.equal(h.client.stats.lostOutboxFull, 1);
});

test("maxConsecutiveTimeouts is checked", () => {
	assert.throws(() => setup({ maxConsecutiveTimeouts: 0 }), /maxConsecutiveTimeouts must be between 1 and 1000, not 0/);
});

/** The push and BIND requests of `t`. */
function binds(t: FakeTransport): string[][] {
	return t.sent.filter((m) => m.kind === "bind").map((m) => (m as { names: string[] }).names);
}

test("a push answered FORBIDDEN for a bound thing: the binding is lost; that thing alone is bound again and re-synchronized, then its values go out", () => {
	const h = setup({ pushRetryMs: 100 });
	const events: string[] = [];
	h.client.onBound = (n) => events.push("bound:" + n);
	h.client.onUnbound = (n) => events.push("unbound:" + n);
	const t = synchronize(h);
	events.length = 0;
	for (const v of [1, 2]) h.thing.set("n", v);
	h.hal.advance(0);
	t.respond(requests(t, "UpdateSubscribedPropertyValues")[0], Code.FORBIDDEN, null, 0xbeef, "thing Counter is not bound on this connection");
	assert.deepEqual(h.recoveries, ["binding-lost:Counter"]);
	assert.equal(h.client.stats.bindingsLost, 1);
	assert.match(h.errors.find((e) => e instanceof ConnectionError)!.message, /^UpdateSubscribedPropertyValues of Counter refused \(FORBIDDEN\): its binding is lost; bound again in 100 ms/);
	assert.deepEqual(events, ["unbound:Counter"]);
	h.thing.set("n", 3);
	h.hal.advance(99);
	assert.equal(binds(t).length, 1, "the re-BIND waits pushRetryMs");
	h.hal.advance(1);
	assert.deepEqual(binds(t), [["Counter"], ["Counter"]], "a BIND of that thing alone");
	assert.equal(requests(t, "UpdateSubscribedPropertyValues").length, 1, "no push before it is synchronized again");
	t.respond(t.last());
	assert.deepEqual(events, ["unbound:Counter", "bound:Counter"]);
	t.deliver(request(Code.POST, "Counter", Characteristic.SERVICES, "NotifyPropertyUpdate", null, 2002));
	t.respond(requests(t, "GetPropertySubscriptions")[1], Code.SUCCESS, ALWAYS);
	h.hal.advance(0);
	const again = requests(t, "UpdateSubscribedPropertyValues");
	assert.equal(again.length, 2);
	assert.deepEqual(pushed(t).slice(2), [1, 2, 3], "the refused rows and the new one, in order");
	t.respond(again[1]);
	assert.equal(h.client.queued("Counter"), 0);
	assert.equal(t.closedWith, null, "the connection serves on");
});

test("NOT_FOUND is a lost binding too; a re-BIND refused again and again is retried ever later, at most backoffCapMs apart", () => {
	const h = setup({ pushRetryMs: 100, backoffCapMs: 1600 });
	const t = synchronize(h);
	h.thing.set("n", 1);
	h.hal.advance(0);
	t.respond(requests(t, "UpdateSubscribedPropertyValues")[0], Code.NOT_FOUND);
	assert.deepEqual(h.recoveries, ["binding-lost:Counter"]);
	const at: number[] = [];
	const start = h.hal.t;
	for (let k = 0; k < 8; k++) {
		const before = binds(t).length;
		for (let step = 0; step < 400 && binds(t).length === before; step++) h.hal.advance(10);
		assert.equal(binds(t).length, before + 1, "re-BIND " + k);
		at.push(h.hal.t - start);
		t.respond(t.last(), Code.FORBIDDEN);
	}
	const gaps = at.map((x, i) => x - (i === 0 ? 0 : at[i - 1]));
	assert.deepEqual(gaps, [100, 200, 400, 800, 1600, 1600, 1600, 1600]);
	assert.equal(h.client.stats.bindingsLost, 1, "one loss, its re-BINDs refused (reported to onError)");
	assert.equal(h.client.queued("Counter"), 1, "the value stays queued");
	assert.equal(t.closedWith, null);
});
