/*
 * The interop suite: the client against the `ws` package as an independent server (and a raw TCP
 * server where `ws` cannot misbehave on purpose). Reusable with any client: pass a ClientFactory
 * (`halClients(makeHal)` for a HAL) and optionally a `route` that puts something (a splitting
 * proxy) between client and server.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import * as assert from "node:assert/strict";
import { describe, test } from "node:test";
import { WebSocketServer, type WebSocket } from "ws";
import type { IncomingMessage } from "node:http";
import type { WebSocketClientOptions } from "../../src/ws/index";
import { seeded } from "../support/seeded";
import { rawServer, randomBytes, utf8Text, withTimeout } from "./peer";
import { Session, type ClientFactory } from "./session";
import { DEADLINE_MS } from "../support/deadline";

export interface InteropContext {
	/** A Session on `port` (routed), with test-friendly defaults under `options`. */
	connect(port: number, options?: Partial<WebSocketClientOptions>): Promise<Session>;
	/** Something to close when the case ends. */
	track(closeable: { close(): unknown }): void;
	/** The largest message a case should move (routes that are slow per byte lower it). */
	maxBytes: number;
}

export interface InteropCase {
	name: string;
	/** The smallest `maxBytes` the case makes sense with (default: any). */
	needs?: number;
	run(context: InteropContext): Promise<void>;
}

export interface InteropSuiteOptions {
	/** Returns the port the client should use to reach `port` (default: `port` itself). */
	route?: (port: number) => Promise<{ port: number; close(): unknown }>;
	/** Run only these cases (by name). */
	only?: readonly string[];
	/** The largest message a case moves (default 1 MiB, the largest of SIZES). */
	maxBytes?: number;
}

/** Message sizes of the echo cases: every length form and its edges, up to 1 MiB. */
export const SIZES = [0, 1, 125, 126, 4000, 65535, 65536, 1 << 20];
const MIB = 1 << 20;
const BIG = { maxFrameSize: MIB, maxMessageSize: MIB, txBufferSize: MIB + 14 };

