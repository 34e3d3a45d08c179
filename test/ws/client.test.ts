// The client on a scripted HAL: request format, timers, back-pressure, close bookkeeping, usage errors.
import * as assert from "node:assert/strict";
import { describe, test } from "node:test";
import { WebSocketClient, WebSocketError, type WebSocketClientOptions } from "../../src/ws/index";
import { FakeHal, type FakeSocket } from "./fake-hal";
import { ClientFrameParser, closePayload, serverFrame } from "./peer";

interface Events {
	opened: number;
	messages: Array<{ data: Buffer; binary: boolean }>;
	closes: Array<{ code: number; reason: string; error: WebSocketError | null }>;
	writable: number;
}

function start(options: Partial<WebSocketClientOptions> = {}, seed = 1): { hal: FakeHal; client: WebSocketClient; socket: FakeSocket; events: Events } {
	const hal = new FakeHal(seed);
	const client = new WebSocketClient(hal, { host: "example.com", pingIntervalMs: 0, ...options });
	const events: Events = { opened: 0, messages: [], closes: [], writable: 0 };
	client.onOpen = () => events.opened++;
	client.onMessage = (bytes, binary) => events.messages.push({ data: Buffer.from(bytes), binary });
	client.onClose = (code, reason, error) => events.closes.push({ code, reason, error });
	client.onWritable = () => events.writable++;
	client.open();
	const socket = hal.sockets[0];
	return { hal, client, socket, events };
}

/** Connects and upgrades; returns a parser of what the client writes from now on. */
function open(options: Partial<WebSocketClientOptions> = {}, seed = 1) {
	const s = start(options, seed);
	s.socket.onConnect?.();
	s.socket.deliver(s.socket.acceptResponse());
	assert.equal(s.events.opened, 1);
	const frames = (): ReturnType<ClientFrameParser["push"]> => new ClientFrameParser().push(s.socket.frames);
	return { ...s, frames };
}

describe("upgrade request", () => {
	const cases: Array<[Partial<WebSocketClientOptions>, string]> = [
		[{ host: "example.com" }, "example.com"],
		[{ host: "example.com", port: 80 }, "example.com"],
		[{ host: "example.com", tls: true }, "example.com"],
		[{ host: "example.com", port: 443, tls: { insecure: true } }, "example.com"],
		[{ host: "example.com", port: 443 }, "example.com:443"],
		[{ host: "example.com", port: 80, tls: true }, "example.com:80"],
		[{ host: "example.com", port: 8080 }, "example.com:8080"],
		[{ host: "::1", port: 8080 }, "[::1]:8080"],
	];
	for (const [options, host] of cases) {
		test(`Host is "${host}" for ${JSON.stringify(options)}`, () => {
			const { socket } = start(options);
			socket.onConnect?.();
			assert.match(socket.request, new RegExp(`\r\nHost: ${host.replace(/[[\]]/g, "\\$&")}\r\n`));
		});
	}

	test("request line, the RFC 6455 headers, a fresh 16-byte key, extra headers last", () => {
		const { socket, hal } = start({ path: "/Thingworx/WS", headers: [["Max-Frame-Size", "8192"], ["User-Agent", "test"]] });
		assert.equal(socket.written.length, 0, "nothing before the connection");
		assert.deepEqual(socket.options, { host: "example.com", port: 80, tls: undefined });
		socket.onConnect?.();
		const lines = socket.request.split("\r\n");
		assert.equal(lines[0], "GET /Thingworx/WS HTTP/1.1");
		const headers = lines.slice(1, -2);
		assert.deepEqual(headers.map((l) => l.split(":")[0]), ["Host", "Upgrade", "Connection", "Sec-WebSocket-Version", "Sec-WebSocket-Key", "Max-Frame-Size", "User-Agent"]);
		assert.ok(headers.includes("Upgrade: websocket") && headers.includes("Connection: Upgrade") && headers.includes("Sec-WebSocket-Version: 13"));
		assert.ok(headers.includes("Max-Frame-Size: 8192"));
		const key = headers.find((l) => l.startsWith("Sec-WebSocket-Key: "))!.slice(19);
		assert.equal(Buffer.from(key, "base64").length, 16);
		assert.equal(Buffer.from(key, "base64").toString("base64"), key);
		// a second client draws another key
		const other = new WebSocketClient(hal, { host: "example.com" });
		other.open();
		hal.sockets[1].onConnect?.();
		assert.notEqual(/Sec-WebSocket-Key: (\S+)/.exec(hal.sockets[1].request)![1], key);
	});

	test("the response may arrive one byte at a time, with a frame in its last segment", () => {
		const { socket, events } = start();
		socket.onConnect?.();
		const response = socket.acceptResponse();
		socket.deliver(response.subarray(0, response.length - 1), Array(response.length).fill(1));
		assert.equal(events.opened, 0);
		socket.deliver(Buffer.concat([response.subarray(response.length - 1), serverFrame(1, "hi")]));
		assert.equal(events.opened, 1);
		assert.deepEqual(events.messages.map((m) => m.data.toString()), ["hi"]);
	});

	test("bad paths and headers are refused before anything is sent", () => {
		const hal = new FakeHal();
		const bad: Array<Partial<WebSocketClientOptions>> = [
			{ path: "no-slash" },
			{ path: "/a b" },
			{ host: "" },
			{ host: "evil\r\nX: y" },
			{ headers: [["X-Bad", "a\r\nInjected: 1"]] },
			{ headers: [["Bad Name", "v"]] },
			{ headers: [["Sec-WebSocket-Key", "x"]] },
			{ headers: [["host", "x"]] },
			{ maxFrameSize: 0 },
			{ port: 70000 },
			{ txBufferSize: 100, headers: [["X-Long", "v".repeat(200)]] },
		];
		for (const options of bad) {
			assert.throws(() => new WebSocketClient(hal, { host: "example.com", ...options }), (e: unknown) => e instanceof WebSocketError && e.kind === "usage", JSON.stringify(options));
		}
		assert.equal(hal.sockets.length, 0);
	});
});

