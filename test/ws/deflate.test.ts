// permessage-deflate (RFC 7692): the client against the `ws` server's implementation (context takeover
// both ways, and without), and against raw servers that answer the offer wrongly or send bad data.
import * as assert from "node:assert/strict";
import { once } from "node:events";
import type { IncomingMessage } from "node:http";
import type * as net from "node:net";
import { deflateRawSync } from "node:zlib";
import { describe, test } from "node:test";
import { WebSocketServer, type PerMessageDeflateOptions } from "ws";
import { createNodeHal } from "../../hal/node/index";
import { permessageDeflate } from "../../src/ws/deflate";
import type { WebSocketClientOptions } from "../../src/ws/index";
import { rawServer, serverFrame, upgradeResponse, type RawConnection } from "./peer";
import { halClients, Session } from "./session";

const clients = halClients(() => createNodeHal({ logLevel: "error" }));

interface EchoServer {
	port: number;
	/** Bytes the server read from the client's socket, upgrade request included. */
	bytesRead(): number;
	extensions(): string;
	close(): Promise<void>;
}

async function echoServer(perMessageDeflate: PerMessageDeflateOptions | false): Promise<EchoServer> {
	const server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate });
	let socket: net.Socket | null = null;
	let extensions = "";
	server.on("connection", (ws, request: IncomingMessage) => {
		socket = request.socket;
		extensions = ws.extensions;
		ws.on("message", (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
	});
	await once(server, "listening");
	return {
		port: (server.address() as net.AddressInfo).port,
		bytesRead: () => socket?.bytesRead ?? 0,
		extensions: () => extensions,
		async close() {
			for (const c of server.clients) c.terminate();
			server.close();
			await once(server, "close");
		},
	};
}

const options = (port: number, more: Partial<WebSocketClientOptions> = {}): WebSocketClientOptions => ({
	host: "127.0.0.1", port, path: "/", maxFrameSize: 16384, maxMessageSize: 65536, extension: permessageDeflate, ...more,
});

/** A SteamSensor-like push: the same names and quality in every message, as on the AlwaysOn wire. */
function push(i: number): Uint8Array {
	return new TextEncoder().encode(`TemperatureLimit=435 Logfile=/opt/steam/logs/SteamSensor-log.txt TotalFlow=${i} Pressure=${18 + (i % 7)} Temperature=${400 + (i % 31)} InletValve=false FaultStatus=false GOOD`);
}

describe("permessage-deflate", () => {
	for (const [name, config] of [
		["context takeover both ways", { threshold: 0 }],
		["no context takeover (the server asks)", { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true }],
	] as const) {
		test(`${name}: negotiated, every message compressed on the wire and echoed intact`, async () => {
			const server = await echoServer(config);
			const s = new Session(clients, options(server.port));
			try {
				await s.opened;
				assert.match(server.extensions(), /permessage-deflate/);
				const afterUpgrade = server.bytesRead();
				let plain = 0;
				for (let i = 0; i < 40; i++) {
					const message = push(i);
					plain += message.length;
					await s.send(message, i % 2 === 0);
					const echo = await s.next();
					assert.deepEqual(new Uint8Array(echo.data), message);
					assert.equal(echo.binary, i % 2 === 0);
				}
				const sent = server.bytesRead() - afterUpgrade;
				// Framing adds 6-8 bytes a message; compression must more than pay for it.
				assert.ok(sent < plain * (config.clientNoContextTakeover ? 0.9 : 0.5), `${sent} bytes on the wire for ${plain} bytes of messages`);
			} finally {
				s.client.close();
				await s.waitClosed().catch(() => {});
				await server.close();
			}
		});
	}

	test("large and empty messages, and ones that do not compress, round-trip", async () => {
		const server = await echoServer({ threshold: 0 });
		const s = new Session(clients, options(server.port));
		try {
			await s.opened;
			const random = new Uint8Array(20000);
			let x = 12345;
			for (let i = 0; i < random.length; i++) random[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
			for (const message of [new Uint8Array(0), random, new Uint8Array(60000).fill(7), push(1)]) {
				await s.send(message);
				assert.deepEqual(new Uint8Array((await s.next()).data), message);
			}
		} finally {
			s.client.close();
			await s.waitClosed().catch(() => {});
			await server.close();
		}
	});

	test("a server that does not take the offer: plain messages, nothing compressed", async () => {
		const server = await echoServer(false);
		const s = new Session(clients, options(server.port));
		try {
			await s.opened;
			assert.equal(server.extensions(), "");
			await s.send(push(3));
			assert.deepEqual(new Uint8Array((await s.next()).data), push(3));
		} finally {
			s.client.close();
			await s.waitClosed().catch(() => {});
			await server.close();
		}
	});

	test("the offer is in the upgrade request only when configured", async () => {
		const requests: string[] = [];
		const server = await rawServer((c) => {
			requests.push(c.request.headers.get("sec-websocket-extensions") ?? "(none)");
			c.accept();
		});
		try {
			for (const extension of [permessageDeflate, undefined]) {
				const s = new Session(clients, options(server.port, { extension }));
				await s.opened;
				s.client.close();
				await s.waitClosed().catch(() => {});
			}
			assert.deepEqual(requests, ["permessage-deflate", "(none)"]);
		} finally {
			await server.close();
		}
	});

	const accepting = (extensions: string, ...frames: Buffer[]) => (c: RawConnection) =>
		c.socket.write(Buffer.concat([Buffer.from(upgradeResponse(c.request.key, (l) => [...l, `Sec-WebSocket-Extensions: ${extensions}`])), ...frames]));

	const refusals: Array<{ name: string; serve: (c: RawConnection) => void; message: RegExp }> = [
		{ name: "an extension that was not offered", serve: accepting("x-webkit-deflate-frame"), message: /x-webkit-deflate-frame/ },
		{ name: "client_max_window_bits, which was not offered", serve: accepting("permessage-deflate; client_max_window_bits=10"), message: /client_max_window_bits was not offered/ },
		{ name: "a window size out of range", serve: accepting("permessage-deflate; server_max_window_bits=7"), message: /not 8-15/ },
		{ name: "a parameter given twice", serve: accepting("permessage-deflate; server_no_context_takeover; server_no_context_takeover"), message: /given twice/ },
		{ name: "two extensions", serve: accepting("permessage-deflate, permessage-deflate"), message: /not the permessage-deflate offered/ },
	];
	for (const r of refusals) {
		test(`a server that answers with ${r.name}: a typed handshake error`, async () => {
			const server = await rawServer(r.serve);
			const s = new Session(clients, options(server.port));
			try {
				const result = await s.waitClosed();
				assert.equal(result.error?.kind, "handshake-header");
				assert.match(result.error?.message ?? "", r.message);
			} finally {
				await server.close();
			}
		});
	}

	const frameCases: Array<{ name: string; frames: () => Buffer[]; kind: string; code: number; message: RegExp }> = [
		{ name: "RSV1 on a continuation frame", frames: () => [serverFrame(2, "ab", { fin: false, rsv: 0x40 }), serverFrame(0, "cd", { rsv: 0x40 })], kind: "protocol", code: 1002, message: /reserved bits/ },
		{ name: "RSV1 on a ping", frames: () => [serverFrame(9, "", { rsv: 0x40 })], kind: "protocol", code: 1002, message: /reserved bits/ },
		{ name: "RSV2", frames: () => [serverFrame(2, "ab", { rsv: 0x20 })], kind: "protocol", code: 1002, message: /reserved bits/ },
		{ name: "data that is not DEFLATE", frames: () => [serverFrame(2, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]), { rsv: 0x40 })], kind: "protocol", code: 1007, message: /not valid DEFLATE/ },
		{ name: "a message that inflates past maxMessageSize", frames: () => [serverFrame(2, deflateRawSync(Buffer.alloc(70000), { finishFlush: 2 }).subarray(0, -4), { rsv: 0x40 })], kind: "too-big", code: 1009, message: /past maxMessageSize 65536/ },
		{ name: "compressed text that is not UTF-8", frames: () => [serverFrame(1, deflateRawSync(Buffer.from([0xc3, 0x28]), { finishFlush: 2 }).subarray(0, -4), { rsv: 0x40 })], kind: "bad-utf8", code: 1007, message: /not UTF-8/ },
	];
	for (const f of frameCases) {
		test(`after negotiation, ${f.name}: ${f.kind}, close ${f.code}`, async () => {
			const server = await rawServer(accepting("permessage-deflate", ...f.frames()));
			const s = new Session(clients, options(server.port));
			try {
				const result = await s.waitClosed();
				assert.equal(result.error?.kind, f.kind);
				assert.equal(result.code, f.code);
				assert.match(result.error?.message ?? "", f.message);
			} finally {
				await server.close();
			}
		});
	}

	test("after negotiation, a server's uncompressed and compressed messages are both delivered", async () => {
		const server = await rawServer(accepting("permessage-deflate; server_no_context_takeover",
			serverFrame(2, "plain"),
			serverFrame(2, deflateRawSync(Buffer.from("squeezed"), { finishFlush: 2 }).subarray(0, -4), { rsv: 0x40 })));
		const s = new Session(clients, options(server.port));
		try {
			assert.equal((await s.next()).data.toString(), "plain");
			assert.equal((await s.next()).data.toString(), "squeezed");
		} finally {
			s.client.close();
			await s.waitClosed().catch(() => {});
			await server.close();
		}
	});

	test("a HAL without compression is refused when the client is made", () => {
		const hal = { ...createNodeHal({ logLevel: "error" }), compression: undefined };
		assert.throws(() => halClients(() => hal)(options(1)), /needs a HAL with compression/);
	});
});
