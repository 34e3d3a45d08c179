// Hostile and broken servers on real TCP (raw `net` servers): every one ends in a typed error,
// the right close code (sent to the server when a connection was open), and no hang.
import * as assert from "node:assert/strict";
import { once } from "node:events";
import * as net from "node:net";
import { describe, test } from "node:test";
import { createNodeHal } from "../../hal/node/index";
import type { WebSocketClientOptions } from "../../src/ws/index";
import { closePayload, rawServer, serverFrame, upgradeResponse, type RawConnection } from "./peer";
import { halClients, Session } from "./session";
import { DEADLINE_MS } from "../support/deadline";

const clients = halClients(() => createNodeHal({ logLevel: "error" }));

interface HostileCase {
	name: string;
	options?: Partial<WebSocketClientOptions>;
	/** Runs once the upgrade request has been read. */
	serve(c: RawConnection): void;
	kind: string;
	code: number;
	message?: RegExp;
	/** The close code the client must send to the server (frame-level failures). */
	sends?: number;
}

const upgraded = (...frames: Buffer[]) => (c: RawConnection) => c.socket.write(Buffer.concat([Buffer.from(upgradeResponse(c.request.key)), ...frames]));
const answer = (edit: (lines: string[]) => string[]) => (c: RawConnection) => c.socket.write(upgradeResponse(c.request.key, edit));
const mask = new Uint8Array([0x12, 0x34, 0x56, 0x78]);

const handshakeCases: HostileCase[] = [
	{ name: "403 Forbidden", serve: (c) => c.socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"), kind: "handshake-status", code: 1006, message: /"HTTP\/1\.1 403 Forbidden" instead of 101/ },
	{ name: "200 OK with a body", serve: (c) => c.socket.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), kind: "handshake-status", code: 1006, message: /200 OK/ },
	{ name: "not HTTP at all", serve: (c) => c.socket.write("SSH-2.0-OpenSSH_9.6\r\n\r\n"), kind: "handshake-status", code: 1006, message: /SSH-2\.0/ },
	{ name: "wrong Sec-WebSocket-Accept", serve: answer((l) => l.map((x) => (x.startsWith("Sec-WebSocket-Accept") ? "Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==" : x))), kind: "handshake-accept", code: 1006, message: /is "dGhlIHNhbXBsZSBub25jZQ==", expected/ },
	{ name: "two Sec-WebSocket-Accept headers", serve: answer((l) => [...l, l[3]]), kind: "handshake-accept", code: 1006 },
	{ name: "no Sec-WebSocket-Accept", serve: answer((l) => l.filter((x) => !x.startsWith("Sec-WebSocket-Accept"))), kind: "handshake-header", code: 1006, message: /no Sec-WebSocket-Accept/ },
	{ name: "no Upgrade header", serve: answer((l) => l.filter((x) => !x.startsWith("Upgrade"))), kind: "handshake-header", code: 1006, message: /no Upgrade header/ },
	{ name: "Upgrade: h2c", serve: answer((l) => l.map((x) => (x.startsWith("Upgrade") ? "Upgrade: h2c" : x))), kind: "handshake-header", code: 1006, message: /Upgrade: h2c/ },
	{ name: "no Connection header", serve: answer((l) => l.filter((x) => !x.startsWith("Connection"))), kind: "handshake-header", code: 1006, message: /no Connection header/ },
	{ name: "Connection: keep-alive", serve: answer((l) => l.map((x) => (x.startsWith("Connection") ? "Connection: keep-alive" : x))), kind: "handshake-header", code: 1006, message: /without the upgrade token/ },
	{ name: "an extension that was not offered", serve: answer((l) => [...l, "Sec-WebSocket-Extensions: permessage-deflate"]), kind: "handshake-header", code: 1006, message: /permessage-deflate/ },
	{ name: "a subprotocol that was not offered", serve: answer((l) => [...l, "Sec-WebSocket-Protocol: mqtt"]), kind: "handshake-header", code: 1006, message: /subprotocol/ },
	{ name: "a header line without a colon", serve: answer((l) => [...l, "garbage"]), kind: "handshake-header", code: 1006, message: /malformed/ },
	{ name: "a header block over 4 KB", serve: answer((l) => [...l, ...Array.from({ length: 50 }, (_, i) => `X-Filler-${i}: ${"x".repeat(90)}`)]), kind: "handshake-header", code: 1006, message: /exceeds 4096 bytes/ },
	{ name: "closes in the middle of the response", serve: (c) => c.socket.end("HTTP/1.1 101 Switching Protocols\r\nUpgr"), kind: "socket", code: 1006, message: /during the opening handshake/ },
	{ name: "resets the connection after the request", serve: (c) => c.socket.resetAndDestroy(), kind: "socket", code: 1006, message: /during the opening handshake: connection reset/ },
	{ name: "never answers the upgrade", options: { handshakeTimeoutMs: 150 }, serve: () => {}, kind: "timeout", code: 1006, message: /no upgrade response within 150 ms/ },
];