describe("timers", () => {
	test("handshake timeout covers connect and upgrade, then nothing is left running", () => {
		for (const connected of [false, true]) {
			const { hal, socket, events } = start({ handshakeTimeoutMs: 1000 });
			if (connected) socket.onConnect?.();
			hal.advance(999);
			assert.equal(events.closes.length, 0);
			hal.advance(1);
			assert.equal(events.closes.length, 1);
			const { code, error } = events.closes[0];
			assert.equal(code, 1006);
			assert.equal(error?.kind, "timeout");
			assert.match(error!.message, connected ? /no upgrade response within 1000 ms/ : /no connection to example.com:80 within 1000 ms/);
			assert.ok(socket.closed);
			assert.equal(hal.pendingTimers, 0);
		}
	});

	test("pings every interval with the UTC clock; a pong disarms the timeout; none fails the connection", () => {
		const { hal, socket, events, frames } = open({ pingIntervalMs: 55000, pongTimeoutMs: 10000 });
		hal.advance(55000);
		let sent = frames();
		assert.equal(sent.length, 1);
		assert.deepEqual([sent[0].opcode, sent[0].fin, sent[0].masked, sent[0].payload.toString()], [9, true, true, "07:22:53"]);
		socket.deliver(serverFrame(10, "07:22:53"));
		hal.advance(55000);
		sent = frames();
		assert.equal(sent.length, 2);
		assert.equal(sent[1].payload.toString(), "07:23:48");
		hal.advance(9999);
		assert.equal(events.closes.length, 0);
		hal.advance(1);
		assert.equal(events.closes[0].error?.kind, "pong-timeout");
		assert.equal(events.closes[0].code, 1006);
		assert.ok(socket.closed);
		assert.equal(hal.pendingTimers, 0);
	});
});

describe("back-pressure", () => {
	test("a partly written message blocks send(); a ping's pong waits for the frame boundary; onWritable follows", () => {
		const { client, socket, events, frames } = open();
		const data = Buffer.alloc(300, 7);
		socket.room = 100;
		assert.equal(client.send(data), true);
		assert.equal(client.send(data), false, "the TX buffer is busy");
		socket.deliver(serverFrame(9, "ping!"));
		socket.drain(50);
		assert.equal(events.writable, 0);
		socket.drain();
		assert.equal(events.writable, 1);
		const sent = frames();
		assert.deepEqual(
			sent.map((f) => [f.opcode, f.payload.length]),
			[
				[2, 300],
				[10, 5],
			],
		);
		assert.ok(sent[0].payload.equals(data));
		assert.equal(sent[1].payload.toString(), "ping!");
		assert.equal(client.send(data), true);
	});

	test("pongs queued behind a full socket go out in order once it drains", () => {
		const { socket, frames } = open();
		socket.room = 0;
		socket.deliver(Buffer.concat([serverFrame(9, "one"), serverFrame(9, "two")]));
		socket.drain();
		assert.deepEqual(
			frames().map((f) => [f.opcode, f.payload.toString()]),
			[
				[10, "one"],
				[10, "two"],
			],
		);
	});
});

