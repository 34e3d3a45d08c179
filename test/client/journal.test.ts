// The offline queues in flash (src/client/journal.ts): a client made over the flash another one left
// restores its rows (with their times) and its requests, in order; what the platform acknowledged is
// not restored; writes wait persistDelayMs; and a power cut at every byte of every write (and in the
// middle of every erase) loses at most the row being written, never one written before.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { HalFlash } from "../../hal/hal";
import { MemoryFlash } from "../../hal/memory-flash";
import { EdgeClient, type EdgeClientConfig } from "../../src/client/index";
import { crc32, persistIn } from "../../src/client/journal";
import { Characteristic, Code } from "../../src/protocol";
import type { InfoTable, RequestMessage, TypedValue } from "../../src/protocol/model";
import { Thing } from "../../src/thing/index";
import { FakeHal, FakeTransport, request } from "./fakes";

const T0 = 1_700_000_000_000;

function device(flash: HalFlash, config: Partial<EdgeClientConfig> = {}, hal = new FakeHal()) {
	const transports: FakeTransport[] = [];
	const thing = new Thing({
		name: "Counter",
		properties: [{ name: "n", baseType: "NUMBER" }],
		events: [{ name: "Tick", shape: { name: "TickShape", fields: [{ name: "k", baseType: "NUMBER" }] } }],
	});
	const client = new EdgeClient(hal, {
		host: "localhost", port: 8080, tls: false, appKey: () => "key", things: [thing], persistence: persistIn(flash),
		transport: (_hal, options) => {
			const t = new FakeTransport(options);
			transports.push(t);
			return t;
		},
		...config,
	});
	/** Plays the platform up to the thing synchronized; returns the connection. */
	const online = (name = "Counter"): FakeTransport => {
		client.start();
		const t = transports[transports.length - 1];
		t.accept();
		t.respond(t.last());
		t.respond(t.last());
		t.deliver(request(Code.POST, name, Characteristic.SERVICES, "NotifyPropertyUpdate", null, 1001));
		t.respond(sent(t, "GetPropertySubscriptions").pop()!);
		return t;
	};
	return { hal, client, thing, online };
}

function sent(t: FakeTransport, name: string): RequestMessage[] {
	return t.sent.filter((m): m is RequestMessage => m.kind === "request" && m.characteristicName === name);
}

/** "value@time" of every row pushed on `t`, each push answered SUCCESS so that the next goes (a push takes half the ring at most). */
function drained(t: FakeTransport): string[] {
	for (let answered = 0; sent(t, "UpdateSubscribedPropertyValues").length > answered; answered++) t.respond(sent(t, "UpdateSubscribedPropertyValues")[answered]);
	return pushed(t);
}

/** "value@time" of every row pushed on `t`. */
function pushed(t: FakeTransport): string[] {
	const out: string[] = [];
	for (const m of sent(t, "UpdateSubscribedPropertyValues")) {
		for (const r of (m.params!.rows[0][0].value as InfoTable).rows) out.push((r[1].value as TypedValue).value + "@" + r[2].value);
	}
	return out;
}

test("CRC-32 is the IEEE one (check value of \"123456789\")", () => {
	const bytes = new TextEncoder().encode("123456789");
	assert.equal(~crc32(0xffffffff, bytes, 0, bytes.length) >>> 0, 0xcbf43926);
});

