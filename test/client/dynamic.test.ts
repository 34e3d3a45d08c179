/*
 * Things added and removed on a live connection (addThing, removeThing, bindAgain): each gets a BIND or
 * UNBIND of its own, is synchronized before its first push with its values queued meanwhile, and every
 * reconnect binds exactly the registered set. The test plays the platform through the fake transport.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { EdgeClient, type EdgeClientConfig } from "../../src/client/index";
import { Characteristic, Code } from "../../src/protocol";
import type { BindMessage, InfoTable, Message, RequestMessage, TypedValue } from "../../src/protocol/model";
import { Thing } from "../../src/thing/index";
import { FakeHal, FakeTransport, request } from "./fakes";

function thing(name: string): Thing {
	return new Thing({ name, properties: [{ name: "Level", baseType: "NUMBER" }] });
}

function setup(things: Thing[], config: Partial<EdgeClientConfig> = {}) {
	const hal = new FakeHal();
	const transports: FakeTransport[] = [];
	const events: string[] = [];
	const errors: Error[] = [];
	const client = new EdgeClient(hal, {
		host: "localhost", port: 8080, tls: false, appKey: () => "key", things, maxThings: 3, backoffBaseMs: 100, backoffCapMs: 100,
		transport: (_hal, options) => {
			const t = new FakeTransport(options);
			transports.push(t);
			return t;
		},
		...config,
	});
	client.onBound = (n) => events.push("bound:" + n);
	client.onUnbound = (n) => events.push("unbound:" + n);
	client.onSynchronized = (n) => events.push("synchronized:" + n);
	client.onError = (e) => errors.push(e);
	const t = () => transports[transports.length - 1];
	return { hal, client, transports, events, errors, t };
}

type Harness = ReturnType<typeof setup>;

/** BIND and UNBIND messages sent on `t` since index `from`, as "bind:A,B". */
function binds(t: FakeTransport, from = 0): string[] {
	return t.sent.slice(from).filter((m): m is BindMessage => m.kind === "bind" || m.kind === "unbind").map((m) => m.kind + ":" + m.names.join(","));
}

function lastOf(t: FakeTransport, kind: "bind" | "unbind"): BindMessage {
	const all = t.sent.filter((m): m is BindMessage => m.kind === kind);
	assert.ok(all.length > 0, "no " + kind + " sent");
	return all[all.length - 1];
}

function requests(t: FakeTransport, name: string, entity?: string): RequestMessage[] {
	return t.sent.filter((m): m is RequestMessage => m.kind === "request" && m.characteristicName === name && (entity === undefined || m.entityName === entity));
}

function subscriptions(property: string): InfoTable {
	return {
		fields: [
			{ name: "edgeName", description: "", baseType: "STRING", aspects: [] },
			{ name: "pushType", description: "", baseType: "STRING", aspects: [] },
			{ name: "pushThreshold", description: "", baseType: "NUMBER", aspects: [] },
		],
		rows: [[{ type: "STRING", value: property }, { type: "STRING", value: "ALWAYS" }, { type: "NUMBER", value: 0 }]],
	};
}

/** Values pushed for `entity` on `t`, as "name=value@time". */
function pushed(t: FakeTransport, entity: string): string[] {
	const out: string[] = [];
	for (const m of requests(t, "UpdateSubscribedPropertyValues", entity)) {
		const inner = m.params!.rows[0][0].value as InfoTable;
		for (const r of inner.rows) out.push(r[0].value + "=" + JSON.stringify((r[1].value as TypedValue).value) + "@" + r[2].value);
	}
	return out;
}

/** The platform's side of a synchronization: NotifyPropertyUpdate, then the answer to GetPropertySubscriptions. */
function synchronize(t: FakeTransport, name: string): void {
	t.deliver(request(Code.POST, name, Characteristic.SERVICES, "NotifyPropertyUpdate", null, 2000 + t.frames.length));
	const asked = requests(t, "GetPropertySubscriptions", name);
	assert.ok(asked.length > 0, name + ": no GetPropertySubscriptions");
	t.respond(asked[asked.length - 1], Code.SUCCESS, subscriptions("Level"));
}

/** Connect, AUTH, answer the BIND after AUTH (if any) and synchronize what it named. */
function connect(h: Harness): FakeTransport {
	if (h.client.state === "stopped") h.client.start();
	else h.hal.advance(100); // the reconnect delay (back-off capped at 100 ms)
	const t = h.t();
	t.accept();
	t.respond(t.sent[0]);
	const bind = t.sent.find((m): m is BindMessage => m.kind === "bind");
	if (bind !== undefined) {
		t.respond(bind);
		for (const name of bind.names) synchronize(t, name);
	}
	return t;
}

