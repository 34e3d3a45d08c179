// FrameWriter.frameInPlace: the payload masked with the frame's key (RFC 6455 §5.3), whatever its length
// and alignment, word by word in the TX buffer and byte by byte elsewhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Hal } from "../../hal/hal";
import { FrameWriter, frameHeaderSize } from "../../src/ws/frame-writer";

/** A HAL whose random bytes are a seeded sequence (only randomBytes is called). */
function seededHal(): Hal {
	let seed = 7;
	return { randomBytes(into: Uint8Array, offset: number, length: number) {
		for (let i = 0; i < length; i++) into[offset + i] = seed = (seed * 73 + 41) & 0xff;
	} } as unknown as Hal;
}

test("frameInPlace: unmasking each byte with key[i % 4] gives the payload back, for every length 0..13 and payload alignment", () => {
	const tx = new Uint8Array(64);
	const other = new Uint8Array(64);
	const writer = new FrameWriter(seededHal(), tx);
	for (const into of [tx, other]) {
		for (let length = 0; length <= 13; length++) {
			for (let payload = 6; payload < 10; payload++) {
				const original = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff);
				into.fill(0xee);
				into.set(original, payload);
				const start = writer.frameInPlace(into, payload, 0x82, length);
				assert.equal(start, payload - frameHeaderSize(length));
				assert.deepEqual([into[start], into[start + 1]], [0x82, 0x80 | length]);
				const key = into.subarray(payload - 4, payload);
				const unmasked = into.slice(payload, payload + length).map((b, i) => b ^ key[i % 4]!);
				assert.deepEqual(unmasked, original, `length ${length} at ${payload}`);
				if (length > 0 && key[0] !== 0) assert.notEqual(into[payload], original[0], "masked");
				assert.equal(into[payload + length], 0xee, "nothing written after the payload");
			}
		}
	}
});
