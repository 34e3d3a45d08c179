// Multipart (docs/protocol.md §1.2-1.3): the split matches the C SDK's captured chunk sizes, is free of its
// split bug around the chunk limit, and the Reassembler rebuilds the message within its bounds.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
	chunkCount, Code, DecodeError, decodeMessage, EncodeError, encodeChunk, encodeMessageToBytes, Reassembler, type ChunkMessage,
	type Message,
} from "../../src/protocol/index";
import { ascii, hex } from "./helpers";

const CHUNK = 8192;

/** POST DriverThing.EchoBig with one STRING param sized so the body (all after the header) is `bodyLength` bytes. */
function post(bodyLength: number, requestId = 11): Uint8Array {
	const make = (n: number): Message => ({
		kind: "request", version: 1, code: Code.POST, requestId, endpointId: 0, sessionId: 0xbeef, entityType: 0x0a,
		entityName: "DriverThing", characteristicType: 2, characteristicName: "EchoBig", headers: [],
		params: { fields: [{ name: "s", description: "", baseType: "STRING", aspects: [] }], rows: [[{ type: "STRING", value: "x".repeat(n) }]] },
	});
	const overhead = encodeMessageToBytes(make(200)).length - 15 - 200;
	const bytes = encodeMessageToBytes(make(bodyLength - overhead));
	assert.equal(bytes.length, 15 + bodyLength);
	return bytes;
}

/** SUCCESS response with a `result` STRING sized so the body is `bodyLength` bytes. */
function response(bodyLength: number): Uint8Array {
	const make = (n: number): Message => ({
		kind: "response", version: 1, code: Code.SUCCESS, requestId: 1005, endpointId: 0, sessionId: 0xbeef, reason: null, contentType: 5, trailing: 0,
		content: { fields: [{ name: "result", description: "", baseType: "STRING", aspects: [] }], rows: [[{ type: "STRING", value: "y".repeat(n) }]] },
	});
	const overhead = encodeMessageToBytes(make(200)).length - 15 - 200;
	const bytes = encodeMessageToBytes(make(bodyLength - overhead));
	assert.equal(bytes.length, 15 + bodyLength);
	return bytes;
}

function split(message: Uint8Array, chunkSize = CHUNK, deflate = false): Uint8Array[] {
	const n = chunkCount(message, message.length, chunkSize, deflate);
	const chunks: Uint8Array[] = [];
	for (let k = 1; k <= n; k++) {
		const into = new Uint8Array(chunkSize + 8);
		chunks.push(into.slice(0, encodeChunk(message, message.length, k, chunkSize, into, 0, deflate)));
	}
	return chunks;
}

function reassemble(chunks: Uint8Array[], order = chunks.map((_, i) => i)): Uint8Array {
	const r = new Reassembler();
	let out: Uint8Array | null = null;
	for (const i of order) {
		assert.equal(out, null, "complete only with the last chunk");
		out = r.add(decodeMessage(chunks[i]) as ChunkMessage, 0);
	}
	assert.ok(out);
	assert.equal(r.pending, 0);
	return out;
}

test("§1.3 captured: a 9 044-byte POST body for DriverThing splits into 8 179 (21 + 8 158) + 920 (21 + 13 + 886) bytes", () => {
	const message = post(9044);
	const chunks = split(message);
	assert.deepStrictEqual(chunks.map((c) => c.length), [8179, 920]);
	const header = hex(message.subarray(0, 14));
	assert.equal(hex(chunks[0].subarray(0, 21 + 13 + 9)), `${header}01 0001 0002 2000 0a0b${ascii("DriverThing")} 0207${ascii("EchoBig")}`.replace(/ /g, ""));
	assert.equal(hex(chunks[1].subarray(0, 34)), `${header}01 0002 0002 2000 0a0b${ascii("DriverThing")}`.replace(/ /g, ""));
	assert.equal(hex(chunks[0].subarray(21)), hex(message.subarray(15, 15 + 8158)));
	assert.equal(hex(chunks[1].subarray(34)), hex(message.subarray(15 + 8158)));
	assert.equal(hex(reassemble(chunks)), hex(message));
	assert.equal(hex(reassemble(chunks, [1, 0])), hex(message));
});

test("§1.3 captured: with permessage-deflate the first chunk is 8 175 bytes before compression", () => {
	assert.deepStrictEqual(split(post(9044), CHUNK, true).map((c) => c.length), [8175, 924]);
});

test("§1.3 captured: a 9 994-byte response body splits into 8 192 + 1 844 bytes (no entity prefix)", () => {
	const message = response(9994);
	const chunks = split(message);
	assert.deepStrictEqual(chunks.map((c) => c.length), [8192, 1844]);
	assert.equal(hex(chunks[1].subarray(21)), hex(message.subarray(15 + 8171)));
	assert.equal(hex(reassemble(chunks)), hex(message));
});

