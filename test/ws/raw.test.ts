// What the client puts on the wire, checked by a raw TCP server that parses it independently:
// the upgrade request, masking, fragmentation, length forms, the close echo; and what it tolerates.
import * as assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import { createNodeHal } from "../../hal/node/index";
import type { WebSocketClientOptions } from "../../src/ws/index";
import { acceptFor, closePayload, type ClientFrame, rawServer, serverFrame, upgradeResponse, withTimeout, type RawConnection, type RawServer } from "./peer";
import { halClients, Session } from "./session";
import { DEADLINE_MS } from "../support/deadline";

const clients = halClients(() => createNodeHal({ logLevel: "error" }));

async function withServer(serve: (c: RawConnection) => void, body: (server: RawServer) => Promise<void>): Promise<void> {
	const server = await rawServer(serve);
	try {
		await body(server);
	} finally {
		await server.close();
	}
}

function connect(server: RawServer, options: Partial<WebSocketClientOptions> = {}): Session {
	return new Session(clients, { host: "127.0.0.1", port: server.port, pingIntervalMs: 0, ...options });
}

describe("on the wire", () => {
	test("the upgrade request", () =>
		withServer(
			(c) => c.accept(),
			async (server) => {
				const keys: string[] = [];
				for (let i = 0; i < 2; i++) {
					const session = connect(server, { path: "/Thingworx/WS?x=1", headers: [["Max-Frame-Size", "8192"]] });
					await session.opened;
					const { request } = server.connections[i];
					assert.equal(request.requestLine, "GET /Thingworx/WS?x=1 HTTP/1.1");
					assert.equal(request.headers.get("host"), `127.0.0.1:${server.port}`);
					assert.equal(request.headers.get("upgrade"), "websocket");
					assert.equal(request.headers.get("connection"), "Upgrade");
					assert.equal(request.headers.get("sec-websocket-version"), "13");
					assert.equal(request.headers.get("max-frame-size"), "8192");
					assert.equal(Buffer.from(request.key, "base64").length, 16);
					for (const absent of ["sec-websocket-extensions", "sec-websocket-protocol", "origin", "appkey"]) assert.ok(!request.headers.has(absent), absent);
					keys.push(request.key);
					session.client.close();
					server.connections[i].socket.write(serverFrame(8, closePayload(1000)));
					await session.waitClosed();
				}
				assert.notEqual(keys[0], keys[1], "a fresh key per connection");
			},
		));

	test("every client frame is masked, with a different key each time", () =>
		withServer(
			(c) => c.accept(),
			async (server) => {
				const session = connect(server);
				await session.opened;
				const sent: Buffer[] = [];
				for (let i = 0; i < 60; i++) {
					const data = Buffer.alloc(i * 37, i);
					sent.push(data);
					await session.send(data, i % 2 === 0);
				}
				session.client.close(4321, "masked too");
				const connection = server.connections[0];
				const frames: ClientFrame[] = [];
				for (let i = 0; i <= sent.length; i++) frames.push(await connection.nextFrame());
				frames.forEach((f, i) => {
					assert.ok(f.masked, `frame ${i} masked`);
					assert.equal(f.rsv, 0);
					assert.ok(f.fin);
				});
				sent.forEach((data, i) => {
					assert.equal(frames[i].opcode, i % 2 === 0 ? 2 : 1);
					assert.ok(frames[i].payload.equals(data), `payload ${i}`);
				});
				assert.ok(frames[sent.length].payload.equals(closePayload(4321, "masked too")));
				const masks = frames.map((f) => f.mask.toString("hex"));
				assert.equal(new Set(masks).size, masks.length, "no key repeats");
				assert.ok(!masks.includes("00000000"), "no all-zero key (the C SDK's)");
				for (let i = 1; i < masks.length; i++) assert.notEqual(masks[i], masks[i - 1]);
			},
		));

	test("a message over maxFrameSize goes out as continuation frames", () =>
		withServer(
			(c) => c.accept(),
			async (server) => {
				const session = connect(server, { maxFrameSize: 100, txBufferSize: 400 });
				await session.opened;
				const data = Buffer.from(Array.from({ length: 250 }, (_, i) => i));
				await session.send(data, true);
				await session.send(Buffer.from("é".repeat(60)), false); // 120 bytes; the cut falls inside nothing: 100 = 50 x 2
				const c = server.connections[0];
				const frames: ClientFrame[] = [];
				for (let i = 0; i < 5; i++) frames.push(await c.nextFrame());
				assert.deepEqual(
					frames.map((f) => [f.opcode, f.fin, f.payload.length]),
					[
						[2, false, 100],
						[0, false, 100],
						[0, true, 50],
						[1, false, 100],
						[0, true, 20],
					],
				);
				assert.ok(Buffer.concat(frames.slice(0, 3).map((f) => f.payload)).equals(data));
			},
		));

	test("the peer's close is echoed with its code and reason, then the client ends TCP", () =>
		withServer(
			(c) => {
				c.accept();
				c.socket.write(serverFrame(8, closePayload(1001, "Going to Sleep")));
			},
			async (server) => {
				const session = connect(server);
				assert.deepEqual(await session.waitClosed(), { code: 1001, reason: "Going to Sleep", error: null });
				const c = server.connections[0];
				const frame = await c.nextFrame();
				assert.deepEqual([frame.opcode, frame.masked], [8, true]);
				assert.ok(frame.payload.equals(closePayload(1001, "Going to Sleep")));
				await withTimeout(once(c.socket, "end"), DEADLINE_MS, "no FIN from the client");
			},
		));
});