test("a client made over the flash another left restores its rows with their times and its requests, in order; acknowledged ones are gone", () => {
	const flash = new MemoryFlash(65536);
	const a = device(flash);
	for (let i = 0; i < 10; i++) a.thing.set("n", i, T0 + i);
	void a.thing.fireEvent("Tick", { k: 1 });
	void a.thing.fireEvent("Tick", { k: 2 });
	const written = a.client.stats.journalBytes;
	a.hal.advance(999);
	assert.equal(a.client.stats.journalBytes, written, "nothing written before persistDelayMs (1000 ms)");
	a.hal.advance(1);
	assert.ok(a.client.stats.journalBytes > written);

	const b = device(flash); // the device restarted: a leaves nothing but its flash
	assert.deepEqual([b.client.queued("Counter"), b.client.requestsQueued, b.client.stats.rowsRestored], [10, 2, 12]);
	const t = b.online();
	assert.deepEqual(pushed(t), Array.from({ length: 10 }, (_, i) => i + "@" + (T0 + i)));
	const events = sent(t, "Tick");
	assert.deepEqual(events.map((m) => m.params!.rows[0][0].value), [1], "requests one at a time, in order");
	t.respond(sent(t, "UpdateSubscribedPropertyValues")[0]);
	t.respond(events[0]);
	t.respond(sent(t, "Tick")[1]);
	assert.deepEqual([b.client.queued("Counter"), b.client.requestsQueued], [0, 0]);
	b.hal.advance(1000);

	const c = device(flash);
	assert.deepEqual([c.client.queued("Counter"), c.client.requestsQueued, c.client.stats.rowsRestored], [0, 0, 0], "what the platform acknowledged is not restored");
});

test("online, a row acknowledged within persistDelayMs never reaches flash", () => {
	const flash = new MemoryFlash(65536);
	const d = device(flash);
	const t = d.online();
	const bytes = flash.bytesWritten;
	const erases = flash.erases;
	for (let i = 0; i < 50; i++) {
		d.thing.set("n", i, T0 + i);
		d.hal.advance(0);
		t.respond(t.last() as RequestMessage);
		d.hal.advance(20);
	}
	assert.equal(pushed(t).length, 50);
	d.hal.advance(5000);
	assert.deepEqual([flash.bytesWritten - bytes, flash.erases - erases], [0, 0]);
});

test("things added and removed at run time: an added thing's rows are kept, a removed thing's are not restored; rows of a thing not registered are dropped and counted", () => {
	const flash = new MemoryFlash(131072);
	const extra = (name: string) => new Thing({ name, properties: [{ name: "v", baseType: "NUMBER" }] });
	const a = device(flash, { maxThings: 3 });
	const boiler = extra("Boiler");
	const pump = extra("Pump");
	a.client.addThing(boiler);
	a.client.addThing(pump);
	boiler.set("v", 1, T0 + 1);
	pump.set("v", 2, T0 + 2);
	a.hal.advance(1000);
	a.client.removeThing("Pump");
	a.hal.advance(1000);
	const b = device(flash, { maxThings: 3, things: [extra("Pump"), extra("Boiler")] }); // another order
	assert.deepEqual([b.client.queued("Boiler"), b.client.queued("Pump"), b.client.stats.rowsRestored, b.client.stats.rowsDropped], [1, 0, 1, 0]);
	assert.deepEqual(pushedBy(b, "Boiler"), ["1@" + (T0 + 1)]);
	const c = device(flash, { maxThings: 3 }); // Boiler not registered: its row is dropped, counted, logged
	assert.deepEqual([c.client.stats.rowsRestored, c.client.stats.rowsDropped], [0, 1]);
	assert.ok(c.hal.logs.some(([level, m]) => level === "warn" && /journal: 1 rows of things not registered/.test(m)));
});

/** The rows `d` pushes for `thing` once online. */
function pushedBy(d: ReturnType<typeof device>, thing: string): string[] {
	const t = d.online(thing);
	return sent(t, "UpdateSubscribedPropertyValues").filter((m) => m.entityName === thing).flatMap((m) => (m.params!.rows[0][0].value as InfoTable).rows.map((r) => (r[1].value as TypedValue).value + "@" + r[2].value));
}

