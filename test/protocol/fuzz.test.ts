// Decoder fuzz: mutated capture frames (bit flips, truncation, length lies, insertions, deletions) and
// random bytes. The only acceptable failure is a DecodeError with an offset inside the input; whatever
// decodes must re-encode and decode to the same message. Deterministic (seeded), bounded by count.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
	chunkCount, DecodeError, decodeMessage, encodeChunk, encodeMessageToBytes, readRequestHead, Reassembler, RequestHead,
	type ChunkMessage,
} from "../../src/protocol/index";
import { captureFrames, unhex } from "./helpers";
import { mutate, prng, randomBytes } from "../support/mutate";

const stats = { inputs: 0, decoded: 0, rejected: 0 };
const head = new RequestHead();

function check(bytes: Uint8Array): void {
	stats.inputs++;
	let headOk = true;
	try {
		readRequestHead(bytes, 0, bytes.length, head);
		assert.ok(head.paramsOffset < bytes.length && head.entityNameOffset + head.entityNameLength <= bytes.length);
	} catch (error) {
		if (!(error instanceof DecodeError)) throw error;
		headOk = false;
	}
	let message;
	try {
		message = decodeMessage(bytes);
	} catch (error) {
		if (!(error instanceof DecodeError)) throw error;
		assert.ok(Number.isInteger(error.offset) && error.offset >= 0 && error.offset <= bytes.length, `offset ${error.offset} of ${bytes.length}`);
		assert.ok(error.reason.length > 0);
		stats.rejected++;
		return;
	}
	stats.decoded++;
	if (message.kind === "request") assert.ok(headOk && head.requestId === message.requestId, "a decodable request has a readable head");
	assert.deepStrictEqual(decodeMessage(encodeMessageToBytes(message)), message);
}

test("mutated capture frames and random bytes: only DecodeErrors, and whatever decodes re-encodes", (t) => {
	const rand = prng(0x5eed);
	const frames = captureFrames().map((f) => unhex(f.hex));
	for (const frame of frames) for (let i = 0; i < 200; i++) check(mutate(frame, rand));
	for (let i = 0; i < 3000; i++) check(randomBytes(rand));
	assert.equal(stats.inputs, 13000);
	t.diagnostic(JSON.stringify(stats));
	assert.ok(stats.decoded > 100 && stats.rejected > 1000, JSON.stringify(stats));
});

test("mutated multipart chunks: decode or DecodeError; the Reassembler never throws and counts what it drops", () => {
	const rand = prng(0xc0ffee);
	const big = unhex(captureFrames().find((f) => f.hex.length > 8000)!.hex); // GetMetadata response, 4 412 B
	const chunkSize = 1024;
	const count = chunkCount(big, big.length, chunkSize);
	const chunks = Array.from({ length: count }, (_, i) => {
		const into = new Uint8Array(chunkSize);
		return into.slice(0, encodeChunk(big, big.length, i + 1, chunkSize, into, 0));
	});
	const r = new Reassembler({ maxMessageSize: 64 * 1024 });
	let completed = 0;
	for (let i = 0; i < 1500; i++) {
		const source = chunks[rand(count)];
		const bytes = rand(3) === 0 ? source : mutate(source, rand);
		let chunk;
		try {
			chunk = decodeMessage(bytes);
		} catch (error) {
			if (!(error instanceof DecodeError)) throw error;
			continue;
		}
		if (chunk.kind !== "chunk") continue;
		const out = r.add(chunk as ChunkMessage, i);
		if (out === null) continue;
		completed++;
		try {
			decodeMessage(out);
		} catch (error) {
			if (!(error instanceof DecodeError)) throw error;
		}
	}
	assert.ok(completed > 0);
	assert.ok(r.droppedDuplicate + r.droppedInvalid > 0);
});