describe("tolerated", () => {
	test("frames in the same segment as the 101, all three length forms, non-minimal lengths, unsolicited pongs", () =>
		withServer(
			(c) =>
				c.socket.write(
					Buffer.concat([
						Buffer.from(upgradeResponse(c.request.key)),
						serverFrame(2, Buffer.alloc(125, 1)),
						serverFrame(2, Buffer.alloc(126, 2)),
						serverFrame(10, "unsolicited"),
						serverFrame(2, Buffer.alloc(65535, 3)),
						serverFrame(2, Buffer.alloc(65536, 4)),
						serverFrame(1, "seven in sixty-four", { lengthBits: 64 }),
						serverFrame(1, "seven in sixteen", { lengthBits: 16 }),
					]),
				),
			async (server) => {
				const session = connect(server, { maxFrameSize: 65536 });
				const expected = [
					[125, 1],
					[126, 2],
					[65535, 3],
					[65536, 4],
				];
				for (const [length, fill] of expected) {
					const m = await session.next();
					assert.deepEqual([m.data.length, m.binary, m.data.every((b) => b === fill)], [length, true, true]);
				}
				assert.equal((await session.next()).data.toString(), "seven in sixty-four");
				assert.equal((await session.next()).data.toString(), "seven in sixteen");
				session.client.close();
			},
		));

	test("header names and values in any case, Connection as a token list, extra headers", () =>
		withServer(
			(c) => c.socket.write(`HTTP/1.1 101 Web Socket Protocol Handshake\r\nserver: test\r\nUPGRADE: WebSocket\r\nconnection: keep-alive, UPGRADE\r\nsec-websocket-accept:${acceptFor(c.request.key)}\r\nSec-WebSocket-Extensions: \r\n\r\n`),
			async (server) => {
				const session = connect(server);
				await session.opened;
				session.client.close();
			},
		));

	test("a UTF-8 sequence cut between fragments", () =>
		withServer(
			(c) => {
				const euro = Buffer.from("€");
				c.accept();
				c.socket.write(Buffer.concat([serverFrame(1, euro.subarray(0, 1), { fin: false }), serverFrame(9, "mid"), serverFrame(0, euro.subarray(1, 2), { fin: false }), serverFrame(0, euro.subarray(2), { fin: true })]));
			},
			async (server) => {
				const session = connect(server);
				const m = await session.next();
				assert.deepEqual([m.data.toString(), m.binary], ["€", false]);
				const pong = await server.connections[0].nextFrame();
				assert.deepEqual([pong.opcode, pong.payload.toString()], [10, "mid"]);
				session.client.close();
			},
		));
});
