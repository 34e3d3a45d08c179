// The offline request queue: events and service calls made offline wait, go out in order after
// synchronization, one at a time, and leave only on the platform's answer; a lost or unanswered one is
// sent again; the bounds (count and bytes) drop the oldest, counted and rejected, or refuse the new one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EdgeClient, RequestError, invokeService, type EdgeClientConfig } from "../../src/client/index";
import { Characteristic, Code, encodeMessageToBytes } from "../../src/protocol";
import type { RequestMessage } from "../../src/protocol/model";
import { Thing } from "../../src/thing/index";
import { FakeHal, FakeTransport, request } from "./fakes";

function harness(config: Partial<EdgeClientConfig> = {}) {
	const hal = new FakeHal();
	const transports: FakeTransport[] = [];
	const thing = new Thing({
		name: "Boiler",
		properties: [{ name: "t", baseType: "NUMBER" }],
		events: [{ name: "Alarm", shape: { name: "AlarmShape", fields: [{ name: "text", baseType: "STRING" }] } }],
	});
	const client = new EdgeClient(hal, {
		host: "localhost", port: 8080, tls: false, appKey: () => "key", things: [thing], requestTimeoutMs: 1000, pushRetryMs: 500,
		backoffBaseMs: 100, backoffCapMs: 100,
		transport: (_hal, options) => {
			const t = new FakeTransport(options);
			transports.push(t);
			return t;
		},
		...config,
	});
	const errors: Error[] = [];
	client.onError = (e) => errors.push(e);
	const t = () => transports[transports.length - 1];
	/** Plays the platform through AUTH and BIND on a new connection. */
	const bind = () => {
		if (client.state === "stopped") client.start();
		else hal.advance(100); // the reconnect delay (back-off capped at 100 ms)
		const c = t();
		c.accept();
		c.respond(c.last());
		c.respond(c.last());
		return c;
	};
	/** ... and synchronizes the thing. */
	const synchronize = (c: FakeTransport) => {
		c.deliver(request(Code.POST, "Boiler", Characteristic.SERVICES, "NotifyPropertyUpdate", null, 1001));
		c.respond(queued(c, "GetPropertySubscriptions").pop()!);
	};
	return { hal, client, thing, t, bind, synchronize, errors };
}

/** Requests named `name` (every one but the client's own when absent) sent on `c`. */
function queued(c: FakeTransport, name?: string): RequestMessage[] {
	return c.sent.filter((m): m is RequestMessage => m.kind === "request" && (name === undefined ? !["GetPropertySubscriptions", "UpdateSubscribedPropertyValues"].includes(m.characteristicName) : m.characteristicName === name));
}

function names(c: FakeTransport): string[] {
	return queued(c).map((m) => m.characteristicName + (m.params ? ":" + String(m.params.rows[0][0].value) : ""));
}

const text = (value: string) => ({ fields: [{ name: "text", description: "", baseType: "STRING" as const, aspects: [] }], rows: [[{ type: "STRING" as const, value }]] });

test("made offline: queued, then sent in order after synchronization, one at a time, each leaving on its answer", async () => {
	const h = harness();
	const outcomes: string[] = [];
	const note = (what: string) => (p: Promise<unknown>) => p.then((v) => outcomes.push(what + " ok " + JSON.stringify(v)), (e: RequestError) => outcomes.push(what + " " + e.codeName));
	note("e1")(h.thing.fireEvent("Alarm", { text: "one" }));
	note("s1")(invokeService(h.client, "Other", "Work", text("two")));
	note("e2")(h.thing.fireEvent("Alarm", { text: "three" }));
	assert.equal(h.client.requestsQueued, 3);
	const c = h.bind();
	assert.deepEqual(names(c), [], "bound, but Boiler is not synchronized: its event (the head) waits, and what follows it");
	h.synchronize(c);
	assert.deepEqual(names(c), ["Alarm:one"]);
	const [e1] = queued(c);
	assert.equal(e1.characteristicType, Characteristic.EVENTS);
	assert.equal(e1.entityName, "Boiler");
	assert.equal(e1.sessionId, 0xbeef, "the session of the connection it went out on");
	c.respond(e1);
	assert.deepEqual(names(c), ["Alarm:one", "Work:two"]);
	c.respond(queued(c)[1], Code.SUCCESS, text("done"));
	assert.deepEqual(names(c), ["Alarm:one", "Work:two", "Alarm:three"]);
	assert.equal(h.client.requestsQueued, 1, "the one in flight stays until answered");
	c.respond(queued(c)[2]);
	assert.equal(h.client.requestsQueued, 0);
	await new Promise((resolve) => setImmediate(resolve));
	assert.deepEqual(outcomes, ["e1 ok undefined", "s1 ok " + JSON.stringify(text("done")), "e2 ok undefined"]);
	const ids = queued(c).map((m) => m.requestId);
	assert.equal(new Set(ids).size, 3, "each with its own request id");
});

