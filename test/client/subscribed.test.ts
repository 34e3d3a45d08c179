import assert from "node:assert/strict";
import { test } from "node:test";
import { SubscribedProperties } from "../../src/client/subscribed";
import { ByteWriter, chunkCount, decodeMessage, encodeName, PushWriter, writeVtqRow } from "../../src/protocol";
import type { RequestMessage, TypedValue } from "../../src/protocol/model";
import { Thing, type PropertySpec } from "../../src/thing/index";
import { edgeFrame } from "../thing/capture";

interface Vtq {
	name: string;
	value: unknown;
	time: number;
	quality: string;
}

function harness(properties: PropertySpec[], options: { queueBytes?: number; chunk?: number; name?: string } = {}) {
	const chunk = options.chunk ?? 8192;
	const queueBytes = options.queueBytes ?? 4096;
	const thing = new Thing({ name: options.name ?? "SteamSensor", properties });
	const mem = new Uint8Array(chunk + queueBytes);
	const tx = mem.subarray(0, chunk);
	const w = new ByteWriter(tx);
	const spm = new SubscribedProperties(thing, mem, w, new PushWriter(), chunk, queueBytes, chunk, 1 << 20);
	const clock = { t: 1_700_000_000_000 };
	let dropped = 0;
	thing.attach({
		now: () => clock.t,
		propertyChanged: (_thing, p) => {
			const before = spm.ring.dropped;
			spm.changed(p);
			dropped += spm.ring.dropped - before;
		},
		propertyUpdateNotified: () => {},
		fireEvent: async () => {},
	});
	/** Fill one push and decode it; [] when nothing is waiting. */
	const push = (requestId = 4, session = 0xbeef): { rows: Vtq[]; bytes: Uint8Array } => {
		const n = spm.fill(w, 0, requestId, session);
		const bytes = tx.slice(0, w.position);
		if (n === 0) return { rows: [], bytes };
		const msg = decodeMessage(bytes) as RequestMessage;
		const inner = msg.params!.rows[0][0].value as { rows: TypedValue[][] };
		const rows = inner.rows.map((r) => ({ name: r[0].value as string, value: (r[1].value as TypedValue).value, time: r[2].value as number, quality: r[3].value as string }));
		assert.equal(rows.length, n);
		return { rows, bytes };
	};
	return { thing, spm, push, clock, dropped: () => dropped, tx, chunk };
}

const names = (rows: Vtq[]) => rows.map((r) => r.name + "=" + JSON.stringify(r.value));

test("byte-exact: one VTQ push is docs/protocol.md §10.7's 167-byte message", () => {
	const h = harness([{ name: "Temperature", baseType: "NUMBER" }]);
	h.thing.set("Temperature", 42.5, 1700000000000);
	const { bytes } = h.push(4, 0xbeef);
	const expected =
		"0103000000040000000000" + "00beef00" + "0a0b537465616d53656e736f72" + "021e5570646174655375627363726962656450726f706572747956616c756573" +
		"0005" + "010676616c7565730005000000" + "01000105" + "01046e616d6500000000" + "010576616c756500120000" + "010474696d6500030000" +
		"01077175616c69747900000000" + "00" + "010004000b54656d706572617475726512014045400000000000030000018bcfe5680000" + "04474f4f44" + "0000";
	assert.equal(bytes.length, 167);
	assert.equal(Buffer.from(bytes).toString("hex"), expected);
});

test("byte-exact: the SteamSensor's first push equals the C SDK's (capture reqId 4)", () => {
	const h = harness([
		{ name: "Pressure", baseType: "NUMBER" }, { name: "Temperature", baseType: "NUMBER" }, { name: "TotalFlow", baseType: "NUMBER" },
		{ name: "TemperatureLimit", baseType: "NUMBER" }, { name: "FaultStatus", baseType: "BOOLEAN" }, { name: "InletValve", baseType: "BOOLEAN" },
		{ name: "Location", baseType: "LOCATION" }, { name: "Logfile", baseType: "STRING" },
	]);
	const t0 = 1795245718274;
	const t1 = 1795245718363;
	h.thing.set("TemperatureLimit", 435, t0);
	h.thing.set("Logfile", "/opt/steam/logs/SteamSensor-log.txt", t0);
	h.thing.set("TotalFlow", 3.9528485126573822, t1);
	h.thing.set("Pressure", 18.61974454932834, t1);
	h.thing.set("Location", { longitude: -75.67072, latitude: 40.0573, elevation: 0 }, t1);
	h.thing.set("Temperature", 423, t1);
	h.thing.set("InletValve", false, t1);
	assert.equal(Buffer.from(h.push(4, 0xbeef).bytes).toString("hex"), edgeFrame(4));
});