describe("close", () => {
	test("close(code, reason): a masked close frame, then the peer's answer ends it cleanly", () => {
		const { client, socket, events, frames, hal } = open();
		client.close(4000, "bye ✓");
		const [frame] = frames();
		assert.deepEqual([frame.opcode, frame.masked], [8, true]);
		assert.ok(frame.payload.equals(closePayload(4000, "bye ✓")));
		assert.throws(() => client.send(Buffer.from("late")), (e: unknown) => e instanceof WebSocketError && e.kind === "state");
		socket.deliver(serverFrame(2, "still delivered while closing"));
		assert.equal(events.messages.length, 1);
		assert.equal(events.closes.length, 0);
		socket.deliver(serverFrame(8, closePayload(4000, "bye ✓")));
		assert.deepEqual(events.closes, [{ code: 4000, reason: "bye ✓", error: null }]);
		assert.ok(socket.closed);
		assert.equal(hal.pendingTimers, 0);
		client.close();
		assert.equal(events.closes.length, 1);
	});

	test("a peer that does not answer our close: timeout error after closeTimeoutMs", () => {
		const { client, hal, events, socket } = open({ closeTimeoutMs: 500 });
		client.close();
		hal.advance(500);
		assert.equal(events.closes.length, 1);
		assert.equal(events.closes[0].code, 1006);
		assert.equal(events.closes[0].error?.kind, "timeout");
		assert.ok(socket.closed);
	});

	test("the peer's close is echoed byte for byte, then the socket closes", () => {
		const { socket, events, frames } = open();
		socket.deliver(serverFrame(8, closePayload(1001, "going away")));
		const [frame] = frames();
		assert.equal(frame.opcode, 8);
		assert.ok(frame.payload.equals(closePayload(1001, "going away")));
		assert.deepEqual(events.closes, [{ code: 1001, reason: "going away", error: null }]);
		assert.ok(socket.closed);
	});

	test("an empty close frame is reported as 1005 and echoed empty", () => {
		const { socket, events, frames } = open();
		socket.deliver(serverFrame(8));
		assert.equal(frames()[0].payload.length, 0);
		assert.deepEqual(events.closes, [{ code: 1005, reason: "", error: null }]);
	});

	test("the echo waits for room; the peer dropping TCP meanwhile still reports its close", () => {
		const { socket, events } = open();
		socket.room = 0;
		socket.deliver(serverFrame(8, closePayload(1000)));
		assert.equal(events.closes.length, 0);
		socket.onClose?.(null);
		assert.deepEqual(events.closes, [{ code: 1000, reason: "", error: null }]);
	});

	test("TCP closing without a close frame is 1006 with a socket error", () => {
		const { socket, events } = open();
		socket.onClose?.(new Error("connection reset by 1.2.3.4:80"));
		assert.equal(events.closes[0].code, 1006);
		assert.equal(events.closes[0].error?.kind, "socket");
		assert.match(events.closes[0].error!.message, /without a close frame: connection reset/);
	});

	test("close() before open aborts at once; onClose exactly once", () => {
		const { client, socket, events } = start();
		client.close();
		assert.deepEqual(events.closes, [{ code: 1006, reason: "", error: null }]);
		assert.ok(socket.closed);
		socket.onConnect?.(); // a late event from the HAL changes nothing
		client.close();
		assert.equal(events.closes.length, 1);
		assert.equal(socket.written.length, 0);
	});

	test("a callback may close mid-segment: the segment's later frames are read until the peer's close", () => {
		const { client, socket, events } = open({ closeTimeoutMs: 100 });
		client.onMessage = (bytes) => {
			events.messages.push({ data: Buffer.from(bytes), binary: true });
			client.close(1000, "enough");
		};
		socket.deliver(Buffer.concat([serverFrame(2, "a"), serverFrame(2, "b"), serverFrame(8, closePayload(1000, "enough"))]));
		assert.deepEqual(
			events.messages.map((m) => m.data.toString()),
			["a", "b"],
		);
		assert.deepEqual(events.closes, [{ code: 1000, reason: "enough", error: null }]);
	});
});

