// Zero-copy sending (beginMessage/commitMessage), lent buffers and the RX limit, on the scripted HAL.
import * as assert from "node:assert/strict";
import { describe, test } from "node:test";
import { WebSocketClient, WebSocketError, type WebSocketClientOptions } from "../../src/ws/index";
import { FakeHal, type FakeSocket } from "./fake-hal";
import { ClientFrameParser, serverFrame } from "./peer";

interface Opened {
	hal: FakeHal;
	client: WebSocketClient;
	socket: FakeSocket;
	writable: () => number;
	closes: Array<{ code: number; error: WebSocketError | null }>;
	messages: Buffer[];
}

function open(options: Partial<WebSocketClientOptions> = {}, seed = 7): Opened {
	const hal = new FakeHal(seed);
	const client = new WebSocketClient(hal, { host: "example.com", pingIntervalMs: 0, ...options });
	let writable = 0;
	const closes: Opened["closes"] = [];
	const messages: Buffer[] = [];
	client.onWritable = () => writable++;
	client.onClose = (code, _reason, error) => closes.push({ code, error });
	client.onMessage = (bytes) => messages.push(Buffer.from(bytes));
	client.open();
	const socket = hal.sockets[0];
	socket.onConnect?.();
	socket.deliver(socket.acceptResponse());
	return { hal, client, socket, writable: () => writable, closes, messages };
}

/** Writes `payload` where beginMessage says, then commits it; false on back-pressure. */
function zeroCopy(client: WebSocketClient, payload: Uint8Array, binary = true, capacity = payload.length): boolean {
	const at = client.beginMessage(capacity);
	if (at < 0) return false;
	client.txBuffer.set(payload, at);
	client.commitMessage(payload.length, binary);
	return true;
}

const isKind = (kind: string, code?: number) => (e: unknown) => e instanceof WebSocketError && e.kind === kind && (code === undefined || e.code === code);

function bytes(length: number, seed: number): Uint8Array {
	const out = new Uint8Array(length);
	for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
	return out;
}

describe("beginMessage / commitMessage", () => {
	test("the bytes on the wire are send()'s, byte for byte, for every length form and both opcodes", () => {
		// Same seed: the same masking keys in the same order, so the two streams must be identical.
		const a = open();
		const b = open();
		const messages: Array<[Uint8Array, boolean]> = [
			[bytes(0, 1), true], [bytes(1, 2), true], [bytes(125, 3), true], [bytes(126, 4), true], [bytes(127, 5), true],
			[bytes(8192, 6), true], [Buffer.from("héllo wörld", "utf8"), false], [bytes(300, 7), true],
		];
		for (const [payload, binary] of messages) {
			assert.equal(a.client.send(payload, 0, payload.length, binary), true);
			assert.equal(zeroCopy(b.client, payload, binary, 8192), true, "room for any message up to maxFrameSize");
		}
		assert.ok(a.socket.frames.length > 8800);
		assert.ok(a.socket.frames.equals(b.socket.frames), "identical bytes");
		// And they are what RFC 6455 says, read by the independent parser.
		const frames = new ClientFrameParser().push(b.socket.frames);
		assert.equal(frames.length, messages.length);
		frames.forEach((f, i) => {
			assert.deepEqual([f.fin, f.rsv, f.opcode, f.masked], [true, 0, messages[i][1] ? 2 : 1, true]);
			assert.ok(f.payload.equals(messages[i][0]), `payload ${i}`);
		});
	});

	test("the payload offset leaves exactly the header's room; a shorter message moves its header up", () => {
		const { client, socket } = open();
		assert.equal(client.beginMessage(100), 6, "2 + 4 mask");
		assert.equal(client.beginMessage(8192), 8, "2 + 2 + 4 mask");
		const at = client.beginMessage(8192);
		client.txBuffer.set([1, 2, 3], at);
		client.commitMessage(3);
		const frames = new ClientFrameParser().push(socket.frames);
		assert.deepEqual(Array.from(frames[0].payload), [1, 2, 3]);
		assert.equal(socket.frames.length, 6 + 3, "the 7-bit length form for 3 bytes");
	});

	test("back-pressure: -1 while a frame is leaving, onWritable when it has, then the next one", () => {
		const { client, socket, writable } = open();
		socket.room = 10;
		assert.equal(zeroCopy(client, bytes(500, 1)), true);
		assert.equal(client.beginMessage(500), -1);
		assert.equal(client.send(bytes(5, 2)), false, "send() sees the same busy buffer");
		assert.equal(writable(), 0);
		socket.drain(100);
		assert.equal(writable(), 0, "not yet: 110 of 508 bytes out");
		socket.drain();
		assert.equal(writable(), 1);
		assert.equal(zeroCopy(client, bytes(20, 3)), true);
		const frames = new ClientFrameParser().push(socket.frames);
		assert.deepEqual(frames.map((f) => f.payload.length), [500, 20]);
		assert.ok(frames[0].payload.equals(bytes(500, 1)) && frames[1].payload.equals(bytes(20, 3)));
	});

	test("a pong queued meanwhile goes at the frame boundary, not inside the zero-copy frame", () => {
		const { client, socket } = open();
		socket.room = 50;
		zeroCopy(client, bytes(400, 4));
		socket.deliver(serverFrame(9, "ping!"));
		socket.drain();
		const frames = new ClientFrameParser().push(socket.frames);
		assert.deepEqual(frames.map((f) => f.opcode), [2, 10]);
		assert.ok(frames[0].payload.equals(bytes(400, 4)));
		assert.equal(frames[1].payload.toString(), "ping!");
	});

	test("too big for one frame of the TX buffer, or over maxFrameSize: too-big (1009), nothing sent, still open", () => {
		const { client, socket } = open({ maxFrameSize: 1000, txBufferSize: 600 });
		assert.throws(() => client.beginMessage(1001), isKind("too-big", 1009), "over maxFrameSize");
		assert.throws(() => client.beginMessage(593), isKind("too-big", 1009), "8 + 593 > 600");
		assert.equal(client.beginMessage(592), 8);
		assert.equal(socket.frames.length, 0);
		assert.equal(zeroCopy(client, bytes(592, 5)), true);
		assert.equal(new ClientFrameParser().push(socket.frames)[0].payload.length, 592);
	});

	test("usage and state errors: commit without begin, over the capacity, after send(); text that is not UTF-8", () => {
		const { client, socket } = open();
		assert.throws(() => client.commitMessage(0), isKind("usage"));
		client.beginMessage(10);
		assert.throws(() => client.commitMessage(11), isKind("usage"), "over the capacity begun");
		client.send(bytes(3, 1));
		assert.throws(() => client.commitMessage(3), isKind("usage"), "send() took the buffer since");
		const at = client.beginMessage(2);
		client.txBuffer.set([0xc0, 0x80], at);
		assert.throws(() => client.commitMessage(2, false), isKind("bad-utf8", 1007));
		assert.equal(new ClientFrameParser().push(socket.frames).length, 1, "only the send()");
		assert.equal(zeroCopy(client, Buffer.from("ok"), false), true, "still usable");
		const fresh = new WebSocketClient(new FakeHal(), { host: "h" });
		assert.throws(() => fresh.beginMessage(1), isKind("state"));
		client.close();
		assert.throws(() => client.beginMessage(1), isKind("state"));
	});
});

