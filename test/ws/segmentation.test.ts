// Property: however the server's bytes are cut (whole, one byte per read, random pieces), the client
// delivers the same messages, answers the same pings, and ends the same way. Expected values come
// from the generated script, not from the client.
import * as assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { WebSocketClient } from "../../src/ws/index";
import { FakeHal } from "./fake-hal";
import { ClientFrameParser, closePayload, serverFrame, type ServerFrameOptions } from "./peer";

interface Message {
	binary: boolean;
	data: Buffer;
	/** Byte positions where the message is cut into fragments. */
	cuts: number[];
	/** Ping payloads sent after each fragment but the last. */
	pings: string[];
	lengthBits: Array<7 | 16 | 64>;
}

type Step = { message: Message } | { ping: string } | { pong: string };

/** A protocol violation and the close code it must produce. */
const VIOLATIONS: ReadonlyArray<{ name: string; bytes: Buffer; code: number }> = [
	{ name: "masked", bytes: serverFrame(2, "x", { mask: new Uint8Array([1, 2, 3, 4]) }), code: 1002 },
	{ name: "rsv1", bytes: serverFrame(2, "x", { rsv: 0x40 }), code: 1002 },
	{ name: "opcode 3", bytes: serverFrame(3, "x"), code: 1002 },
	{ name: "continuation first", bytes: serverFrame(0, "x"), code: 1002 },
	{ name: "long ping", bytes: serverFrame(9, Buffer.alloc(126)), code: 1002 },
	{ name: "bad utf-8", bytes: serverFrame(1, Buffer.from([0x61, 0xed, 0xa0, 0x80])), code: 1007 },
	{ name: "a length of 2^31", bytes: serverFrame(2, Buffer.alloc(0), { claimedLength: 2 ** 31 }), code: 1009 },
];

const text = fc.array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0x10ffff })), { maxLength: 60 }).map((points) => Buffer.from(String.fromCodePoint(...points), "utf8"));
const bytes = fc.oneof({ weight: 6, arbitrary: fc.uint8Array({ maxLength: 200 }) }, { weight: 1, arbitrary: fc.integer({ min: 126, max: 70000 }).map((n) => Buffer.alloc(n, n & 0xff)) });
const pingText = fc.string({ maxLength: 20, unit: "grapheme-ascii" });

const message: fc.Arbitrary<Message> = fc
	.tuple(fc.boolean(), text, bytes, fc.array(fc.nat(), { maxLength: 4 }), fc.array(pingText, { maxLength: 3 }), fc.array(fc.constantFrom<7 | 16 | 64>(7, 16, 64), { minLength: 5, maxLength: 5 }))
	.map(([binary, t, b, rawCuts, pings, lengthBits]) => {
		const data = Buffer.from(binary ? b : t);
		const cuts = [...new Set(rawCuts.map((c) => (data.length === 0 ? 0 : c % (data.length + 1))))].sort((x, y) => x - y);
		return { binary, data, cuts, pings: pings.slice(0, cuts.length), lengthBits };
	});

const step: fc.Arbitrary<Step> = fc.oneof({ weight: 5, arbitrary: message.map((m) => ({ message: m })) }, { weight: 1, arbitrary: pingText.map((p) => ({ ping: p })) }, { weight: 1, arbitrary: pingText.map((p) => ({ pong: p })) });

function encode(steps: Step[]): Buffer {
	const out: Buffer[] = [];
	for (const s of steps) {
		if ("ping" in s) out.push(serverFrame(9, s.ping));
		else if ("pong" in s) out.push(serverFrame(10, s.pong));
		else {
			const { data, cuts, pings, binary, lengthBits } = s.message;
			const bounds = [0, ...cuts, data.length];
			const pieces = bounds.length - 1;
			for (let i = 0; i < pieces; i++) {
				const payload = data.subarray(bounds[i], bounds[i + 1]);
				// the drawn length form, or the smallest that holds the payload (7- and 16-bit forms may be non-minimal)
				const smallest = payload.length < 126 ? 7 : payload.length < 65536 ? 16 : 64;
				const options: ServerFrameOptions = { fin: i === pieces - 1, lengthBits: Math.max(lengthBits[i % lengthBits.length], smallest) as 7 | 16 | 64 };
				out.push(serverFrame(i === 0 ? (binary ? 2 : 1) : 0, payload, options));
				if (i < pings.length && i < pieces - 1) out.push(serverFrame(9, pings[i]));
			}
		}
	}
	return Buffer.concat(out);
}