test("a flash write that fails is reported; the next write opens a new block with everything, and a restart restores it all", () => {
	const memory = new MemoryFlash(65536);
	let failNext = false;
	const flaky: HalFlash = {
		byteLength: memory.byteLength,
		sectorSize: memory.sectorSize,
		read: (offset, into, at, length) => memory.read(offset, into, at, length),
		write(offset, bytes, at, length) {
			if (failNext) {
				failNext = false;
				memory.write(offset, bytes, at, length >> 1); // half of it reached the chip
				throw new Error("flash write failed");
			}
			memory.write(offset, bytes, at, length);
		},
		erase: (sector) => memory.erase(sector),
	};
	const a = device(flaky);
	const errors: Error[] = [];
	a.client.onError = (e) => errors.push(e);
	a.thing.set("n", 1, T0 + 1);
	failNext = true;
	a.hal.advance(1000);
	assert.deepEqual(errors.map((e) => e.message), ["flash write failed"]);
	const erases = a.client.stats.journalErases;
	a.client.persist(); // nothing changed since, but what the failed write held is in doubt
	assert.ok(a.client.stats.journalErases > erases, "a new block");
	a.thing.set("n", 2, T0 + 2);
	a.hal.advance(1000);
	const b = device(memory);
	assert.deepEqual(drained(b.online()), ["1@" + (T0 + 1), "2@" + (T0 + 2)]);
});

test("a flash too small for two journal blocks is refused with the size it needs", () => {
	assert.throws(() => device(new MemoryFlash(8192)), /RangeError: storage: 8192 bytes hold fewer than 2 journal blocks of \d+ .*: give it \d+ bytes or more/);
});

/** A flash that records every write and erase (applied to `memory` too). */
class RecordingFlash implements HalFlash {
	readonly ops: Array<{ offset: number; bytes: Uint8Array } | { sector: number }> = [];
	constructor(readonly memory: MemoryFlash) {}
	get byteLength() {
		return this.memory.byteLength;
	}
	get sectorSize() {
		return this.memory.sectorSize;
	}
	read(offset: number, into: Uint8Array, at: number, length: number): void {
		this.memory.read(offset, into, at, length);
	}
	write(offset: number, bytes: Uint8Array, at: number, length: number): void {
		this.ops.push({ offset, bytes: bytes.slice(at, at + length) });
		this.memory.write(offset, bytes, at, length);
	}
	erase(sector: number): void {
		this.ops.push({ sector });
		this.memory.erase(sector);
	}
}

const SECTOR = 512;
const SIZE = 16 * SECTOR;
const CUT_CONFIG: Partial<EdgeClientConfig> = { queueBytes: 256, requestQueueBytes: 64, persistDelayMs: 0 };

/**
 * Runs `operations` values through a client over a recording flash (`prepare` first), keeping a model of
 * its queue: each value appended, and when the client's queue did not grow by one, the rows it dropped
 * taken at `kept` (the rows a push left in doubt stay: the oldest after them go). Then cuts the power at
 * every byte of every write and in every erase (and, every fifth cut, again while the restarted client
 * opens its block), and checks what a restarted client pushes: at most the row being written is lost,
 * nothing that had left comes back, order and times kept.
 */