/** Checks a split against §1.3 computed independently: eff, chunk count, slices, limits. */
function checkSplit(message: Uint8Array, prefix: number, deflate: boolean): void {
	const body = message.length - 15;
	const eff = CHUNK - 21 - prefix - (deflate ? 4 : 0);
	const expected = Math.max(1, Math.ceil(body / eff));
	assert.equal(chunkCount(message, message.length, CHUNK, deflate), expected, `body ${body}`);
	if (expected === 1) {
		assert.ok(message.length <= CHUNK - 6 - prefix, `single message of body ${body} fits`);
		return;
	}
	const chunks = split(message, CHUNK, deflate);
	const data: Uint8Array[] = [];
	chunks.forEach((c, i) => {
		assert.ok(c.length <= CHUNK - (deflate ? 4 : 0), `chunk ${i + 1} within the chunk size`);
		assert.equal(c[14], 1);
		const payload = c.subarray(21 + (i > 0 ? prefix : 0));
		assert.ok(payload.length > 0, "no empty chunk");
		assert.ok(payload.length <= eff);
		data.push(payload);
	});
	assert.equal(Buffer.concat(data).toString("hex"), hex(message.subarray(15)));
	assert.equal(hex(reassemble(chunks, chunks.map((_, i) => chunks.length - 1 - i))), hex(message));
}

test("bodies at every length around the C SDK's bug window split correctly and reassemble (requests, responses, deflate)", () => {
	// Request window (C SDK): eff = 8158 <= L <= 8171; exact multiples of eff gave the C SDK an empty last chunk.
	for (let body = 8140; body <= 8190; body++) {
		checkSplit(post(body), 13, false);
		checkSplit(post(body), 13, true);
		checkSplit(response(body), 0, false);
		checkSplit(response(body), 0, true);
	}
	for (const body of [2 * 8158 - 1, 2 * 8158, 2 * 8158 + 1, 3 * 8158]) checkSplit(post(body), 13, false);
	for (const body of [2 * 8171, 2 * 8167]) {
		checkSplit(response(body), 0, false);
		checkSplit(response(body), 0, true);
	}
	assert.equal(chunkCount(post(8158), 15 + 8158, CHUNK), 1, "L = eff still fits one message");
	assert.equal(chunkCount(post(8159), 15 + 8159, CHUNK), 2, "the C SDK would send two non-multipart messages here");
	assert.equal(chunkCount(post(2 * 8158), 15 + 2 * 8158, CHUNK), 2, "the C SDK would add an empty third chunk");
});

test("§1.3 the C SDK's buggy split of an 8 165-byte body (two non-multipart frames, 8 173 + 22 B) is two DecodeErrors", () => {
	const message = post(8165);
	const first = message.subarray(0, 15 + 8158);
	const second = new Uint8Array(15 + 7);
	second.set(message.subarray(0, 15));
	second.set(message.subarray(15 + 8158), 15);
	assert.deepStrictEqual([first.length, second.length], [8173, 22]);
	for (const frame of [first, second]) assert.throws(() => decodeMessage(frame), DecodeError);
	assert.equal(chunkCount(message, message.length, CHUNK), 2, "we send it as two proper chunks");
});

test("multipart works for any code (a large BIND has no entity prefix) and small chunk sizes", () => {
	const bind: Message = { kind: "bind", version: 1, code: Code.BIND, requestId: 3, endpointId: 0, sessionId: 1, gateway: null, names: Array.from({ length: 100 }, (_, i) => "Thing" + i) };
	const bytes = encodeMessageToBytes(bind);
	const chunks = split(bytes, 100);
	assert.equal(chunks.length, Math.ceil((bytes.length - 15) / 79));
	assert.deepStrictEqual(decodeMessage(reassemble(chunks)), bind);
});

test("encodeChunk/chunkCount refuse impossible requests with EncodeError", () => {
	const message = post(9044);
	const into = new Uint8Array(CHUNK);
	const reason = (re: RegExp) => (e: unknown) => e instanceof EncodeError && re.test(e.reason);
	assert.throws(() => encodeChunk(message, message.length, 0, CHUNK, into, 0), reason(/chunk 0 of 2/));
	assert.throws(() => encodeChunk(message, message.length, 3, CHUNK, into, 0), reason(/chunk 3 of 2/));
	assert.throws(() => encodeChunk(message, message.length, 1, CHUNK, new Uint8Array(8000), 0), reason(/no room/));
	assert.throws(() => chunkCount(message, message.length, 34), reason(/leaves no room/));
	assert.throws(() => chunkCount(message, message.length, 70000), reason(/chunk size 70000/));
	assert.throws(() => chunkCount(message, message.length + 1, CHUNK), reason(/length/));
	assert.throws(() => chunkCount(message, 16, CHUNK), reason(/entity address/));
});