/** What the script says the client must deliver and answer. */
function expected(steps: Step[]): { messages: string[]; pongs: string[] } {
	const messages: string[] = [];
	const pongs: string[] = [];
	for (const s of steps) {
		if ("ping" in s) pongs.push(s.ping);
		else if ("message" in s) {
			const { data, cuts, pings, binary } = s.message;
			pongs.push(...pings.slice(0, cuts.length));
			messages.push(`${binary ? "b" : "t"}:${data.toString("hex")}`);
		}
	}
	return { messages, pongs };
}

interface Outcome {
	messages: string[];
	written: string;
	closes: string[];
}

function run(stream: Buffer, cuts: (length: number) => number[]): Outcome {
	const hal = new FakeHal(42);
	const client = new WebSocketClient(hal, { host: "h", pingIntervalMs: 0, maxFrameSize: 80000, maxMessageSize: 80000 });
	const outcome: Outcome = { messages: [], written: "", closes: [] };
	client.onMessage = (b, binary) => outcome.messages.push(`${binary ? "b" : "t"}:${Buffer.from(b).toString("hex")}`);
	client.onClose = (code, reason, error) => outcome.closes.push(`${code} ${reason} ${error?.kind ?? "clean"}`);
	client.open();
	const socket = hal.sockets[0];
	socket.onConnect?.();
	const all = Buffer.concat([socket.acceptResponse(), stream]);
	socket.deliver(all, cuts(all.length));
	outcome.written = Buffer.from(socket.written).toString("hex");
	return outcome;
}

function clientFrames(written: string): Array<[number, string]> {
	const all = Buffer.from(written, "hex");
	return new ClientFrameParser().push(all.subarray(all.indexOf("\r\n\r\n") + 4)).map((f) => [f.opcode, f.payload.toString("latin1")]);
}

const segmentations = (randomCuts: number[]): Array<[string, (length: number) => number[]]> => [
	["whole", () => []],
	["one byte per read", (length) => Array(length).fill(1)],
	["random pieces", () => randomCuts],
];

test("same result under any segmentation: messages, pongs, clean close", () => {
	fc.assert(
		fc.property(fc.array(step, { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 400 }), fc.integer({ min: 3000, max: 4999 }), (steps, randomCuts, closeCode) => {
			const stream = Buffer.concat([encode(steps), serverFrame(8, closePayload(closeCode, "fin ✓"))]);
			const want = expected(steps);
			let first: Outcome | null = null;
			for (const [name, cuts] of segmentations(randomCuts)) {
				const got = run(stream, cuts);
				assert.deepEqual(got.messages, want.messages, name);
				assert.deepEqual(got.closes, [`${closeCode} fin ✓ clean`], name);
				const frames = clientFrames(got.written);
				assert.deepEqual(
					frames,
					[...want.pongs.map((p): [number, string] => [10, p]), [8, closePayload(closeCode, "fin ✓").toString("latin1")]],
					name,
				);
				if (first !== null) assert.equal(got.written, first.written, `${name}: same bytes written`);
				first = got;
			}
		}),
		{ numRuns: 120 },
	);
});

test("same failure under any segmentation: messages before the violation, then its close code", () => {
	fc.assert(
		fc.property(fc.array(step, { maxLength: 5 }), fc.constantFrom(...VIOLATIONS), fc.array(fc.integer({ min: 1, max: 16 }), { maxLength: 200 }), (steps, violation, randomCuts) => {
			const stream = Buffer.concat([encode(steps), violation.bytes, serverFrame(2, "never delivered")]);
			const want = expected(steps);
			for (const [name, cuts] of segmentations(randomCuts)) {
				const got = run(stream, cuts);
				assert.deepEqual(got.messages, want.messages, `${violation.name}, ${name}`);
				assert.equal(got.closes.length, 1);
				assert.equal(Number(got.closes[0].split(" ")[0]), violation.code, `${violation.name}, ${name}: ${got.closes[0]}`);
				const frames = clientFrames(got.written);
				const close = frames[frames.length - 1];
				assert.equal(close[0], 8);
				assert.equal(Buffer.from(close[1], "latin1").readUInt16BE(0), violation.code, "the close frame carries the code");
			}
		}),
		{ numRuns: 80 },
	);
});