const frameCases: HostileCase[] = [
	{ name: "masked server frame", serve: upgraded(serverFrame(2, "hi", { mask })), kind: "protocol", code: 1002, sends: 1002, message: /masked/ },
	{ name: "RSV1 without an extension", serve: upgraded(serverFrame(2, "hi", { rsv: 0x40 })), kind: "protocol", code: 1002, sends: 1002, message: /reserved bits/ },
	{ name: "RSV3", serve: upgraded(serverFrame(1, "hi", { rsv: 0x10 })), kind: "protocol", code: 1002, sends: 1002 },
	{ name: "data opcode 3", serve: upgraded(serverFrame(3, "hi")), kind: "protocol", code: 1002, sends: 1002, message: /opcode 3/ },
	{ name: "control opcode 0xB", serve: upgraded(serverFrame(0xb)), kind: "protocol", code: 1002, sends: 1002, message: /opcode 11/ },
	{ name: "fragmented ping", serve: upgraded(serverFrame(9, "p", { fin: false })), kind: "protocol", code: 1002, sends: 1002, message: /fragmented control frame/ },
	{ name: "126-byte ping", serve: upgraded(serverFrame(9, Buffer.alloc(126))), kind: "protocol", code: 1002, sends: 1002, message: /125/ },
	{ name: "continuation without a message", serve: upgraded(serverFrame(0, "x")), kind: "protocol", code: 1002, sends: 1002 },
	{ name: "new message inside a fragmented one", serve: upgraded(serverFrame(2, "a", { fin: false }), serverFrame(1, "b")), kind: "protocol", code: 1002, sends: 1002 },
	{ name: "64-bit length with the top bit set", serve: upgraded(Buffer.from([0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1])), kind: "protocol", code: 1002, sends: 1002 },
	{ name: "frame of 2^31 bytes (a length no peer means; a smaller one over maxFrameSize is skipped)", serve: upgraded(serverFrame(2, Buffer.alloc(0), { claimedLength: 2 ** 31 })), kind: "too-big", code: 1009, sends: 1009, message: /^message of 2147483648\+ bytes: over 2\^31 - 1$/ },
	{ name: "frame of 4 GiB (64-bit length)", serve: upgraded(serverFrame(2, Buffer.alloc(0), { claimedLength: 2 ** 32 })), kind: "too-big", code: 1009, sends: 1009 },
	{ name: "fragments adding up to 2^31 bytes", serve: upgraded(serverFrame(2, Buffer.alloc(6000), { fin: false }), serverFrame(0, Buffer.alloc(0), { claimedLength: 2 ** 31 - 6000 })), kind: "too-big", code: 1009, sends: 1009, message: /^message of 2147483648\+ bytes/ },
	{ name: "invalid UTF-8 byte in text", serve: upgraded(serverFrame(1, Buffer.from([0x68, 0xff]))), kind: "bad-utf8", code: 1007, sends: 1007 },
	{ name: "overlong UTF-8 in text", serve: upgraded(serverFrame(1, Buffer.from([0xc0, 0x80]))), kind: "bad-utf8", code: 1007, sends: 1007 },
	{ name: "UTF-16 surrogate in text", serve: upgraded(serverFrame(1, Buffer.from([0xed, 0xa0, 0x80]))), kind: "bad-utf8", code: 1007, sends: 1007 },
	{ name: "code point over U+10FFFF", serve: upgraded(serverFrame(1, Buffer.from([0xf4, 0x90, 0x80, 0x80]))), kind: "bad-utf8", code: 1007, sends: 1007 },
	{ name: "text ending inside a sequence", serve: upgraded(serverFrame(1, Buffer.from([0xe2, 0x82]), { fin: false }), serverFrame(0, Buffer.alloc(0))), kind: "bad-utf8", code: 1007, sends: 1007 },
	{ name: "close with a 1-byte payload", serve: upgraded(serverFrame(8, Buffer.from([3]))), kind: "protocol", code: 1002, sends: 1002 },
	{ name: "close with code 1005", serve: upgraded(serverFrame(8, closePayload(1005))), kind: "protocol", code: 1002, sends: 1002, message: /1005/ },
	{ name: "close with code 999", serve: upgraded(serverFrame(8, closePayload(999))), kind: "protocol", code: 1002, sends: 1002 },
	{ name: "close with code 5000", serve: upgraded(serverFrame(8, closePayload(5000))), kind: "protocol", code: 1002, sends: 1002 },
	{ name: "close reason not UTF-8", serve: upgraded(serverFrame(8, Buffer.concat([closePayload(1000), Buffer.from([0xff])]))), kind: "bad-utf8", code: 1007, sends: 1007 },
	{ name: "stalls in the middle of a frame (pings unanswered)", options: { pingIntervalMs: 50, pongTimeoutMs: 100 }, serve: upgraded(serverFrame(2, Buffer.alloc(100)).subarray(0, 30)), kind: "pong-timeout", code: 1006 },
	{ name: "drops TCP without a close frame", serve: (c) => c.socket.end(upgradeResponse(c.request.key)), kind: "socket", code: 1006, message: /without a close frame/ },
	{ name: "resets TCP after the upgrade", serve: (c) => c.socket.write(upgradeResponse(c.request.key), () => setTimeout(() => c.socket.resetAndDestroy(), 20)), kind: "socket", code: 1006, message: /reset/ },
];

