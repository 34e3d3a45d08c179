import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { RowRing } from "../../src/client/ring";
import { EncodeError } from "../../src/protocol";

/** Rows the ring holds, oldest first, read through its cursor API. */
function contents(ring: RowRing, mem: Uint8Array): number[][] {
	const out: number[][] = [];
	let cursor = ring.head();
	for (let i = 0; i < ring.count; i++) {
		const at = ring.offset(cursor);
		out.push(Array.from(mem.subarray(at, at + ring.length(cursor))));
		cursor = ring.next(cursor);
	}
	return out;
}

const BEFORE = 300; // the ring lives after other data in its buffer (the TX buffer, in the client)

/** Queues `row` the way the push path does when the row's size is known: room first, then write in place. */
function append(ring: RowRing, row: number[]): number {
	const before = ring.dropped;
	if (!ring.reserve(row.length)) return -1;
	ring.writer.position = ring.start;
	ring.writer.bytes(Uint8Array.from(row));
	ring.commit(row.length);
	return ring.dropped - before;
}

/** Queues `row` the way the push path does when the size is known only by writing: write, make room when it does not fit. */
function appendBlind(ring: RowRing, row: number[]): number {
	const before = ring.dropped;
	for (;;) {
		ring.writer.position = ring.start;
		try {
			ring.writer.bytes(Uint8Array.from(row));
			break;
		} catch (error) {
			assert.ok(error instanceof EncodeError);
			if (!ring.makeRoom()) return -1;
		}
	}
	ring.commit(row.length);
	return ring.dropped - before;
}

test("rows come out in order with their bytes; a full ring drops the oldest and counts them", () => {
	const mem = new Uint8Array(BEFORE + 40).fill(0xee);
	const ring = new RowRing(mem, BEFORE, 40);
	const rows = [[1, 1, 1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2, 2, 2, 2], [3, 3, 3, 3, 3, 3, 3, 3], [4, 4, 4, 4, 4, 4, 4, 4]];
	for (const r of rows.slice(0, 3)) assert.equal(append(ring, r), 0);
	assert.deepEqual(contents(ring, mem), rows.slice(0, 3));
	assert.equal(append(ring, rows[3]), 0, "4 entries of 10 bytes fill 40 exactly");
	assert.equal(append(ring, [5, 5, 5, 5, 5, 5, 5, 5]), 1, "one oldest row makes room");
	assert.equal(ring.dropped, 1);
	assert.deepEqual(contents(ring, mem).map((r) => r[0]), [2, 3, 4, 5]);
	assert.equal(append(ring, [6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6]), 2, "a bigger row takes two");
	assert.deepEqual(contents(ring, mem).map((r) => r[0]), [4, 5, 6]);
	assert.ok(mem.subarray(0, BEFORE).every((b) => b === 0xee), "nothing written outside the region");
	assert.equal(ring.maxRow, 38);
});

test("a row whose size is known only by writing: the queue moves to the front, then the oldest go; an empty ring that is too small says so", () => {
	const mem = new Uint8Array(BEFORE + 30);
	const ring = new RowRing(mem, BEFORE, 30);
	for (let i = 1; i <= 3; i++) append(ring, [i, i, i, i, i, i, i, i]); // 30 bytes: full
	ring.markSent(1);
	ring.release(); // the front is free, the end is not
	assert.equal(appendBlind(ring, [4, 4, 4, 4, 4, 4, 4, 4]), 0, "moving the queue was enough");
	assert.deepEqual(contents(ring, mem).map((r) => r[0]), [2, 3, 4]);
	assert.equal(appendBlind(ring, [5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5]), 2);
	assert.deepEqual(contents(ring, mem), [[4, 4, 4, 4, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5]]);
	assert.equal(appendBlind(ring, new Array(29).fill(9)), -1, "over maxRow: nothing can hold it");
	assert.equal(ring.count, 0, "the ring was emptied trying");
	assert.equal(ring.dropped, 4);
});

test("in-flight rows leave only on release; unsend keeps them; drops while in flight shrink the batch", () => {
	const mem = new Uint8Array(BEFORE + 60);
	const ring = new RowRing(mem, BEFORE, 60);
	for (let i = 1; i <= 4; i++) append(ring, [i, i, i, i]);
	ring.markSent(3);
	ring.unsend();
	assert.equal(ring.count, 4);
	ring.markSent(3);
	for (let i = 5; i <= 9; i++) append(ring, [i, i, i, i, i, i]);
	// 60 bytes: entries of 6 and 8 bytes; the oldest (in flight) went first
	const left = contents(ring, mem).map((r) => r[0]);
	assert.equal(ring.sending, Math.max(0, 3 - ring.dropped));
	ring.release();
	assert.deepEqual(contents(ring, mem).map((r) => r[0]), left.slice(left.length - ring.count));
	assert.ok(contents(ring, mem).every((r) => r[0] >= 4));
});