test("a thing added on a live, synchronized connection: a BIND of just it, synchronized before its first push, its values queued meanwhile", () => {
	const a = thing("A");
	const h = setup([a]);
	const t = connect(h);
	a.set("Level", 1, 10);
	h.hal.advance(0);
	t.respond(requests(t, "UpdateSubscribedPropertyValues", "A")[0]);
	const before = t.frames.length;

	const b = thing("B");
	b.set("Level", 5, 50); // set before it is registered: queued at registration
	h.client.addThing(b);
	b.set("Level", 6, 60);
	assert.deepEqual(binds(t, before), [], "the BIND waits for the end of the turn (one BIND for the things of a turn)");
	h.hal.advance(0);
	assert.deepEqual(binds(t, before), ["bind:B"], "only B is bound; A is not bound again");
	assert.equal(h.client.isBound("B"), false, "not bound before the platform answers");
	t.respond(lastOf(t, "bind"));
	assert.equal(h.client.isBound("B"), true);
	b.set("Level", 7, 70);
	h.hal.advance(1000);
	assert.deepEqual(pushed(t, "B"), [], "nothing of B is pushed before its synchronization");
	assert.equal(h.client.queued("B"), 3);
	synchronize(t, "B");
	assert.deepEqual(pushed(t, "B"), ["Level=5@50", "Level=6@60", "Level=7@70"]);
	t.respond(requests(t, "UpdateSubscribedPropertyValues", "B")[0]);
	assert.equal(h.client.queued("B"), 0);
	assert.equal(h.client.isSynchronized("A"), true, "A stays synchronized throughout");
	assert.deepEqual(h.events, ["bound:A", "synchronized:A", "bound:B", "synchronized:B"]);
	assert.deepEqual(h.errors, []);
});

test("things added in one turn share one BIND; each is synchronized on its own", () => {
	const h = setup([], { maxThings: 3 });
	const t = connect(h);
	assert.equal(h.client.state, "connected", "no things: connected without a BIND");
	assert.deepEqual(binds(t), []);
	h.client.addThing(thing("B"));
	h.client.addThing(thing("C"));
	h.hal.advance(0);
	assert.deepEqual(binds(t), ["bind:B,C"]);
	t.respond(lastOf(t, "bind"));
	synchronize(t, "C");
	assert.deepEqual([h.client.isSynchronized("B"), h.client.isSynchronized("C")], [false, true]);
});

test("a thing removed on a live connection: an UNBIND of just it, its requests abandoned, the others untouched", () => {
	const a = thing("A");
	const b = thing("B");
	const h = setup([a, b]);
	const t = connect(h);
	b.set("Level", 1, 10);
	h.hal.advance(0);
	const inFlight = requests(t, "UpdateSubscribedPropertyValues", "B")[0];
	const before = t.frames.length;
	assert.equal(h.client.removeThing("B"), true);
	assert.deepEqual(binds(t, before), ["unbind:B"]);
	assert.deepEqual([h.client.isBound("B"), h.client.queued("B"), h.client.things.map((x) => x.name).join()], [false, 0, "A"]);
	assert.ok(h.events.includes("unbound:B"));
	t.respond(inFlight); // the answer to B's push matches nothing any more
	assert.equal(h.client.stats.unmatchedResponses, 1);
	t.respond(lastOf(t, "unbind"));
	t.deliver(request(Code.GET, "B", Characteristic.PROPERTIES, "Level", null, 3001));
	assert.equal((t.last() as Message & { code: number }).code, Code.NOT_FOUND, "a removed thing is not answered for");
	a.set("Level", 2, 20);
	h.hal.advance(0);
	assert.deepEqual(pushed(t, "A"), ["Level=2@20"]);
	assert.equal(h.client.removeThing("B"), false, "removed already");
	assert.deepEqual(h.errors, []);
});