function cutEverywhere(operations: number, prepare: (d: ReturnType<typeof device>) => number): number {
	const flash = new RecordingFlash(new MemoryFlash(SIZE, SECTOR));
	const d = device(flash, CUT_CONFIG);
	const kept = prepare(d);
	const model: number[] = [];
	for (let v = 0; v < d.client.queued("Counter"); v++) model.push(-1 - v); // the rows `prepare` queued
	const states: number[][] = [model.slice()]; // states[j + 1]: queued after operation j
	const ends: number[] = [flash.ops.length]; // the ops of operation j end before ends[j + 1]
	for (let j = 0; j < operations; j++) {
		d.thing.set("n", j, T0 + j);
		d.hal.advance(0);
		model.push(j);
		const excess = model.length - d.client.queued("Counter");
		if (excess > 0) model.splice(kept, excess);
		states.push(model.slice());
		ends.push(flash.ops.length);
	}
	assert.ok(d.client.dropped("Counter") > 0, "the ring overflowed: REMOVE records are in the log");
	assert.ok(flash.ops.filter((op) => "sector" in op).length > SIZE / SECTOR / 2, "blocks were opened again (erases past the first block)");
	const value = (row: string) => Number(row.split("@")[0]);
	const restore = (bytes: Uint8Array): number[] => {
		const rows = drained(device(new MemoryFlash(SIZE, SECTOR, bytes), CUT_CONFIG).online());
		const times = rows.map((r) => r.split("@")[1]);
		const values = rows.map(value);
		for (let i = 0; i < values.length; i++) if (values[i] >= 0) assert.equal(times[i], String(T0 + values[i]), "the time it was set with");
		return values;
	};
	const image = new Uint8Array(SIZE).fill(0xff);
	let operation = -1; // the operation op p belongs to (-1: before the first value: the journal opened, `prepare`)
	let cuts = 0;
	for (let p = 0; p < flash.ops.length; p++) {
		while (p >= ends[operation + 1]) operation++;
		const before = states[Math.max(operation, 0)];
		const after = states[operation + 1];
		const op = flash.ops[p];
		const variants = "sector" in op ? 2 : op.bytes.length;
		for (let k = 0; k < variants; k++) {
			const torn = image.slice();
			if ("sector" in op) {
				if (k === 1) torn.fill(0xff, op.sector * SECTOR, op.sector * SECTOR + SECTOR / 2); // erase cut half way
			} else {
				for (let i = 0; i < k; i++) torn[op.offset + i] &= op.bytes[i];
				torn[op.offset + k] &= op.bytes[k] | 0xaa; // the byte being written, half programmed
			}
			const restored = restore(torn.slice());
			cuts++;
			const where = `cut in op ${p} (operation ${operation}) at ${k}: restored ${restored.join(",")}; before ${before.join(",")}; after ${after.join(",")}`;
			// nothing lost but the row being written: what is queued after, except it, is there (once `prepare` is done)...
			if (operation >= 0) for (const v of after) if (v !== operation) assert.ok(restored.includes(v), "lost " + v + ": " + where);
			// ...nothing comes back that had left before, and the order is the queue's
			const order = [...before, operation];
			for (let i = 0; i < restored.length; i++) {
				assert.ok(order.includes(restored[i]), "restored " + restored[i] + ", gone before: " + where);
				if (i > 0) assert.ok(order.indexOf(restored[i]) > order.indexOf(restored[i - 1]), "in order: " + where);
			}
			if (cuts % 5 === 0) {
				// a second cut, while the restarted client opens its new block: the block it read must be intact
				const opening = new RecordingFlash(new MemoryFlash(SIZE, SECTOR, torn.slice()));
				device(opening, CUT_CONFIG);
				const again = torn.slice();
				for (const o of opening.ops) {
					if ("sector" in o) again.fill(0xff, o.sector * SECTOR, (o.sector + 1) * SECTOR);
					else {
						again.set(o.bytes.subarray(0, o.bytes.length >> 1), o.offset); // its first write half done
						break;
					}
				}
				assert.deepEqual(restore(again), restored, "cut again while opening: " + where);
			}
		}
		if ("sector" in op) image.fill(0xff, op.sector * SECTOR, (op.sector + 1) * SECTOR);
		else image.set(op.bytes, op.offset);
	}
	assert.deepEqual(restore(image), states[operations], "after the last write: exactly what was queued");
	return cuts;
}

test("power cut at every byte of every write and in every erase, offline: at most the row being written is lost, none written before; times kept", () => {
	const cuts = cutEverywhere(130, () => 0);
	console.log(`power cuts simulated (offline, the oldest dropped): ${cuts}`);
});

test("the same with rows in doubt (a push cut before its answer): those stay, the rows after them are dropped, REMOVE records say which", () => {
	const cuts = cutEverywhere(100, (d) => {
		const t = d.online();
		for (let v = 0; v < 3; v++) d.thing.set("n", -1 - v, T0 - 1 - v);
		d.hal.advance(0);
		assert.equal(sent(t, "UpdateSubscribedPropertyValues").length, 1, "one push of the three, in flight");
		t.drop(); // no answer: its rows are in doubt, kept
		return 3;
	});
	console.log(`power cuts simulated (rows in doubt kept, the oldest after them dropped): ${cuts}`);
});