test("model check: order kept, newest never lost, bytes intact, accounting exact, either way of appending (fast-check)", () => {
	type Op = { kind: "append"; length: number; blind: boolean } | { kind: "send"; rows: number } | { kind: "ack" } | { kind: "nack" };
	const op = fc.oneof(
		{ weight: 6, arbitrary: fc.record({ length: fc.integer({ min: 1, max: 90 }), blind: fc.boolean() }).map(({ length, blind }) => ({ kind: "append", length, blind }) as Op) },
		{ weight: 1, arbitrary: fc.integer({ min: 0, max: 10 }).map((rows) => ({ kind: "send", rows }) as Op) },
		{ weight: 1, arbitrary: fc.constant({ kind: "ack" } as Op) },
		{ weight: 1, arbitrary: fc.constant({ kind: "nack" } as Op) },
	);
	fc.assert(
		fc.property(fc.integer({ min: 100, max: 400 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
			const mem = new Uint8Array(BEFORE + capacity);
			const ring = new RowRing(mem, BEFORE, capacity);
			let model: number[][] = [];
			let serial = 0;
			let dropped = 0;
			let sending = 0;
			for (const o of ops) {
				if (o.kind === "append") {
					serial++;
					const row = Array.from({ length: o.length }, (_, i) => (serial * 7 + i) & 0xff);
					if (row.length > ring.maxRow) {
						if (o.blind) { // the writer finds out, after emptying the ring
							assert.equal(appendBlind(ring, row), -1);
							dropped += model.length;
							model = [];
							sending = 0;
						}
						continue;
					}
					const n = o.blind ? appendBlind(ring, row) : append(ring, row);
					// the oldest go until the entries (2 + bytes each) leave room for this one
					let expected = 0;
					while (model.slice(expected).reduce((s, r) => s + r.length + 2, 0) + row.length + 2 > capacity) expected++;
					assert.equal(n, expected);
					model.push(row);
					model = model.slice(n);
					dropped += n;
					sending = Math.max(0, sending - n);
				} else if (o.kind === "send") {
					if (ring.sending > 0) continue;
					sending = Math.min(o.rows, model.length);
					ring.markSent(sending);
				} else if (o.kind === "ack") {
					ring.release();
					model = model.slice(sending);
					sending = 0;
				} else {
					ring.unsend();
					sending = 0;
				}
				assert.deepEqual(contents(ring, mem), model);
				assert.equal(ring.dropped, dropped);
				assert.equal(ring.sending, sending);
				assert.equal(ring.bytes, model.reduce((s, r) => s + r.length, 0));
				assert.ok(ring.bytes + 2 * ring.count <= capacity);
			}
		}),
		{ numRuns: 300 },
	);
});

test("a ring that keeps: rows in flight are never dropped for room; the oldest row after them goes, the order kept", () => {
	const mem = new Uint8Array(BEFORE + 40);
	const ring = new RowRing(mem, BEFORE, 40, true);
	for (let r = 1; r <= 4; r++) append(ring, [r, r, r, r, r, r, r, r]);
	ring.markSent(2);
	assert.equal(append(ring, [5, 5, 5, 5, 5, 5, 5, 5]), 1);
	assert.deepEqual(contents(ring, mem).map((r) => r[0]), [1, 2, 4, 5], "row 3, the oldest not in flight, went");
	assert.deepEqual(contents(ring, mem)[1], [2, 2, 2, 2, 2, 2, 2, 2], "the rows in flight moved intact");
	ring.release();
	assert.deepEqual(contents(ring, mem).map((r) => r[0]), [4, 5], "the two in flight were stored");
	assert.equal(ring.dropped, 1);
});

test("a ring that keeps: rows of an unanswered push stay in doubt (kept) until a later push of them is answered; refused ones are not in doubt", () => {
	const mem = new Uint8Array(BEFORE + 40);
	const ring = new RowRing(mem, BEFORE, 40, true);
	for (let r = 1; r <= 4; r++) append(ring, [r, r, r, r, r, r, r, r]);
	ring.markSent(3);
	ring.unanswered(); // timeout or lost connection: the platform may have stored them
	assert.deepEqual([ring.sending, ring.kept], [0, 3]);
	assert.equal(append(ring, [5, 5, 5, 5, 5, 5, 5, 5]), 1);
	assert.deepEqual(contents(ring, mem).map((r) => r[0]), [1, 2, 3, 5]);
	assert.equal(append(ring, [6, 6, 6, 6, 6, 6, 6, 6]), 1);
	assert.deepEqual(contents(ring, mem).map((r) => r[0]), [1, 2, 3, 6]);
	ring.markSent(4);
	ring.unsend(); // refused: not stored, but the earlier doubt stands
	assert.equal(ring.kept, 3);
	ring.markSent(1);
	ring.release(); // a push of the first row alone was stored
	assert.equal(ring.kept, 2);
	ring.markSent(3);
	ring.release();
	assert.deepEqual([ring.count, ring.kept, ring.dropped], [0, 0, 2]);
});

test("a ring that keeps, full of rows in doubt: the new row is dropped (dropNew, counted), not them", () => {
	const mem = new Uint8Array(BEFORE + 40);
	const ring = new RowRing(mem, BEFORE, 40, true);
	for (let r = 1; r <= 4; r++) append(ring, [r, r, r, r, r, r, r, r]);
	ring.markSent(4);
	ring.unanswered();
	assert.equal(append(ring, [5, 5, 5, 5, 5, 5, 5, 5]), -1, "no room beside the kept rows");
	assert.equal(appendBlind(ring, [5, 5, 5, 5, 5, 5, 5, 5]), -1);
	assert.deepEqual(contents(ring, mem).map((r) => r[0]), [1, 2, 3, 4]);
	assert.equal(ring.dropped, 0, "the caller counts the new row (dropNew)");
	ring.dropNew();
	assert.equal(ring.dropped, 1);
});