test("ALWAYS queues every set with its own time; NEVER none; ON like ALWAYS", () => {
	const h = harness([
		{ name: "A", baseType: "NUMBER" },
		{ name: "N", baseType: "NUMBER", pushType: "NEVER" },
		{ name: "O", baseType: "BOOLEAN", pushType: "ON" },
	]);
	for (let i = 0; i < 3; i++) {
		h.thing.set("A", 1, 1000 + i);
		h.thing.set("N", i, 1000 + i);
		h.thing.set("O", false, 1000 + i);
	}
	const { rows } = h.push();
	assert.deepEqual(names(rows), ["A=1", "O=false", "A=1", "O=false", "A=1", "O=false"]);
	assert.deepEqual(rows.filter((r) => r.name === "A").map((r) => r.time), [1000, 1001, 1002]);
	assert.ok(rows.every((r) => r.quality === "GOOD"));
});

test("VALUE compares with the last value set, DEADBAND with the last value pushed (§7.4)", () => {
	const h = harness([
		{ name: "V", baseType: "NUMBER", pushType: "VALUE", pushThreshold: 1 },
		{ name: "D", baseType: "NUMBER", pushType: "DEADBAND", pushThreshold: 1 },
	]);
	for (const x of [10, 10.9, 11.8, 12.7, 12.75]) {
		h.thing.set("V", x);
		h.thing.set("D", x);
	}
	const { rows } = h.push();
	// V: 10 (first), then every step of 0.9 stays under 1 against the previous set value.
	assert.deepEqual(rows.filter((r) => r.name === "V").map((r) => r.value), [10]);
	// D: 10, then 11.8 (1.8 from 10), then 12.75 is 0.95 from 11.8: not pushed, 12.7 neither.
	assert.deepEqual(rows.filter((r) => r.name === "D").map((r) => r.value), [10, 11.8]);
});

test("VALUE: a quality change alone pushes; non-numbers push when they change", () => {
	const h = harness([
		{ name: "V", baseType: "NUMBER", pushType: "VALUE", pushThreshold: 5 },
		{ name: "S", baseType: "STRING", pushType: "VALUE" },
		{ name: "L", baseType: "LOCATION", pushType: "VALUE" },
	]);
	h.thing.set("V", 1);
	h.thing.set("V", 2, undefined, "BAD");
	h.thing.set("V", 3, undefined, "BAD");
	h.thing.set("S", "a");
	h.thing.set("S", "a");
	h.thing.set("S", "b");
	const here = { longitude: 1, latitude: 2, elevation: 0 };
	h.thing.set("L", here);
	h.thing.set("L", { ...here });
	h.thing.set("L", { ...here, latitude: 2.5 });
	const { rows } = h.push();
	assert.deepEqual(rows.map((r) => r.name + "=" + JSON.stringify(r.value) + "/" + r.quality), [
		"V=1/GOOD", "V=2/BAD", 'S="a"/GOOD', 'S="b"/GOOD',
		'L={"longitude":1,"latitude":2,"elevation":0}/GOOD', 'L={"longitude":1,"latitude":2.5,"elevation":0}/GOOD',
	]);
});

test("OFF queues only false values", () => {
	const h = harness([{ name: "B", baseType: "BOOLEAN", pushType: "OFF" }, { name: "X", baseType: "NUMBER", pushType: "OFF" }]);
	for (const b of [true, false, true, false]) h.thing.set("B", b);
	for (const x of [0, 1, 2, 0]) h.thing.set("X", x);
	assert.deepEqual(names(h.push().rows), ["B=false", "B=false", "X=0", "X=0"]);
});

test("platform overrides apply to the next changes (GetPropertySubscriptions)", () => {
	const h = harness([{ name: "T", baseType: "NUMBER", pushType: "VALUE", pushThreshold: 100 }]);
	h.thing.set("T", 1);
	h.thing.set("T", 2);
	h.thing.property("T").applySubscription("ALWAYS", 0);
	h.thing.set("T", 2);
	assert.deepEqual(names(h.push().rows), ["T=1", "T=2"]);
});

test("folding keeps one pending value per property, pushed after the queued rows", () => {
	const h = harness([{ name: "F", baseType: "NUMBER", fold: true }, { name: "A", baseType: "NUMBER" }]);
	h.thing.set("F", 1);
	h.thing.set("A", 1);
	h.thing.set("F", 2);
	h.thing.set("F", 3, 4242);
	const first = h.push();
	assert.deepEqual(names(first.rows), ["A=1", "F=3"]);
	assert.equal(first.rows[1].time, 4242);
	h.thing.set("F", 4); // changes while in flight stay pending after the answer
	h.spm.acknowledge();
	assert.deepEqual(names(h.push().rows), ["F=4"]);
	h.spm.acknowledge();
	assert.equal(h.push().rows.length, 0);
	h.thing.set("F", 5);
	h.push();
	h.spm.unsend();
	assert.deepEqual(names(h.push().rows), ["F=5"], "a failed push keeps the folded value");
});