export async function wsServer(onConnection: (ws: WebSocket, request: IncomingMessage) => void): Promise<{ port: number; server: WebSocketServer; close(): Promise<void> }> {
	const server = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: 4 * MIB });
	server.on("connection", onConnection);
	await once(server, "listening");
	return {
		port: (server.address() as { port: number }).port,
		server,
		async close() {
			for (const client of server.clients) client.terminate();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

function echo(ws: WebSocket): void {
	ws.on("message", (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
}

function sha1(data: Uint8Array): string {
	return createHash("sha1").update(data).digest("hex");
}

/** Resolves with the next `event` of `emitter`'s args, bounded. */
function next<T extends unknown[]>(emitter: WebSocket, event: string, ms = DEADLINE_MS): Promise<T> {
	return withTimeout(once(emitter, event) as Promise<T>, ms, `no ${event}`);
}

async function echoSizes(context: InteropContext, binary: boolean): Promise<void> {
	const server = await wsServer(echo);
	context.track(server);
	const session = await context.connect(server.port, BIG);
	await session.opened;
	const random = seeded(binary ? 6455 : 3629);
	for (const size of SIZES.filter((n) => n <= context.maxBytes)) {
		const data = binary ? randomBytes(random, size) : utf8Text(size);
		await session.send(data, binary);
		const got = await session.next(10000);
		assert.equal(got.binary, binary, `size ${size}: binary flag`);
		assert.equal(got.data.length, size, `size ${size}: length`);
		assert.ok(got.data.equals(data), `size ${size}: content`);
	}
	session.client.close(1000, "done");
	assert.deepEqual(await session.waitClosed(), { code: 1000, reason: "done", error: null });
}

export const interopCases: readonly InteropCase[] = [
	{
		name: "binary echo, 0 B to 1 MiB",
		run: (context) => echoSizes(context, true),
	},
	{
		name: "text echo, 0 B to 1 MiB",
		run: (context) => echoSizes(context, false),
	},
	{
		name: "messages over maxFrameSize are sent as continuation frames and reassembled by ws",
		async run(context) {
			const server = await wsServer((ws) => ws.on("message", (data, isBinary) => ws.send(`${isBinary ? "b" : "t"}:${sha1(data as Buffer)}`)));
			context.track(server);
			const session = await context.connect(server.port, { maxFrameSize: 1000, maxMessageSize: 1000, txBufferSize: 70000 });
			await session.opened;
			const random = seeded(7);
			for (const [size, binary] of [[1000, true], [1001, true], [5000, false], [65536, true]] as const) {
				if (size > context.maxBytes) continue;
				const data = binary ? randomBytes(random, size) : utf8Text(size);
				await session.send(data, binary);
				assert.equal((await session.next()).data.toString(), `${binary ? "b" : "t"}:${sha1(data)}`, `size ${size}`);
			}
			session.client.close();
			assert.equal((await session.waitClosed()).code, 1000);
		},
	},
	{
		name: "fragmented server messages with pings between the fragments",
		async run(context) {
			const pongs: string[] = [];
			const server = await wsServer((ws) => {
				ws.on("pong", (data) => pongs.push(data.toString()));
				ws.send("Hello, ", { binary: false, fin: false });
				ws.ping("p1");
				ws.send("fragmented ", { fin: false });
				ws.ping("p2");
				ws.send("wörld", { fin: true });
				ws.send(Buffer.from([1, 2, 3]), { binary: true, fin: false });
				ws.ping("");
				ws.send(Buffer.alloc(0), { fin: false });
				ws.send(Buffer.from([4, 5]), { fin: true });
				ws.send("after", { binary: false });
			});
			context.track(server);
			const session = await context.connect(server.port);
			await session.opened;
			const text = await session.next();
			assert.deepEqual([text.data.toString("utf8"), text.binary], ["Hello, fragmented wörld", false]);
			const binary = await session.next();
			assert.deepEqual([[...binary.data], binary.binary], [[1, 2, 3, 4, 5], true]);
			assert.equal((await session.next()).data.toString(), "after");
			session.client.close();
			await session.waitClosed();
			assert.deepEqual(pongs, ["p1", "p2", ""]);
		},
	},
	{
		name: "server pings are answered with pongs echoing the payload",
		async run(context) {
			let peer: WebSocket | undefined;
			const server = await wsServer((ws) => {
				peer = ws;
			});
			context.track(server);
			const session = await context.connect(server.port);
			await session.opened;
			await withTimeout(
				(async () => {
					while (peer === undefined) await new Promise((r) => setTimeout(r, 5));
				})(),
				DEADLINE_MS,
				"no server connection",
			);
			const ws = peer as WebSocket;
			for (const payload of [Buffer.alloc(0), Buffer.from("hello"), randomBytes(seeded(1), 125)]) {
				const pong = next<[Buffer]>(ws, "pong");
				ws.ping(payload);
				const [data] = await pong;
				assert.ok(data.equals(payload), `pong for a ${payload.length}-byte ping`);
			}
			session.client.close();
			await session.waitClosed();
		},
	},
	{
		name: "client close codes and reasons reach the server and come back",
		async run(context) {
			for (const [code, reason] of [[1000, ""], [1001, "going away"], [3000, "registered"], [4999, "ünïcode reason"]] as const) {
				let serverSaw: Promise<[number, Buffer]> | undefined;
				const server = await wsServer((ws) => {
					serverSaw = once(ws, "close") as Promise<[number, Buffer]>;
				});
				context.track(server);
				const session = await context.connect(server.port);
				await session.opened;
				session.client.close(code, reason);
				assert.deepEqual(await session.waitClosed(), { code, reason, error: null });
				const [seenCode, seenReason] = await withTimeout(serverSaw as Promise<[number, Buffer]>, DEADLINE_MS, "no server close");
				assert.deepEqual([seenCode, seenReason.toString()], [code, reason]);
				assert.equal(session.closeCount, 1);
			}
		},
	},
	{
		name: "server-initiated close, with and without a code",
		async run(context) {
			for (const [code, reason, expected] of [[4002, "server says bye", 4002], [undefined, undefined, 1005]] as const) {
				let serverSaw: Promise<[number, Buffer]> | undefined;
				const server = await wsServer((ws) => {
					serverSaw = once(ws, "close") as Promise<[number, Buffer]>;
					ws.close(code, reason);
				});
				context.track(server);
				const session = await context.connect(server.port);
				assert.deepEqual(await session.waitClosed(), { code: expected, reason: reason ?? "", error: null });
				const [echoed, echoedReason] = await withTimeout(serverSaw as Promise<[number, Buffer]>, DEADLINE_MS, "no server close");
				assert.equal(echoed, expected, "the client echoes the code");
				assert.equal(echoedReason.toString(), reason ?? "");
			}
		},
	},
	{
		name: "client pings carry HH:MM:SS and ws's pongs keep the connection up",
		async run(context) {
			const pings: string[] = [];
			const server = await wsServer((ws) => ws.on("ping", (data) => pings.push(data.toString())));
			context.track(server);
			const session = await context.connect(server.port, { pingIntervalMs: 40, pongTimeoutMs: 1000 });
			await session.opened;
			await withTimeout(
				(async () => {
					while (pings.length < 3) await new Promise((r) => setTimeout(r, 10));
				})(),
				DEADLINE_MS,
				"three pings",
			);
			for (const ping of pings) assert.match(ping, /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/);
			session.client.close(1000, "enough");
			assert.deepEqual(await session.waitClosed(), { code: 1000, reason: "enough", error: null });
		},
	},
	{
		name: "pong timeout against a server that ignores pings",
		async run(context) {
			const server = await rawServer((c) => c.accept());
			context.track(server);
			const session = await context.connect(server.port, { pingIntervalMs: 50, pongTimeoutMs: 100 });
			await session.opened;
			const result = await session.waitClosed(3000);
			assert.equal(result.code, 1006);
			assert.equal(result.error?.kind, "pong-timeout");
			const ping = await server.connections[0].nextFrame();
			assert.equal(ping.opcode, 9);
		},
	},
	{
		name: "a burst of messages under back-pressure arrives complete and in order",
		needs: 16384 + 63,
		async run(context) {
			const server = await wsServer(echo);
			context.track(server);
			const session = await context.connect(server.port, { maxFrameSize: 20000, maxMessageSize: 20000 });
			await session.opened;
			const random = seeded(99);
			const sent: Buffer[] = [];
			for (let i = 0; i < 64; i++) {
				const data = randomBytes(random, 16384 + i);
				sent.push(data);
				await session.send(data);
			}
			for (let i = 0; i < sent.length; i++) assert.ok((await session.next()).data.equals(sent[i]), `message ${i}`);
			session.client.close();
			await session.waitClosed();
		},
	},
];

/** Registers the cases as node:test tests under `label`. */
export function registerInteropSuite(label: string, makeClient: ClientFactory, options: InteropSuiteOptions = {}): void {
	describe(label, () => {
		for (const c of interopCases) {
			if (options.only !== undefined && options.only.indexOf(c.name) < 0) continue;
			if (c.needs !== undefined && c.needs > (options.maxBytes ?? MIB)) continue;
			test(c.name, async () => {
				const closeables: Array<{ close(): unknown }> = [];
				const context: InteropContext = {
					async connect(port, more = {}) {
						let target = port;
						if (options.route) {
							const routed = await options.route(port);
							closeables.push(routed);
							target = routed.port;
						}
						return new Session(makeClient, { host: "127.0.0.1", port: target, path: "/", pingIntervalMs: 0, handshakeTimeoutMs: 5000, ...more });
					},
					track(closeable) {
						closeables.push(closeable);
					},
					maxBytes: options.maxBytes ?? MIB,
				};
				try {
					await c.run(context);
				} finally {
					for (const closeable of closeables.reverse()) await closeable.close();
				}
			});
		}
	});
}
