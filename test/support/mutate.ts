/*
 * Seeded input mutators shared by the decoder fuzz (test/protocol/fuzz.test.ts) and the hostile-server
 * fuzzer (test/chaos/hostile.ts): bit flips, truncation, length lies, insertions, deletions, random tails.
 */
import { seeded } from "./seeded";

/** A seeded integer in [0, n), so a failure is reproducible. */
export function prng(seed: number): (n: number) => number {
	const random = seeded(seed);
	return (n) => Math.floor(random() * n);
}


const LIES = [0x00, 0x01, 0x02, 0x05, 0x12, 0x7f, 0x80, 0xff];

export function mutate(source: Uint8Array, rand: (n: number) => number): Uint8Array {
	const bytes = source.slice();
	const at = rand(bytes.length);
	switch (rand(7)) {
		case 0: // bit flips
			for (let i = 1 + rand(3); i > 0; i--) bytes[rand(bytes.length)] ^= 1 << rand(8);
			return bytes;
		case 1: // truncation
			return bytes.subarray(0, rand(bytes.length));
		case 2: // a byte that often means a type, a marker or a length
			bytes[at] = LIES[rand(LIES.length)];
			return bytes;
		case 3: // a 4-byte length lie
			bytes.set([0x80 | rand(128), rand(256), rand(256), rand(256)].slice(0, bytes.length - at), at);
			return bytes;
		case 4: { // insertion
			const out = new Uint8Array(bytes.length + 1);
			out.set(bytes.subarray(0, at));
			out[at] = rand(256);
			out.set(bytes.subarray(at), at + 1);
			return out;
		}
		case 5: { // deletion
			const out = new Uint8Array(bytes.length - 1);
			out.set(bytes.subarray(0, at));
			out.set(bytes.subarray(at + 1), at);
			return out;
		}
		default: // random tail after a valid prefix
			for (let i = at; i < bytes.length; i++) bytes[i] = rand(256);
			return bytes;
	}
}

export function randomBytes(rand: (n: number) => number): Uint8Array {
	const bytes = new Uint8Array(rand(80));
	for (let i = 0; i < bytes.length; i++) bytes[i] = rand(256);
	if (bytes.length > 15 && rand(2)) { // a plausible header, so the body parsers get exercised
		bytes[0] = 1;
		bytes[1] = [1, 2, 3, 4, 0x0a, 0x0b, 0x14, 0x1f, 0x40, 0x84][rand(10)];
		bytes[14] = rand(4) === 0 ? 1 : 0;
	}
	return bytes;
}