test("rows leave the queue only on SUCCESS: a failed push resends the same rows with their original times", () => {
	const h = harness([{ name: "A", baseType: "NUMBER" }]);
	h.thing.set("A", 1, 111);
	h.thing.set("A", 2, 222);
	const first = h.push();
	h.spm.unsend();
	h.thing.set("A", 3, 333);
	const second = h.push();
	assert.deepEqual(second.rows.map((r) => [r.value, r.time]), [[1, 111], [2, 222], [3, 333]]);
	assert.deepEqual(first.rows, second.rows.slice(0, 2));
	h.spm.acknowledge();
	assert.equal(h.spm.ring.count, 0);
	assert.equal(h.push().rows.length, 0);
});

test("a batch larger than a chunk is split into single-part messages that each fit; every row once, in order", () => {
	const h = harness([{ name: "Temperature", baseType: "NUMBER" }], { chunk: 1024, queueBytes: 16384 });
	for (let i = 0; i < 300; i++) h.thing.set("Temperature", i, 1000 + i);
	const seen: number[] = [];
	let messages = 0;
	for (;;) {
		const { rows, bytes } = h.push(100 + messages);
		if (rows.length === 0) break;
		messages++;
		assert.ok(bytes.length <= 1024, "message of " + bytes.length + " bytes");
		assert.equal(chunkCount(bytes, bytes.length, 1024), 1, "goes single-part");
		for (const r of rows) seen.push(r.value as number);
		h.spm.acknowledge();
	}
	assert.ok(messages >= 5, messages + " messages");
	assert.deepEqual(seen, Array.from({ length: 300 }, (_, i) => i));
});

test("a full queue drops the oldest rows, counts and reports them; the newest survive", () => {
	const h = harness([{ name: "Temperature", baseType: "NUMBER" }], { queueBytes: 512 });
	for (let i = 0; i < 100; i++) h.thing.set("Temperature", i);
	const kept = h.spm.ring.count;
	assert.ok(kept > 0 && kept < 100);
	assert.equal(h.dropped(), 100 - kept);
	assert.equal(h.spm.ring.dropped, 100 - kept);
	const first = h.push().rows.map((r) => r.value);
	assert.ok(first.length > 0 && first.length <= kept / 2, "a push takes at most half the queue (were it lost, the rest still takes new rows)");
	const values = [...first];
	for (h.spm.acknowledge(); h.spm.ring.count > 0; h.spm.acknowledge()) values.push(...h.push().rows.map((r) => r.value));
	assert.deepEqual(values, Array.from({ length: kept }, (_, i) => 100 - kept + i));
});

test("a change too big for any message is refused and counted, not queued", () => {
	const h = harness([{ name: "Logfile", baseType: "STRING" }], { chunk: 512, queueBytes: 4096 });
	assert.equal(h.spm.changed(h.thing.property("Logfile")), 0, "empty string fits");
	h.thing.property("Logfile").set("x".repeat(10));
	const before = h.spm.ring.count;
	h.thing.set("Logfile", "x".repeat(600));
	assert.equal(h.spm.ring.count, before);
	assert.equal(h.spm.tooBig, 1);
});

test("rows are sized before they are encoded: a ring that holds exactly 3 drops nothing for them, then one per row (every type)", () => {
	const cases: Array<[PropertySpec["baseType"], unknown]> = [
		["NUMBER", 42.5], ["INTEGER", -7], ["LONG", 2 ** 40], ["DATETIME", 1_700_000_000_000], ["BOOLEAN", true],
		["LOCATION", { longitude: 1, latitude: 2, elevation: 3 }], ["STRING", "/opt/steam/logs/SteamSensor-log.txt"],
		["STRING", "x".repeat(127)], ["STRING", "x".repeat(128)], ["STRING", "é€😀"], ["JSON", '{"a":1}'], ["BLOB", new Uint8Array(50)],
	];
	for (const [baseType, value] of cases) {
		const probe = new ByteWriter(new Uint8Array(1024));
		writeVtqRow(probe, encodeName("P"), { type: baseType, value } as TypedValue, 1, encodeName("GOOD"));
		const entry = probe.position + 2;
		const h = harness([{ name: "P", baseType }], { queueBytes: 3 * entry });
		let blind = 0;
		const makeRoom = h.spm.ring.makeRoom.bind(h.spm.ring);
		h.spm.ring.makeRoom = () => {
			blind++;
			return makeRoom();
		};
		for (let i = 0; i < 3; i++) h.thing.set("P", value as never, 1);
		assert.equal(h.dropped(), 0, baseType + ": three rows fit exactly");
		assert.equal(h.spm.ring.bytes, 3 * probe.position, baseType);
		h.thing.set("P", value as never, 1);
		assert.equal(h.dropped(), 1, baseType + ": one room's worth dropped");
		assert.equal(blind, 0, baseType + ": the size was known, the encoder never ran out");
	}
});