function chunkOf(message: Uint8Array, k: number, chunkSize = CHUNK): ChunkMessage {
	const into = new Uint8Array(chunkSize);
	return decodeMessage(into.subarray(0, encodeChunk(message, message.length, k, chunkSize, into, 0))) as ChunkMessage;
}

test("Reassembler: duplicates, interleaved sets, copies of the data, and the header of the last chunk", () => {
	const a = post(20000, 21);
	const b = post(9044, 22);
	const r = new Reassembler();
	const a2 = chunkOf(a, 2);
	assert.equal(r.add(a2, 0), null);
	assert.equal(r.add(a2, 1), null);
	assert.equal(r.droppedDuplicate, 1);
	assert.equal(r.add(chunkOf(b, 2), 2), null);
	(a2.data as Uint8Array).fill(0); // the caller's buffer is reused: the Reassembler kept a copy
	assert.equal(r.add(chunkOf(a, 3), 3), null);
	assert.equal(r.pending, 2);
	const b1 = chunkOf(b, 1);
	b1.sessionId = 0x1234;
	const bOut = r.add(b1, 4)!;
	assert.deepStrictEqual(decodeMessage(bOut), { ...decodeMessage(b), sessionId: 0x1234 });
	assert.equal(hex(r.add(chunkOf(a, 1), 5)!), hex(a));
	assert.equal(r.pending, 0);
	assert.deepStrictEqual([r.droppedDuplicate, r.droppedInvalid, r.droppedOversize, r.droppedStale], [1, 0, 0, 0]);
});

test("Reassembler: invalid chunks are dropped and counted", () => {
	const message = post(9044);
	const r = new Reassembler();
	const c1 = chunkOf(message, 1);
	assert.equal(r.add({ ...c1, chunkId: 0 }, 0), null);
	assert.equal(r.add({ ...c1, chunkId: 3 }, 0), null);
	assert.equal(r.add({ ...c1, data: new Uint8Array(CHUNK) }, 0), null);
	assert.equal(r.droppedInvalid, 3);
	assert.equal(r.pending, 0);
	assert.equal(r.add(c1, 0), null);
	const c2 = chunkOf(message, 2);
	assert.equal(r.add({ ...c2, chunkCount: 3 }, 0), null);
	assert.equal(r.add({ ...c2, chunkSize: 4096 }, 0), null);
	assert.equal(r.add({ ...c2, code: Code.PUT }, 0), null);
	assert.equal(r.add({ ...c2, entity: { type: 0x0a, name: "Other" } }, 0), null);
	assert.equal(r.droppedInvalid, 7);
	assert.equal(hex(r.add(c2, 0)!), hex(message));
});

test("Reassembler: a set whose chunkCount * chunkSize exceeds maxMessageSize is refused and counted", () => {
	const message = post(9044);
	const small = new Reassembler({ maxMessageSize: 2 * CHUNK - 1 });
	assert.equal(small.add(chunkOf(message, 1), 0), null);
	assert.equal(small.add(chunkOf(message, 2), 0), null);
	assert.deepStrictEqual([small.droppedOversize, small.pending, small.bytes], [2, 0, 0]);
	const exact = new Reassembler({ maxMessageSize: 2 * CHUNK });
	assert.equal(exact.add(chunkOf(message, 1), 0), null);
	assert.ok(exact.bytes > 9044 && exact.bytes <= 2 * CHUNK, "a set reserves what its chunks can carry, within chunkCount * chunkSize");
	assert.equal(hex(exact.add(chunkOf(message, 2), 0)!), hex(message));
	assert.deepStrictEqual([exact.droppedOversize, exact.pending, exact.bytes], [0, 0, 0]);
});

test("Reassembler: maxBytes bounds the unfinished sets' memory together; a set that would pass it is refused and counted", () => {
	const r = new Reassembler({ maxMessageSize: 1 << 20, maxBytes: 2 * CHUNK });
	assert.equal(r.add(chunkOf(post(9044, 1), 1), 0), null);
	assert.equal(r.add(chunkOf(post(9044, 2), 2), 0), null, "both sets together would pass maxBytes");
	assert.equal(r.add(chunkOf(post(9044, 2), 1), 0), null);
	assert.deepStrictEqual([r.droppedNoRoom, r.pending], [2, 1]);
	assert.ok(r.bytes <= 2 * CHUNK);
	assert.equal(hex(r.add(chunkOf(post(9044, 1), 2), 0)!), hex(post(9044, 1)));
	assert.equal(r.bytes, 0, "a completed set gives its memory back");
	assert.equal(r.add(chunkOf(post(9044, 2), 1), 0), null);
	assert.equal(hex(r.add(chunkOf(post(9044, 2), 2), 0)!), hex(post(9044, 2)));
	assert.equal(r.droppedNoRoom, 2);
});

