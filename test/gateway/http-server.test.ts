// The gateway's HTTP/1.1 server against clients nobody here wrote (curl, Node's fetch) and raw
// sockets for what those refuse to send: every bad input gets its status and reason, and the server
// goes on serving the others. Deadlines are about correctness only (a short read timeout is
// configured, and tests wait for its answer, never for a time).
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import * as net from "node:net";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { Hal, HalListener, HalSocket } from "../../hal/hal";
import { createNodeHal } from "../../hal/node/index";
import { HttpServer, type HttpLimits } from "../../src/gateway/http-server";

const run = promisify(execFile);
const CURL = "/usr/bin/curl";

const LIMITS: HttpLimits = { maxClients: 5, maxHeadBytes: 1024, maxHeaders: 16, maxBodyBytes: 4096, readTimeoutMs: 400 };

/** Echo handler: method, target and body length; "/slow" answers after the test says so. */
function startServer(hal: Hal, limits = LIMITS) {
	const held: Array<() => void> = [];
	const server = new HttpServer(hal, limits, (request, response) => {
		const text = `${request.method} ${request.target} ${request.body.length}\n`;
		if (request.target === "/slow") held.push(() => response.send(200, text, "text/plain"));
		else response.send(200, text, "text/plain");
	});
	return { server, held, port: server.listen({ host: "127.0.0.1", port: 0 }) };
}

/** Sends raw bytes on a new connection; resolves with everything received until the server closes it. */
async function raw(port: number, ...parts: Array<string | Buffer>): Promise<string> {
	const socket = net.connect({ host: "127.0.0.1", port });
	await once(socket, "connect");
	const chunks: Buffer[] = [];
	socket.on("data", (b: Buffer) => chunks.push(b));
	socket.on("error", () => {});
	for (const p of parts) socket.write(p);
	await once(socket, "close");
	return Buffer.concat(chunks).toString("latin1");
}

function statusOf(response: string): number {
	return Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1] ?? 0);
}