describe("lent buffers and the RX limit", () => {
	test("a lent TX buffer is the one framed into; a lent RX buffer is the one messages are views of", () => {
		const tx = new Uint8Array(8200);
		const rx = new Uint8Array(8192);
		const { client, messages, socket } = open({ txBuffer: tx, rxBuffer: rx, maxMessageSize: 8192 });
		assert.equal(client.txBuffer, tx);
		let view: Uint8Array | null = null;
		client.onMessage = (bytes) => {
			view = bytes;
			messages.push(Buffer.from(bytes));
		};
		socket.deliver(serverFrame(2, Buffer.from("abc")));
		assert.equal(view!.buffer, rx.buffer);
		assert.equal(messages[0].toString(), "abc");
		const at = client.beginMessage(4);
		tx.set([9, 8, 7, 6], at);
		client.commitMessage(4);
		assert.deepEqual(Array.from(new ClientFrameParser().push(socket.frames)[0].payload), [9, 8, 7, 6]);
	});

	test("a lent RX buffer smaller than maxMessageSize, or a TX buffer under 7 bytes, is a usage error", () => {
		const hal = new FakeHal();
		assert.throws(() => new WebSocketClient(hal, { host: "h", maxMessageSize: 8192, rxBuffer: new Uint8Array(8191) }), isKind("usage"));
		assert.throws(() => new WebSocketClient(hal, { host: "h", txBuffer: new Uint8Array(6) }), isKind("usage"));
	});

	test("RX of one 8192-byte chunk: 8192 in one frame or in fragments is delivered; 8193 either way is skipped past its head (onOversize), the connection kept", () => {
		const options = { maxFrameSize: 8192, maxMessageSize: 8192, rxBuffer: new Uint8Array(8192) };
		const ok = open(options);
		ok.socket.deliver(serverFrame(2, Buffer.alloc(8192, 1)));
		ok.socket.deliver(Buffer.concat([serverFrame(2, Buffer.alloc(4096, 2), { fin: false }), serverFrame(0, Buffer.alloc(4096, 3))]));
		assert.deepEqual(ok.messages.map((m) => m.length), [8192, 8192]);
		assert.equal(ok.closes.length, 0);

		const oversized = (pieces: Buffer[]) => {
			const o = open(options);
			const seen: Array<[number, number, number]> = [];
			o.client.onOversize = (head, length) => seen.push([head.length, head[0], length]);
			o.socket.deliver(Buffer.concat([...pieces, serverFrame(2, Buffer.alloc(100, 4))]));
			assert.deepEqual(seen, [[8192, 5, 8193]], "its head (the RX buffer full) and full length");
			assert.deepEqual(o.messages.map((m) => [m.length, m[99]]), [[100, 4]], "the next message intact");
			assert.equal(o.client.oversizeMessages, 1);
			assert.equal(o.closes.length, 0);
			assert.equal(o.socket.frames.length, 0, "nothing sent: no close frame");
		};
		oversized([serverFrame(2, Buffer.alloc(8193, 5))]);
		oversized([serverFrame(2, Buffer.alloc(4097, 5), { fin: false }), serverFrame(0, Buffer.alloc(4096, 6))]);
	});
});