test("Reassembler: maxSets bounds the unfinished sets; the first chunk of one more is refused and counted, the sets under way complete", () => {
	const r = new Reassembler({ maxSets: 3 });
	for (let id = 1; id <= 3; id++) assert.equal(r.add(chunkOf(post(9044, id), 2), 0), null);
	assert.equal(r.add(chunkOf(post(9044, 4), 1), 0), null);
	assert.equal(r.add(chunkOf(post(9044, 4), 2), 0), null);
	assert.deepStrictEqual([r.droppedTooMany, r.pending], [2, 3]);
	assert.equal(hex(r.add(chunkOf(post(9044, 2), 1), 0)!), hex(post(9044, 2)));
	assert.equal(r.add(chunkOf(post(9044, 4), 1), 0), null, "a slot is free again");
	assert.equal(hex(r.add(chunkOf(post(9044, 4), 2), 0)!), hex(post(9044, 4)));
	assert.throws(() => new Reassembler({ maxSets: 0 }), RangeError);
});

test("Reassembler: 40 000 first chunks with new request ids hold at most maxSets sets and maxBytes; each one refused is counted; stale sets make room lazily", () => {
	const r = new Reassembler({ maxSets: 4, maxBytes: 4 * 2 * CHUNK, staleMs: 50000 });
	const first = chunkOf(post(9044), 1);
	let peakBytes = 0;
	for (let i = 0; i < 40000; i++) {
		first.requestId = 100000 + i;
		assert.equal(r.add(first, 1000 + i), null);
		assert.ok(r.pending <= 4);
		if (r.bytes > peakBytes) peakBytes = r.bytes;
	}
	assert.ok(peakBytes <= 4 * 2 * CHUNK, String(peakBytes));
	assert.deepStrictEqual([r.pending, r.droppedTooMany, r.droppedStale, r.staleAt], [4, 40000 - 4, 0, 1000 + 50000]);
	// Once the hostile sets are stale, a real message finds room (no sweep needed) and completes.
	const message = post(9044, 7);
	assert.equal(r.add(chunkOf(message, 1), 51003), null);
	assert.equal(r.droppedStale, 4, "the four hostile sets started at 1000-1003");
	assert.equal(hex(r.add(chunkOf(message, 2), 51004)!), hex(message));
	assert.deepStrictEqual([r.pending, r.bytes, r.staleAt], [0, 0, -1]);
});

test("Reassembler: a chunk with more data than its chunkSize holds is invalid and opens no set; a zero-length last chunk (the C SDK's exact-multiple split) completes", () => {
	const message = post(9044);
	const r = new Reassembler();
	const c1 = chunkOf(message, 1);
	const c2 = chunkOf(message, 2);
	assert.equal(r.add({ ...c2, data: new Uint8Array(CHUNK - 21 - 13 + 1) }, 0), null);
	assert.deepStrictEqual([r.droppedInvalid, r.pending], [1, 0]);
	assert.equal(r.add({ ...c1, chunkCount: 3 }, 0), null);
	assert.equal(r.add({ ...c2, chunkCount: 3, chunkId: 3, data: new Uint8Array(0) }, 0), null);
	assert.equal(hex(r.add({ ...c2, chunkCount: 3 }, 0)!), hex(message));
});

test("Reassembler: incomplete sets go stale after staleMs (default 50 000 ms) and are counted", () => {
	const message = post(9044);
	const r = new Reassembler();
	assert.equal(r.staleAt, -1);
	r.add(chunkOf(message, 1), 1000);
	assert.equal(r.staleAt, 51000);
	r.sweep(50999);
	assert.equal(r.pending, 1);
	r.sweep(51000);
	assert.equal(r.pending, 0);
	assert.equal(r.droppedStale, 1);
	assert.equal(r.sweep(51000), 0);
	// A late second chunk starts a new set rather than completing the stale one.
	assert.equal(r.add(chunkOf(message, 2), 51001), null);
	const short = new Reassembler({ staleMs: 10 });
	short.add(chunkOf(message, 1), 0);
	assert.equal(short.add(chunkOf(message, 2), 10), null, "add() sweeps first");
	assert.equal(short.droppedStale, 1);
	short.clear();
	assert.equal(short.pending, 0);
});