describe("usage errors", () => {
	test("send and close arguments", () => {
		const { client } = open({ maxFrameSize: 100, txBufferSize: 220 });
		const isKind = (kind: string) => (e: unknown) => e instanceof WebSocketError && e.kind === kind;
		// 200 bytes: 2 frames of 6 + 100 = 212 fit; 208 bytes: 3 frames, 3 x 6 + 208 = 226 do not
		assert.equal(client.send(Buffer.alloc(200)), true);
		assert.throws(() => client.send(Buffer.alloc(208)), isKind("too-big"));
		assert.throws(() => client.send(Buffer.from([0xc0, 0x80]), 0, 2, false), isKind("bad-utf8"));
		assert.throws(() => client.send(Buffer.alloc(4), 2, 3), isKind("usage"));
		assert.throws(() => client.close(1005), isKind("usage"));
		assert.throws(() => client.close(999), isKind("usage"));
		assert.throws(() => client.close(1000, "x".repeat(124)), isKind("usage"));
		assert.throws(() => client.open(), isKind("state"));
		client.close(1000, "x".repeat(123));
	});

	test("send before open", () => {
		const { client } = start();
		assert.throws(() => client.send(new Uint8Array(1)), (e: unknown) => e instanceof WebSocketError && e.kind === "state" && e.name === "WebSocketError");
	});
});

describe("masking", () => {
	test("every frame has its own key; keys come from the HAL in blocks", () => {
		const hal = new FakeHal(3);
		let calls = 0;
		const randomBytes = hal.randomBytes.bind(hal);
		hal.randomBytes = (into, offset, length) => {
			calls++;
			randomBytes(into, offset, length);
		};
		const client = new WebSocketClient(hal, { host: "h", pingIntervalMs: 0 });
		client.open();
		const socket = hal.sockets[0];
		socket.onConnect?.();
		socket.deliver(socket.acceptResponse());
		const before = calls;
		for (let i = 0; i < 128; i++) client.send(Buffer.from([i, i, i, i, i]));
		const frames = new ClientFrameParser().push(socket.frames);
		assert.equal(frames.length, 128);
		frames.forEach((f, i) => assert.ok(f.masked && f.payload.equals(Buffer.from([i, i, i, i, i]))));
		assert.equal(new Set(frames.map((f) => f.mask.toString("hex"))).size, 128);
		assert.ok(calls - before <= 2, `${calls - before} calls into the HAL for 128 keys`);
	});
});

describe("an unfinished message (messageTimeoutMs)", () => {
	/** Pings every 10 s, each answered, for `ms`; the test's peer may do more in `between`. */
	function answeredPings(o: ReturnType<typeof open>, ms: number, between: (at: number) => void = () => {}): void {
		for (let at = 10000; at <= ms; at += 10000) {
			o.hal.advance(10000);
			if (o.events.closes.length) return;
			o.socket.deliver(serverFrame(10, o.frames().pop()!.payload));
			between(at);
		}
	}

	test("a fragment never followed by the rest fails the connection (1008) at the first ping after messageTimeoutMs, pongs or not", () => {
		const o = open({ pingIntervalMs: 10000, pongTimeoutMs: 5000, messageTimeoutMs: 25000 });
		o.socket.deliver(serverFrame(2, "first part", { fin: false }));
		answeredPings(o, 20000);
		assert.equal(o.events.closes.length, 0, "at 20 s it is only 20 s old");
		o.hal.advance(10000);
		assert.equal(o.events.closes.length, 1);
		const { code, error } = o.events.closes[0];
		assert.deepEqual([code, error?.kind, error?.code], [1008, "timeout", 1008]);
		assert.match(error!.message, /unfinished for over 25000 ms/);
		const close = o.frames().pop()!;
		assert.deepEqual([close.opcode, close.payload.readUInt16BE(0)], [8, 1008]);
	});

	test("a half-delivered frame blocks the pongs (they cannot come mid-frame): the pong timeout ends it; a message that completes never fails", () => {
		const half = open({ pingIntervalMs: 10000, pongTimeoutMs: 5000, messageTimeoutMs: 25000 });
		const frame = serverFrame(2, Buffer.alloc(300, 7));
		half.socket.deliver(frame.subarray(0, 100));
		answeredPings(half, 30000);
		assert.equal(half.events.closes[0]?.error?.kind, "pong-timeout");
		const slow = open({ pingIntervalMs: 10000, pongTimeoutMs: 5000, messageTimeoutMs: 25000 });
		slow.socket.deliver(serverFrame(2, "a", { fin: false }));
		answeredPings(slow, 120000, (at) => {
			if (at === 20000) slow.socket.deliver(serverFrame(0, "b"));
			if (at === 60000) slow.socket.deliver(serverFrame(2, "whole"));
		});
		assert.equal(slow.events.closes.length, 0);
		assert.deepEqual(slow.events.messages.map((m) => m.data.toString()), ["ab", "whole"]);
	});
});