describe("HTTP server", () => {
	const hal = createNodeHal({ logLevel: "error" });
	let port = 0;
	let ctx: ReturnType<typeof startServer>;
	before(async () => {
		ctx = startServer(hal);
		port = await ctx.port;
	});
	after(() => ctx.server.close());

	const served = async () => {
		const r = await fetch(`http://127.0.0.1:${port}/still/serving`);
		assert.equal(r.status, 200);
		assert.equal(await r.text(), "GET /still/serving 0\n");
	};

	test("fetch: GET and POST with a JSON body", async () => {
		const r = await fetch(`http://127.0.0.1:${port}/a/b?c=d`);
		assert.equal(r.status, 200);
		assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
		assert.equal(await r.text(), "GET /a/b?c=d 0\n");
		const p = await fetch(`http://127.0.0.1:${port}/p`, { method: "POST", body: JSON.stringify({ name: "é" }), headers: { "content-type": "application/json" } });
		assert.equal(await p.text(), "POST /p 13\n");
	});

	test("keep-alive: two requests (the second pipelined) on one connection, then Connection: close ends it", async () => {
		const text = await raw(port, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPUT /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", "GET /3 HTTP/1.1\r\nConnection: close\r\n\r\n");
		const bodies = text.split("\r\n\r\n").slice(1).map((part) => part.split("\n")[0]);
		assert.deepEqual(bodies, ["GET /1 0", "PUT /2 3", "GET /3 0"]);
		assert.match(text, /Connection: keep-alive[\s\S]*Connection: keep-alive[\s\S]*Connection: close/);
	});

	test("curl: a 2 KB body sent after 100 Continue and HTTP/1.0 without keep-alive", async () => {
		const { stdout } = await run(CURL, ["-sS", "-i", "-X", "PUT", "-H", "Expect: 100-continue", "--data-binary", "x".repeat(2048), `http://127.0.0.1:${port}/big`]);
		assert.match(stdout, /HTTP\/1\.1 100 Continue/);
		assert.match(stdout, /PUT \/big 2048\n$/);
		const old = await run(CURL, ["-sS", "-i", "--http1.0", `http://127.0.0.1:${port}/old`]);
		assert.match(old.stdout, /Connection: close/);
	});

	test("malformed request lines: 400 or 505 with the reason, and others are still served", async () => {
		const cases: Array<[string, number, RegExp]> = [
			["get / HTTP/1.1\r\n\r\n", 400, /upper-case method/],
			["GET  / HTTP/1.1\r\n\r\n", 400, /target is missing/],
			["GET / HTTP/2.0\r\n\r\n", 505, /HTTP\/1\.1 or HTTP\/1\.0/],
			["GET / HTTP/1.1\n\n\r\n\r\n", 400, /CRLF/],
			["GET http://x/ HTTP/1.1\r\n\r\n", 400, /path starting with \//],
			["GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400, /malformed header field/],
			["GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400, /line folding/],
			["PUT / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, /two different Content-Length/],
			["PUT / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, /decimal number/],
			["PUT / HTTP/1.1\r\nExpect: magic\r\nContent-Length: 3\r\n\r\n", 417, /100-continue/],
		];
		for (const [request, status, reason] of cases) {
			const text = await raw(port, request);
			assert.equal(statusOf(text), status, request);
			assert.match(text, reason);
			assert.match(text, /Connection: close/);
		}
		await served();
	});

	test("chunked request bodies are refused with 411 and a reason (curl and raw)", async () => {
		const { stdout } = await run(CURL, ["-sS", "-i", "-H", "Transfer-Encoding: chunked", "--data-binary", "{}", `http://127.0.0.1:${port}/c`]);
		assert.equal(statusOf(stdout), 411);
		assert.match(stdout, /chunked request bodies are not accepted: send the body with a Content-Length/);
		const gzip = await raw(port, "PUT / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n");
		assert.equal(statusOf(gzip), 501);
		await served();
	});

	test("oversized: head (431), header count (431), body (413, judged before it is read)", async () => {
		const big = await run(CURL, ["-sS", "-i", "-H", `X-Big: ${"b".repeat(2000)}`, `http://127.0.0.1:${port}/h`]);
		assert.equal(statusOf(big.stdout), 431);
		assert.match(big.stdout, /larger than 1024 bytes/);
		const many = Array.from({ length: 20 }, (_, i) => `X-${i}: v\r\n`).join("");
		const count = await raw(port, `GET / HTTP/1.1\r\n${many}\r\n`);
		assert.equal(statusOf(count), 431);
		assert.match(count, /more than 16 header fields/);
		const body = await run(CURL, ["-sS", "-i", "--data-binary", "y".repeat(5000), `http://127.0.0.1:${port}/b`]);
		assert.equal(statusOf(body.stdout), 413);
		assert.match(body.stdout, /5000 bytes is larger than 4096/);
		assert.doesNotMatch(body.stdout, /100 Continue/);
		await served();
	});

	test("a lying Content-Length (fewer bytes than announced) and a slow client: 408 after the read timeout, others served meanwhile", async () => {
		const lying = raw(port, "PUT /l HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly ten b");
		const slow = net.connect({ host: "127.0.0.1", port });
		const slowClosed = once(slow, "close");
		await once(slow, "connect");
		const slowReply: Buffer[] = [];
		slow.on("data", (b: Buffer) => slowReply.push(b));
		slow.write("GET /s");
		await served(); // while both wait
		const text = await lying;
		assert.equal(statusOf(text), 408);
		assert.match(text, /not complete within 400 ms \(http_server.content_read_timeout\)/);
		await slowClosed;
		assert.equal(statusOf(Buffer.concat(slowReply).toString("latin1")), 408);
	});

	test("more bytes than announced: the rest is read as the next request and refused", async () => {
		const text = await raw(port, "PUT /x HTTP/1.1\r\nContent-Length: 2\r\n\r\nabcdef\r\n\r\n");
		assert.match(text, /^HTTP\/1\.1 200 OK[\s\S]*PUT \/x 2\n[\s\S]*HTTP\/1\.1 400 /);
	});
});

describe("HTTP server limits under load", () => {
	test("max_clients: 5 held requests, 45 refused with 503; after the answers, new clients are served", async () => {
		const hal = createNodeHal({ logLevel: "error" });
		const ctx = startServer(hal, { ...LIMITS, readTimeoutMs: 60000 });
		const port = await ctx.port;
		const replies = Array.from({ length: 50 }, (_, i) => raw(port, `GET /slow HTTP/1.1\r\nConnection: close\r\nX-N: ${i}\r\n\r\n`));
		// The 45 refusals come while the 5 served requests are still held (nothing is released before).
		let answered = 0;
		for (const p of replies) void p.then(() => answered++);
		while (answered < 45) await new Promise((r) => setTimeout(r, 5));
		assert.equal(ctx.held.length, 5);
		for (const release of ctx.held.splice(0)) release();
		const texts = await Promise.all(replies);
		const statuses = texts.map(statusOf);
		assert.equal(statuses.filter((s) => s === 200).length, 5);
		assert.equal(statuses.filter((s) => s === 503).length, 45);
		for (const t of texts) if (statusOf(t) === 503) assert.match(t, /too many clients: 5 connections are open \(http_server.max_clients\)/);
		assert.equal(ctx.server.stats.refused, 45);
		const r = await fetch(`http://127.0.0.1:${port}/after`);
		assert.equal(r.status, 200);
		ctx.server.close();
	});
});

describe("HTTP server security", () => {
	test("Basic credentials: missing or wrong is 401 with WWW-Authenticate, right is served; the password is never logged", async () => {
		const lines: string[] = [];
		const hal = createNodeHal({ logLevel: "trace", logSink: (_l, m) => lines.push(m) });
		const ctx = startServer(hal);
		ctx.server.requireBasicAuth("edge", "s3cret-pass");
		const port = await ctx.port;
		const none = await fetch(`http://127.0.0.1:${port}/x`);
		assert.equal(none.status, 401);
		assert.equal(none.headers.get("www-authenticate"), 'Basic realm="gateway"');
		const wrong = await run(CURL, ["-sS", "-i", "-u", "edge:s3cret-pasS", `http://127.0.0.1:${port}/x`]);
		assert.equal(statusOf(wrong.stdout), 401);
		const longer = await run(CURL, ["-sS", "-i", "-u", "edge:s3cret-pass-and-more", `http://127.0.0.1:${port}/x`]);
		assert.equal(statusOf(longer.stdout), 401);
		const right = await run(CURL, ["-sS", "-i", "-u", "edge:s3cret-pass", `http://127.0.0.1:${port}/x`]);
		assert.equal(statusOf(right.stdout), 200);
		assert.ok(!lines.some((l) => l.includes("s3cret") || l.includes(Buffer.from("edge:s3cret-pass").toString("base64"))));
		ctx.server.close();
	});

	test("a loopback-bound server answers a non-loopback peer 403 and closes (defence behind the bind address)", async () => {
		const written: string[] = [];
		let closed = false;
		let accept: ((socket: HalSocket, remote: string) => void) | null = null;
		const base = createNodeHal({ logLevel: "error" });
		const listener: HalListener = {
			onListening: null, onAccept: null, onClose: null,
			listen() {
				accept = listener.onAccept;
				setImmediate(() => listener.onListening?.(8000));
			},
			close() {},
		};
		const hal: Hal = { ...base, createListener: () => listener };
		const server = new HttpServer(hal, LIMITS, () => assert.fail("a refused peer reached the handler"));
		await server.listen({ host: "127.0.0.1", port: 8000 });
		const socket: HalSocket = {
			connect: () => assert.fail("connect on an accepted socket"),
			write: (bytes, offset, length) => (written.push(Buffer.from(bytes.subarray(offset, offset + length)).toString("latin1")), length),
			close: () => (closed = true),
			onConnect: null, onData: null, onWritable: null, onClose: null,
		};
		accept!(socket, "192.0.2.7");
		assert.equal(closed, false, "closed inside the accept callback");
		await new Promise((r) => setTimeout(r, 10));
		assert.equal(closed, true);
		assert.equal(statusOf(written.join("")), 403);
		assert.match(written.join(""), /loopback clients only/);
		server.close();
	});
});