test("maxThings bounds the registered set; a freed slot takes a new thing with an empty queue; names are unique", () => {
	const h = setup([thing("A"), thing("B")], { maxThings: 2 });
	assert.throws(() => h.client.addThing(thing("C")), (e: Error) => e instanceof RangeError && /2 things are registered already \(maxThings\)/.test(e.message));
	assert.throws(() => h.client.addThing(thing("A")), (e: Error) => e instanceof TypeError && /A is registered already/.test(e.message));
	(h.client.things[1] as Thing).set("Level", 1, 1);
	assert.equal(h.client.queued("B"), 1);
	h.client.removeThing("B");
	const c = thing("C");
	h.client.addThing(c);
	assert.equal(h.client.queued("C"), 0, "the slot's queue starts empty");
	c.set("Level", 3, 3);
	assert.equal(h.client.queued("C"), 1);
	assert.throws(() => new EdgeClient(new FakeHal(), { host: "h", port: 1, appKey: () => "k", things: [] }), /at least one thing is required, or maxThings/);
	assert.throws(() => new EdgeClient(new FakeHal(), { host: "h", port: 1, appKey: () => "k", things: [thing("A"), thing("B")], maxThings: 1 }), /2 given, over maxThings 1/);
});

test("after a reconnect exactly the registered set is bound again: added things in, removed things out", () => {
	const h = setup([thing("A"), thing("B")]);
	let t = connect(h);
	h.client.removeThing("A");
	h.client.addThing(thing("C"));
	h.hal.advance(0);
	t.respond(lastOf(t, "bind"));
	t.drop();
	assert.equal(h.client.isBound("C"), false);
	t = connect(h);
	assert.deepEqual(binds(t), ["bind:C,B"], "C took A's freed slot: slot order");
	assert.deepEqual([h.client.isSynchronized("B"), h.client.isSynchronized("C")], [true, true]);
});

test("a thing added while the BIND after AUTH is on its way gets its own BIND once that is answered", () => {
	const h = setup([thing("A")]);
	h.client.start();
	const t = h.t();
	t.accept();
	t.respond(t.sent[0]);
	h.client.addThing(thing("B"));
	h.hal.advance(0);
	assert.deepEqual(binds(t), ["bind:A"]);
	t.respond(lastOf(t, "bind"));
	h.hal.advance(0);
	assert.deepEqual(binds(t), ["bind:A", "bind:B"]);
	t.respond(lastOf(t, "bind"));
	assert.deepEqual([h.client.isBound("A"), h.client.isBound("B")], [true, true]);
});

test("a thing added offline is named by the BIND after AUTH", () => {
	const h = setup([thing("A")]);
	h.client.addThing(thing("B"));
	const t = connect(h);
	assert.deepEqual(binds(t), ["bind:A,B"]);
});

test("a refused BIND of its own: reported, the thing stays registered and unbound, left out of later BINDs until bindAgain", () => {
	const h = setup([thing("A")]);
	let t = connect(h);
	h.client.addThing(thing("Nope"));
	h.hal.advance(0);
	t.respond(lastOf(t, "bind"), Code.NOT_FOUND, null, 0xbeef, "unknown thing: Nope");
	assert.equal(h.client.isBound("Nope"), false);
	assert.equal(h.client.state, "connected", "the connection and A are not affected");
	assert.equal(h.errors.length, 1);
	assert.match(h.errors[0].message, /BIND refused \(unknown thing: Nope\)/);
	t.drop();
	t = connect(h);
	assert.deepEqual(binds(t), ["bind:A"], "a refused thing does not fail the reconnect's BIND");
	assert.equal(h.client.bindAgain("Nope"), true);
	h.hal.advance(0);
	assert.deepEqual(binds(t), ["bind:A", "bind:Nope"]);
	t.respond(lastOf(t, "bind"));
	assert.equal(h.client.isBound("Nope"), true);
	assert.equal(h.client.bindAgain("Missing"), false);
});

test("bindAgain of a bound thing (the platform lost its binding): a BIND of it alone, values queued until it is synchronized again", () => {
	const a = thing("A");
	const h = setup([a, thing("B")]);
	const t = connect(h);
	const before = t.frames.length;
	assert.equal(h.client.bindAgain("A"), true);
	assert.equal(h.client.isSynchronized("A"), false);
	a.set("Level", 4, 40);
	h.hal.advance(0);
	assert.deepEqual(binds(t, before), ["bind:A"]);
	t.respond(lastOf(t, "bind"));
	h.hal.advance(1000);
	assert.deepEqual(pushed(t, "A"), []);
	synchronize(t, "A");
	assert.deepEqual(pushed(t, "A"), ["Level=4@40"]);
	assert.equal(h.client.isSynchronized("B"), true);
});

