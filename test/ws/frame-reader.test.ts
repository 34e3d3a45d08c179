// FrameReader and a data message over its limits: not fatal, its head kept and the rest skipped, however
// the bytes are cut, with control frames in between still handled and the next message intact.
// Expected values come from the frames the test builds.
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { ERROR, FrameReader, MESSAGE, OVERSIZE, PING } from "../../src/ws/frame-reader";
import { serverFrame } from "./peer";

const LIMIT = 1024;

type Event = { oversize: number[]; length: number; binary: boolean } | { message: number[] } | { ping: string } | { error: number };

/** Every event the reader gives for `bytes` delivered in pieces of `step` bytes (0: whole). */
function read(bytes: Buffer, step = 0): Event[] {
	const reader = new FrameReader(LIMIT, LIMIT, new Uint8Array(LIMIT));
	const events: Event[] = [];
	const size = step === 0 ? bytes.length : step;
	for (let at = 0; at < bytes.length; at += size) {
		const piece = bytes.subarray(at, Math.min(bytes.length, at + size));
		let i = 0;
		while (i < piece.length) {
			i = reader.parse(piece, i, piece.length);
			if (reader.event === OVERSIZE) events.push({ oversize: Array.from(reader.message), length: reader.oversizeLength, binary: reader.binary });
			else if (reader.event === MESSAGE) events.push({ message: Array.from(reader.message) });
			else if (reader.event === PING) events.push({ ping: Buffer.from(reader.control.subarray(0, reader.controlLength)).toString() });
			else if (reader.event === ERROR) {
				events.push({ error: reader.errorCode });
				return events;
			}
		}
	}
	return events;
}

const data = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, k) => (k * 7 + seed) & 0xff));
const next = data(50, 3);

for (const step of [0, 1, 7]) {
	const cut = step === 0 ? "in one piece" : `cut every ${step} byte(s)`;

	test(`a 3000-byte frame over 1 KB, ${cut}: OVERSIZE with its first 1024 bytes and 3000, then the next message intact`, () => {
		const big = data(3000, 1);
		assert.deepEqual(read(Buffer.concat([serverFrame(2, big), serverFrame(2, next)]), step), [
			{ oversize: Array.from(big.subarray(0, LIMIT)), length: 3000, binary: true },
			{ message: Array.from(next) },
		]);
	});

	test(`a message fragmented past 1 KB with pings between fragments, ${cut}: the pings answered in order, OVERSIZE once, the next message intact`, () => {
		const parts = [data(600, 1), data(600, 2), data(900, 5)];
		const whole = Buffer.concat(parts);
		const bytes = Buffer.concat([
			serverFrame(2, parts[0], { fin: false }),
			serverFrame(9, "a"),
			serverFrame(0, parts[1], { fin: false }),
			serverFrame(9, "b"),
			serverFrame(0, parts[2]),
			serverFrame(2, next),
		]);
		assert.deepEqual(read(bytes, step), [
			{ ping: "a" },
			{ ping: "b" },
			{ oversize: Array.from(whole.subarray(0, LIMIT)), length: 2100, binary: true },
			{ message: Array.from(next) },
		]);
	});
}

test("skipped text is not UTF-8-checked (nothing of it is delivered); a text message that fits still is", () => {
	const text = Buffer.concat([Buffer.from("x".repeat(1100)), Buffer.from([0xed, 0xa0, 0x80])]);
	assert.deepEqual(read(Buffer.concat([serverFrame(1, text), serverFrame(2, next)])), [
		{ oversize: Array.from(text.subarray(0, LIMIT)), length: 1103, binary: false },
		{ message: Array.from(next) },
	]);
	assert.deepEqual(read(serverFrame(1, Buffer.from([0x61, 0xed, 0xa0, 0x80]))), [{ error: 1007 }]);
});

test("a message of exactly the limit is delivered, one byte more is OVERSIZE", () => {
	const exact = data(LIMIT, 9);
	assert.deepEqual(read(serverFrame(2, exact)), [{ message: Array.from(exact) }]);
	const over = data(LIMIT + 1, 9);
	assert.deepEqual(read(serverFrame(2, over)), [{ oversize: Array.from(over.subarray(0, LIMIT)), length: LIMIT + 1, binary: true }]);
});

test("protocol violations stay fatal while a message is skipped; a length of 2^31 or more is 1009", () => {
	const open = serverFrame(2, data(2000, 1), { fin: false });
	assert.deepEqual(read(Buffer.concat([open, serverFrame(9, Buffer.alloc(126))])), [{ error: 1002 }], "a long ping");
	assert.deepEqual(read(Buffer.concat([open, serverFrame(2, "x")])), [{ error: 1002 }], "a new message inside the skipped one");
	assert.deepEqual(read(Buffer.concat([open, serverFrame(0, "x", { mask: new Uint8Array([1, 2, 3, 4]) })])), [{ error: 1002 }], "masked");
	assert.deepEqual(read(serverFrame(2, Buffer.alloc(0), { claimedLength: 2 ** 31 })), [{ error: 1009 }], "one frame");
	assert.deepEqual(read(Buffer.concat([open, serverFrame(0, Buffer.alloc(0), { claimedLength: 2 ** 31 - 2000 })])), [{ error: 1009 }], "fragments adding up");
	assert.deepEqual(read(serverFrame(2, Buffer.alloc(0), { claimedLength: 2 ** 32 })), [{ error: 1009 }], "4 GiB");
});