async function runCase(c: HostileCase): Promise<void> {
	const server = await rawServer(c.serve);
	try {
		const session = new Session(clients, { host: "127.0.0.1", port: server.port, path: "/", pingIntervalMs: 0, handshakeTimeoutMs: 3000, ...c.options });
		const result = await session.waitClosed(5000);
		assert.equal(result.error?.kind, c.kind, `${c.name}: ${result.error?.message}`);
		assert.equal(result.code, c.code);
		if (c.message) assert.match(result.error!.message, c.message);
		if (c.sends !== undefined) {
			const connection = server.connections[0];
			let frame = await connection.nextFrame();
			while (frame.opcode !== 8) frame = await connection.nextFrame();
			assert.ok(frame.masked);
			assert.equal(frame.payload.readUInt16BE(0), c.sends, "the close frame sent to the server");
			// the reason is the error's message: short, readable text
			assert.equal(frame.payload.subarray(2).toString("utf8"), result.error!.message);
			assert.match(result.error!.message, /^[ -~]{1,123}$/);
			await withEnd(connection.socket);
		}
		await new Promise((resolve) => setImmediate(resolve));
		assert.equal(session.closeCount, 1, "onClose exactly once");
	} finally {
		await server.close();
	}
}

/** The client closes its side after failing the connection. */
async function withEnd(socket: net.Socket): Promise<void> {
	if (socket.readableEnded) return;
	await Promise.race([once(socket, "end"), once(socket, "close"), new Promise((_, reject) => setTimeout(() => reject(new Error("the client did not close TCP")), DEADLINE_MS))]);
}

describe("hostile opening handshakes", () => {
	for (const c of handshakeCases) test(c.name, () => runCase(c));

	test("server closes as soon as it accepts", async () => {
		const server = await rawServer(
			() => {},
			(socket) => socket.end(),
		);
		try {
			const session = new Session(clients, { host: "127.0.0.1", port: server.port, pingIntervalMs: 0 });
			const result = await session.waitClosed();
			assert.equal(result.error?.kind, "socket");
		} finally {
			await server.close();
		}
	});

	test("connection refused", async () => {
		const server = await rawServer(() => {});
		const port = server.port;
		await server.close();
		const session = new Session(clients, { host: "127.0.0.1", port, pingIntervalMs: 0 });
		const result = await session.waitClosed();
		assert.equal(result.error?.kind, "socket");
		assert.match(result.error!.message, /could not connect to 127\.0\.0\.1:\d+: connection refused/);
	});
});

describe("hostile frames", () => {
	for (const c of frameCases) test(c.name, () => runCase(c));

	test("a server that ignores our close: timeout, then the socket is closed", async () => {
		const server = await rawServer((c) => c.accept());
		try {
			const session = new Session(clients, { host: "127.0.0.1", port: server.port, pingIntervalMs: 0, closeTimeoutMs: 150 });
			await session.opened;
			session.client.close(1000, "bye");
			const result = await session.waitClosed();
			assert.equal(result.error?.kind, "timeout");
			assert.equal(result.code, 1006);
			const frame = await server.connections[0].nextFrame();
			assert.equal(frame.opcode, 8);
			await withEnd(server.connections[0].socket);
		} finally {
			await server.close();
		}
	});
});