test("a thing removed while its own BIND is on its way is unbound after it; an unanswered BIND of its own fails the connection", () => {
	const h = setup([thing("A")], { requestTimeoutMs: 500 });
	let t = connect(h);
	h.client.addThing(thing("B"));
	h.hal.advance(0);
	h.client.removeThing("B");
	assert.deepEqual(binds(t), ["bind:A", "bind:B", "unbind:B"], "the platform binds B, then unbinds it, in order");
	assert.ok(!h.events.includes("unbound:B"), "B was never bound here");
	t.respond(lastOf(t, "unbind"));

	h.client.addThing(thing("C"));
	h.hal.advance(0);
	h.hal.advance(500);
	assert.match(h.errors[h.errors.length - 1].message, /BIND not answered in time/);
	assert.equal(t.closedWith, 1000);
	t = connect(h);
	assert.deepEqual(binds(t), ["bind:A,C"]);
});

test("syncs waiting for a request slot go as soon as an answer frees one; a NotifyPropertyUpdate during a sync waits for its answer without waking the client", () => {
	const h = setup([], { maxThings: 3, maxPending: 2 });
	const t = connect(h);
	for (const name of ["A", "B", "C"]) h.client.addThing(thing(name));
	h.hal.advance(0);
	t.respond(lastOf(t, "bind"));
	for (const name of ["A", "B", "C"]) t.deliver(request(Code.POST, name, Characteristic.SERVICES, "NotifyPropertyUpdate", null, 4000 + name.charCodeAt(0)));
	assert.deepEqual(["A", "B", "C"].map((n) => requests(t, "GetPropertySubscriptions", n).length), [1, 1, 0], "two slots: C waits");
	t.respond(requests(t, "GetPropertySubscriptions", "A")[0], Code.SUCCESS, subscriptions("Level"));
	h.hal.advance(0);
	assert.equal(requests(t, "GetPropertySubscriptions", "C").length, 1, "C goes once A's answer freed a slot, not pushRetryMs later");

	t.deliver(request(Code.POST, "B", Characteristic.SERVICES, "NotifyPropertyUpdate", null, 4100)); // B's first sync still unanswered
	const fired = h.hal.fired;
	h.hal.advance(5000);
	assert.equal(h.hal.fired - fired, 0, "nothing to do until B's answer: no wake-up");
	assert.equal(requests(t, "GetPropertySubscriptions", "B").length, 1);
	t.respond(requests(t, "GetPropertySubscriptions", "B")[0], Code.SUCCESS, subscriptions("Level"));
	h.hal.advance(0);
	assert.equal(requests(t, "GetPropertySubscriptions", "B").length, 2, "then B synchronizes again, as the platform asked");
});

test("stats.binds counts BIND messages: the one after AUTH and each batch of things registered while connected", () => {
	const h = setup([thing("A")]);
	const t = connect(h);
	h.client.addThing(thing("B"));
	h.client.addThing(thing("C"));
	h.hal.advance(0);
	t.respond(lastOf(t, "bind"));
	assert.equal(h.client.stats.binds, 2);
});

test("the BIND after AUTH refused as a whole: each thing is asked for alone, only the refused one is left out; a single thing's refusal still fails the connection", () => {
	const h = setup([thing("A"), thing("Gone"), thing("C")]);
	h.client.start();
	let t = h.t();
	t.accept();
	t.respond(t.sent[0]);
	t.respond(lastOf(t, "bind"), Code.NOT_FOUND, null, 0xbeef, "unknown thing: Gone");
	assert.equal(h.client.state, "connected", "not a failed connection");
	h.hal.advance(0);
	assert.deepEqual(binds(t), ["bind:A,Gone,C", "bind:A", "bind:Gone", "bind:C"]);
	const [a, gone, c] = t.sent.filter((m): m is BindMessage => m.kind === "bind").slice(1);
	t.respond(a);
	t.respond(gone, Code.NOT_FOUND, null, 0xbeef, "unknown thing: Gone");
	t.respond(c);
	assert.deepEqual(["A", "Gone", "C"].map((n) => h.client.isBound(n)), [true, false, true]);
	assert.match(h.errors[0].message, /BIND refused \(unknown thing: Gone; each thing is bound on its own now\)/);
	t.drop();
	t = connect(h);
	assert.deepEqual(binds(t), ["bind:A,C"], "the refused thing is left out of the reconnect's BIND");

	const single = setup([thing("Only")]);
	single.client.start();
	const u = single.t();
	u.accept();
	u.respond(u.sent[0]);
	u.respond(lastOf(u, "bind"), Code.NOT_FOUND);
	assert.equal(u.closedWith, 1000, "a device's only thing refused: the connection fails and is retried with back-off");
});
