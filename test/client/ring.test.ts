import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { RowRing } from "../../src/client/ring";

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

const SCRATCH = 300;

function write(mem: Uint8Array, row: number[]): void {
	mem.set(row, 0);
}

test("rows come out in order with their bytes; a full ring drops the oldest and counts them", () => {
	const mem = new Uint8Array(SCRATCH + 40);
	const ring = new RowRing(mem, SCRATCH, 40);
	const rows = [[1, 1, 1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2, 2, 2, 2], [3, 3, 3, 3, 3, 3, 3, 3], [4, 4, 4, 4, 4, 4, 4, 4]];
	for (const r of rows.slice(0, 3)) {
		write(mem, r);
		assert.equal(ring.append(0, r.length), 0);
	}
	assert.deepEqual(contents(ring, mem), rows.slice(0, 3));
	write(mem, rows[3]); // 4 entries of 10 bytes fill 40 exactly
	assert.equal(ring.append(0, 8), 0);
	write(mem, [5, 5, 5, 5, 5, 5, 5, 5]);
	assert.equal(ring.append(0, 8), 1, "one oldest row makes room");
	assert.equal(ring.dropped, 1);
	assert.deepEqual(contents(ring, mem).map((r) => r[0]), [2, 3, 4, 5]);
	assert.equal(ring.append(0, 39), -1, "a row that can never fit is refused");
	assert.equal(ring.count, 4, "and changes nothing");
});

test("in-flight rows leave only on release; unsend keeps them; drops while in flight shrink the batch", () => {
	const mem = new Uint8Array(SCRATCH + 60);
	const ring = new RowRing(mem, SCRATCH, 60);
	for (let i = 1; i <= 4; i++) {
		write(mem, [i, i, i, i]);
		ring.append(0, 4);
	}
	ring.markSent(3);
	ring.unsend();
	assert.equal(ring.count, 4);
	ring.markSent(3);
	for (let i = 5; i <= 9; i++) {
		write(mem, [i, i, i, i, i, i]);
		ring.append(0, 6);
	}
	// 60 bytes: entries of 6 and 8 bytes; the oldest (in flight) went first
	const left = contents(ring, mem).map((r) => r[0]);
	assert.equal(ring.sending, Math.max(0, 3 - ring.dropped));
	ring.release();
	assert.deepEqual(contents(ring, mem).map((r) => r[0]), left.slice(left.length - ring.count));
	assert.ok(contents(ring, mem).every((r) => r[0] >= 4));
});

test("model check: order kept, newest never lost, bytes intact, accounting exact (fast-check)", () => {
	type Op = { kind: "append"; length: number } | { kind: "send"; rows: number } | { kind: "ack" } | { kind: "nack" };
	const op = fc.oneof(
		{ weight: 6, arbitrary: fc.integer({ min: 1, max: 90 }).map((length) => ({ kind: "append", length }) as Op) },
		{ weight: 1, arbitrary: fc.integer({ min: 0, max: 10 }).map((rows) => ({ kind: "send", rows }) as Op) },
		{ weight: 1, arbitrary: fc.constant({ kind: "ack" } as Op) },
		{ weight: 1, arbitrary: fc.constant({ kind: "nack" } as Op) },
	);
	fc.assert(
		fc.property(fc.integer({ min: 100, max: 400 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
			const mem = new Uint8Array(SCRATCH + capacity);
			const ring = new RowRing(mem, SCRATCH, capacity);
			let model: number[][] = [];
			let serial = 0;
			let dropped = 0;
			let sending = 0;
			for (const o of ops) {
				if (o.kind === "append") {
					serial++;
					const row = Array.from({ length: o.length }, (_, i) => (serial * 7 + i) & 0xff);
					write(mem, row);
					const n = ring.append(0, row.length);
					if (row.length > capacity - 2) {
						assert.equal(n, -1);
						continue;
					}
					assert.ok(n >= 0);
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
