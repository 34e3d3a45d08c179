// Exact accounting (issue 12 point 3): `dropped` counts only rows that can no longer reach the platform.
// A seeded fake platform answers each push SUCCESS, refuses it, or stores it or not and then loses the
// answer (connection dropped, or never answered), while values are set faster than a small queue holds;
// every value set is then stored or counted dropped, never both: set = stored ∪ dropped, stored ⊆ set.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EdgeClient } from "../../src/client/index";
import { Characteristic, Code } from "../../src/protocol";
import type { InfoTable, RequestMessage, TypedValue } from "../../src/protocol/model";
import { Thing } from "../../src/thing/index";
import { FakeHal, FakeTransport, fakeTransports, request, subscriptions } from "./fakes";

const ALWAYS = subscriptions([["n", "ALWAYS", 0]]);

// What the fake platform does with a push.
const STORE_AND_ANSWER = 0;
const REFUSE = 1; // answered INTERNAL_SERVER_ERROR, not stored
const STORE_THEN_DROP = 2; // stored, the connection drops before the answer
const DROP = 3; // the connection drops before the push arrives
const STORE_SILENTLY = 4; // stored, never answered
// 5: neither stored nor answered

/** A seeded linear congruential generator: the same faults for the same seed. */
function random(seed: number): (n: number) => number {
	let state = seed >>> 0;
	return (n) => {
		state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
		return state % n;
	};
}

function values(m: RequestMessage): number[] {
	return (m.params!.rows[0][0].value as InfoTable).rows.map((row) => (row[1].value as TypedValue).value as number);
}

function campaign(seed: number, steps: number) {
	const next = random(seed);
	const hal = new FakeHal();
	const { transports, factory } = fakeTransports();
	const thing = new Thing({ name: "Counter", properties: [{ name: "n", baseType: "NUMBER" }] });
	const client = new EdgeClient(hal, {
		host: "localhost", port: 8080, tls: false, appKey: () => "key", things: [thing], queueBytes: 256, requestTimeoutMs: 1000,
		pushRetryMs: 50, backoffBaseMs: 100, backoffCapMs: 400, maxConsecutiveTimeouts: 2,
		transport: factory,
	});
	client.onError = () => {};
	const stored = new Set<number>();
	const handled = new Map<FakeTransport, number>();
	const faults = [0, 0, 0, 0, 0, 0];
	let set = 0;
	/** The platform's side: a new connection up to synchronized, then each new push as `outcome` says. */
	const serve = (outcome: () => number) => {
		const t = transports[transports.length - 1];
		if (t === undefined || t.closedWith !== null) return;
		if (!handled.has(t)) {
			handled.set(t, 0);
			t.accept();
			t.respond(t.last()); // AUTH
			t.respond(t.last()); // BIND
			t.deliver(request(Code.POST, "Counter", Characteristic.SERVICES, "NotifyPropertyUpdate", null));
			t.respond(t.last(), Code.SUCCESS, ALWAYS);
		}
		const pushes = t.sent.filter((m): m is RequestMessage => m.kind === "request" && m.characteristicName === "UpdateSubscribedPropertyValues");
		while (handled.get(t)! < pushes.length && t.closedWith === null) {
			const push = pushes[handled.get(t)!];
			handled.set(t, handled.get(t)! + 1);
			const what = outcome();
			faults[what]++;
			if (what === STORE_AND_ANSWER || what === STORE_THEN_DROP || what === STORE_SILENTLY) for (const v of values(push)) stored.add(v);
			if (what === STORE_AND_ANSWER) t.respond(push);
			else if (what === REFUSE) t.respond(push, Code.INTERNAL_SERVER_ERROR);
			else if (what === STORE_THEN_DROP || what === DROP) t.drop();
		}
	};
	client.start();
	for (let step = 0; step < steps; step++) {
		for (let k = next(8); k > 0; k--) thing.set("n", set++);
		hal.advance(next(4) === 0 ? 1200 : next(120));
		serve(() => (next(3) === 0 ? 1 + next(5) : STORE_AND_ANSWER));
	}
	// Faults end: the platform answers everything until the queue is empty.
	for (let round = 0; round < 200 && (client.queued("Counter") > 0 || !client.isSynchronized("Counter")); round++) {
		hal.advance(500);
		serve(() => STORE_AND_ANSWER);
	}
	assert.equal(client.queued("Counter"), 0, "drained");
	return { set, stored, dropped: client.dropped("Counter"), faults, stats: client.stats };
}

for (const seed of [1, 2, 3]) {
	test(`seed ${seed}: across refused, lost and unanswered pushes and a full queue, every value is stored or counted dropped, never both`, (t) => {
		const r = campaign(seed, 400);
		const notStored = r.set - [...r.stored].filter((v) => v >= 0 && v < r.set).length;
		t.diagnostic(`set ${r.set}, stored ${r.stored.size}, dropped ${r.dropped}; pushes stored+answered ${r.faults[0]}, refused ${r.faults[1]}, stored then cut ${r.faults[2]}, cut ${r.faults[3]}, stored unanswered ${r.faults[4]}, unanswered ${r.faults[5]}; reconnects ${r.stats.reconnects}`);
		assert.ok([...r.stored].every((v) => Number.isInteger(v) && v >= 0 && v < r.set), "stored ∖ set = ∅");
		assert.ok(r.dropped > 0 && r.faults.every((n) => n > 0), "the run exercised drops and every fault");
		assert.equal(r.dropped, notStored, "set = stored ∪ dropped, disjoint: dropped counts exactly the values never stored");
		assert.equal(r.stats.rowsDropped, r.dropped);
	});
}
