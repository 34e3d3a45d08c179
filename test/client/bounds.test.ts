// The client's bounds against a hostile or broken peer (issue 12 point 1): every queue and table it
// keeps for a peer is bounded by configuration; reaching a bound is counted and reported, and where the
// peer has stopped reading, the connection is failed rather than the queue grown.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bigString, createSteamSensorThing } from "../../src/apps/steamsensor/index";
import { EdgeClient, RequestError, invokeService, type EdgeClientConfig } from "../../src/client/index";
import { ConnectionError } from "../../src/client/index";
import { Characteristic, Code, encodeMessageToBytes } from "../../src/protocol";
import { FakeHal, FakeTransport, request } from "./fakes";

function harness(config: Partial<EdgeClientConfig> = {}) {
	const hal = new FakeHal();
	const transports: FakeTransport[] = [];
	const errors: Error[] = [];
	const steam = createSteamSensorThing("SteamSensor", { now: () => hal.now(), setLogging: () => {}, note: () => {} });
	const client = new EdgeClient(hal, {
		host: "localhost", port: 8080, tls: false, appKey: () => "key", things: [steam], autoPush: false,
		transport: (_hal, options) => {
			const t = new FakeTransport(options);
			transports.push(t);
			return t;
		},
		...config,
	});
	client.onError = (e) => errors.push(e);
	client.start();
	const t = transports[0];
	t.accept();
	t.respond(t.last()); // AUTH
	t.respond(t.last()); // BIND
	return { hal, client, transports, errors, t };
}

/** GetBigString requests, each answered with some 10 KB, delivered while the peer reads nothing; how many went in before the client closed. */
function askWithoutReading(t: FakeTransport, most: number): number {
	t.full = true;
	const big = (id: number) => encodeMessageToBytes(request(Code.POST, "SteamSensor", Characteristic.SERVICES, "GetBigString", null, id));
	let asked = 0;
	while (asked < most && t.closedWith === null) t.deliverBytes(big(5000 + asked++));
	return asked;
}

test("a peer that stops reading while it keeps asking: outboxMessages answers wait, the next one fails the connection (1008), reported; the client reconnects", () => {
	const h = harness({ outboxMessages: 5 });
	const asked = askWithoutReading(h.t, 6000);
	assert.equal(asked, 6, "five answers wait; the sixth finds the queue full");
	assert.equal(h.t.closedWith, 1008);
	const overflow = h.errors.filter((e) => e instanceof ConnectionError);
	assert.equal(overflow.length, 1, "reported once");
	assert.equal((overflow[0] as ConnectionError).kind, "outbox-full");
	assert.match(overflow[0].message, /^5 messages .*\(outboxMessages 5,/);
	h.hal.advance(31000);
	assert.equal(h.transports.length, 2, "a new connection");
	const next = h.transports[1];
	next.accept();
	assert.equal(next.frames.length, 1, "it starts clean: only its AUTH, none of the old answers");
});

test("outboxBytes bounds the memory of the waiting answers whatever their number", () => {
	const answer = bigString().length;
	const h = harness({ outboxMessages: 1000, outboxBytes: 65536 });
	const asked = askWithoutReading(h.t, 6000);
	assert.equal(h.t.closedWith, 1008);
	assert.ok(asked >= 2 && asked <= Math.floor(65536 / answer) + 1, asked + " requests before the close");
	assert.match(h.errors.find((e) => e instanceof ConnectionError)!.message, /outboxBytes 65536/);
});

test("a single answer bigger than outboxBytes is refused as ENTITY_TOO_LARGE (the request answered with an error), not a connection failure", () => {
	const h = harness({ outboxBytes: 8192 });
	h.t.deliver(request(Code.POST, "SteamSensor", Characteristic.SERVICES, "GetBigString", null, 77));
	assert.equal(h.t.closedWith, null);
	const last = h.t.last();
	assert.ok(last.kind === "response" && last.requestId === 77 && last.code === Code.INTERNAL_SERVER_ERROR, JSON.stringify(last));
	assert.match(last.kind === "response" ? last.reason ?? "" : "", /outboxBytes 8192/);
});

test("back-pressure within the bounds is no failure: the queued answers leave in order once the peer reads", () => {
	const h = harness({ outboxMessages: 5 });
	assert.equal(askWithoutReading(h.t, 5), 5);
	assert.equal(h.t.closedWith, null);
	h.t.full = false;
	h.t.onWritable!();
	const ids = h.t.sent.filter((m) => m.kind === "chunk" && m.chunkId === 1).map((m) => m.requestId);
	assert.deepEqual(ids, [5000, 5001, 5002, 5003, 5004]);
	assert.equal(h.errors.length, 0);
});

test("outbox options are checked", () => {
	assert.throws(() => harness({ outboxMessages: 0 }), /outboxMessages must be between 1/);
	assert.throws(() => harness({ outboxBytes: 100 }), /outboxBytes must be between 8192/);
});

test("a peer that answers nothing: maxPending direct requests wait, more are refused at once (SERVICE_UNAVAILABLE); the table frees at the timeouts", async () => {
	const h = harness({ maxPending: 3, maxConsecutiveTimeouts: 4 }); // three timeouts in a row are no loss here (recovery.test.ts)
	const outcomes: string[] = [];
	const ask = (i: number) => invokeService(h.client, "Other", "S" + i, null, { queue: false }).then(
		() => outcomes.push(i + ":answered"),
		(e: RequestError) => outcomes.push(i + ":" + e.codeName),
	);
	const asked = [1, 2, 3, 4, 5].map(ask);
	await Promise.all(asked.slice(3));
	assert.deepEqual(outcomes, ["4:SERVICE_UNAVAILABLE", "5:SERVICE_UNAVAILABLE"]);
	assert.equal(h.t.sent.filter((m) => m.kind === "request" && m.characteristicName.startsWith("S")).length, 3, "only the three that found a slot went out");
	h.hal.advance(10000 + 1000);
	await Promise.all(asked);
	assert.deepEqual(outcomes.slice(2).sort(), ["1:GATEWAY_TIMEOUT", "2:GATEWAY_TIMEOUT", "3:GATEWAY_TIMEOUT"]);
	const again = invokeService(h.client, "Other", "S6", null, { queue: false });
	h.t.respond(h.t.last());
	assert.equal(await again, null, "a slot is free again");
});