test("acked: a request whose connection is lost, or that goes unanswered, is sent again; a refusal rejects it and the next goes", async () => {
	const h = harness();
	const outcomes: string[] = [];
	const ask = (name: string) => invokeService(h.client, "Other", name).then(() => outcomes.push(name + " ok"), (e: RequestError) => outcomes.push(name + " " + e.codeName));
	const asked = [ask("A"), ask("B"), ask("C")];
	let c = h.bind();
	h.synchronize(c);
	assert.deepEqual(names(c), ["A"]);
	c.drop(); // A in flight, no answer
	c = h.bind();
	h.synchronize(c);
	assert.deepEqual(names(c), ["A"], "A again on the new connection, still first");
	h.hal.advance(1000); // requestTimeoutMs: unanswered
	assert.deepEqual(names(c), ["A"], "not again before pushRetryMs");
	assert.equal(h.client.stats.timeouts, 1);
	h.hal.advance(500);
	assert.deepEqual(names(c), ["A", "A"]);
	const [first, second] = queued(c);
	assert.notEqual(first.requestId, second.requestId);
	c.respond(first); // the late answer to the first attempt: not the one awaited
	assert.deepEqual(names(c), ["A", "A"], "a late answer settles nothing");
	c.respond(second, Code.NOT_FOUND, null, 0xbeef, "no thing Other");
	assert.deepEqual(names(c), ["A", "A", "B"], "a refusal is an answer: A leaves, B goes");
	c.respond(queued(c)[2]);
	c.respond(queued(c)[3]);
	await Promise.all(asked);
	assert.deepEqual(outcomes, ["A NOT_FOUND", "B ok", "C ok"]);
	assert.deepEqual(names(c), ["A", "A", "B", "C"]);
	assert.equal(h.client.requestsQueued, 0);
});

test("bounded by requestQueueLength: the oldest dropped, rejected and counted; refuseWhenFull refuses the new one instead", async () => {
	const h = harness({ requestQueueLength: 3 });
	const outcomes: string[] = [];
	const ask = (name: string, refuseWhenFull = false) => invokeService(h.client, "Other", name, null, { refuseWhenFull }).then(() => outcomes.push(name + " ok"), (e: RequestError) => outcomes.push(name + " " + e.codeName + " " + e.reason));
	const asked = ["A", "B", "C", "D", "E"].map((n) => ask(n));
	asked.push(ask("F", true));
	assert.equal(h.client.requestsQueued, 3);
	assert.deepEqual([h.client.stats.requestsDropped, h.client.stats.requestsRefused], [2, 1]);
	const c = h.bind();
	h.synchronize(c);
	for (let i = 0; i < 3; i++) c.respond(queued(c)[i]);
	await Promise.all(asked);
	assert.deepEqual(names(c), ["C", "D", "E"]);
	assert.deepEqual(outcomes, [
		"A SERVICE_UNAVAILABLE dropped from the full request queue",
		"B SERVICE_UNAVAILABLE dropped from the full request queue",
		"F SERVICE_UNAVAILABLE the request queue is full (requestQueueLength 3)",
		"C ok", "D ok", "E ok",
	]);
});

test("bounded by requestQueueBytes: the oldest make room for a big request; one that can never fit is refused and drops nothing", async () => {
	const size = (name: string, value: string) => encodeMessageToBytes(request(Code.POST, "Other", Characteristic.SERVICES, name, text(value))).length;
	const small = size("A", "x");
	const h = harness({ requestQueueBytes: 3 * (2 + small) + 2 }); // three small ones fill it exactly
	const outcomes = new Map<string, string>();
	const ask = (name: string, value: string, refuseWhenFull = false) => invokeService(h.client, "Other", name, text(value), { refuseWhenFull }).then(() => outcomes.set(name, "ok"), (e: RequestError) => outcomes.set(name, e.codeName));
	const asked = [ask("A", "x"), ask("B", "y"), ask("C", "z")];
	assert.equal(h.client.requestsQueued, 3);
	asked.push(ask("Huge", "h".repeat(4 * small)));
	asked.push(ask("Refused", "r", true));
	assert.deepEqual([h.client.requestsQueued, h.client.stats.requestsDropped], [3, 0], "one never fits, one would need a drop: both refused, nothing dropped");
	const big = "b".repeat(small + 2 - size("Big", "") + 1); // one byte more than a small entry's room: two must go
	assert.ok(size("Big", big) > small + 2 && size("Big", big) <= 2 * (small + 2));
	asked.push(ask("Big", big));
	assert.deepEqual([h.client.requestsQueued, h.client.stats.requestsDropped, h.client.stats.requestsRefused], [2, 2, 2]);
	const c = h.bind();
	h.synchronize(c);
	c.respond(queued(c)[0]);
	c.respond(queued(c)[1]);
	await Promise.all(asked);
	assert.deepEqual(queued(c).map((m) => m.characteristicName), ["C", "Big"]);
	assert.deepEqual(Object.fromEntries(outcomes), { A: "SERVICE_UNAVAILABLE", B: "SERVICE_UNAVAILABLE", Huge: "ENTITY_TOO_LARGE", Refused: "SERVICE_UNAVAILABLE", C: "ok", Big: "ok" });
});

test("queue: false fails at once while offline, as before", async () => {
	const h = harness();
	await assert.rejects(invokeService(h.client, "Other", "X", null, { queue: false }), (e: RequestError) => e.codeName === "SERVICE_UNAVAILABLE" && e.reason === "not connected");
	assert.equal(h.client.requestsQueued, 0);
});
