// The gateway's callback client against raw TCP servers that answer well, badly or not at all: each
// failure a typed HttpClientError of its kind, the limits from configuration, nothing left open.
import * as assert from "node:assert/strict";
import * as net from "node:net";
import { after, before, test } from "node:test";
import { createNodeHal } from "../../hal/node/index";
import { HttpClient, HttpClientError, parseHttpUrl } from "../../src/gateway/http-client";

/** What each path answers (raw bytes, or null: say nothing), and the requests seen. */
const answers: Record<string, string | null> = {
	"/ok": "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
	"/close": "HTTP/1.0 404 Not Found\r\n\r\nno such thing",
	"/chunked": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	"/big": "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + "x".repeat(5000),
	"/short": "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this",
	"/garbage": "SSH-2.0-OpenSSH\r\n\r\n",
	"/silent": null,
};
const seen: string[] = [];
let server: net.Server;
let port = 0;
const sockets = new Set<net.Socket>();

before(async () => {
	server = net.createServer((socket) => {
		sockets.add(socket);
		socket.on("close", () => sockets.delete(socket));
		let text = "";
		socket.on("data", (d) => {
			text += d;
			const end = text.indexOf("\r\n\r\n");
			if (end < 0) return;
			const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? 0);
			if (text.length < end + 4 + length) return;
			seen.push(text);
			const path = text.split(" ")[1];
			const answer = answers[path];
			if (answer === null) return;
			socket.end(answer ?? "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n");
		});
		socket.on("error", () => {});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	port = (server.address() as net.AddressInfo).port;
});
after(() => {
	for (const s of sockets) s.destroy();
	server.close();
});

const hal = createNodeHal({ logLevel: "error" });

async function failure(promise: Promise<unknown>): Promise<HttpClientError> {
	try {
		await promise;
	} catch (error) {
		assert.ok(error instanceof HttpClientError, String(error));
		return error;
	}
	throw new Error("it did not fail");
}

test("a request goes out whole (method, path, Host, Content-Length, JSON body); the answer is read by Content-Length or to the close", async () => {
	const client = new HttpClient(hal, { maxResponseBytes: 1024, timeoutMs: 20000, maxRequests: 4 });
	const ok = await client.request("PUT", `http://127.0.0.1:${port}/ok`, '{"Level":3}');
	assert.deepEqual([ok.status, ok.contentType, Buffer.from(ok.body).toString()], [200, "application/json", '{"a":1}']);
	const sent = seen.at(-1)!;
	assert.match(sent, /^PUT \/ok HTTP\/1\.1\r\n/);
	assert.match(sent, new RegExp(`Host: 127\\.0\\.0\\.1:${port}\r\n`));
	assert.match(sent, /Content-Length: 11\r\n/);
	assert.ok(sent.endsWith('\r\n\r\n{"Level":3}'));
	const closed = await client.request("POST", `http://127.0.0.1:${port}/close`, "");
	assert.deepEqual([closed.status, Buffer.from(closed.body).toString()], [404, "no such thing"]);
});

test("bad answers and no answers: each its kind, with a reason", async () => {
	const client = new HttpClient(hal, { maxResponseBytes: 1024, timeoutMs: 300, maxRequests: 4 });
	const url = (path: string) => `http://127.0.0.1:${port}${path}`;
	assert.equal((await failure(client.request("GET", url("/chunked"), ""))).kind, "malformed");
	const big = await failure(client.request("GET", url("/big"), ""));
	assert.equal(big.kind, "too-large");
	assert.match(big.message, /over 1024 bytes/);
	assert.match((await failure(client.request("GET", url("/short"), ""))).message, /41 bytes short of Content-Length/);
	assert.match((await failure(client.request("GET", url("/garbage"), ""))).message, /not an HTTP status line/);
	assert.equal((await failure(client.request("GET", url("/silent"), ""))).kind, "timeout");
	const closedPort = await new Promise<number>((resolve) => {
		const s = net.createServer().listen(0, "127.0.0.1", () => {
			const p = (s.address() as net.AddressInfo).port;
			s.close(() => resolve(p));
		});
	});
	assert.equal((await failure(client.request("GET", `http://127.0.0.1:${closedPort}/x`, ""))).kind, "unreachable");
	assert.equal((await failure(client.request("GET", "https://127.0.0.1/x", ""))).kind, "malformed");
	assert.deepEqual(parseHttpUrl("http://h:8080"), { host: "h", port: 8080, path: "/" });
	assert.equal(parseHttpUrl("http://h:70000/x"), null);
});

test("at most maxRequests under way: one more is refused at once (busy), and the slot frees when one ends", async () => {
	const client = new HttpClient(hal, { maxResponseBytes: 1024, timeoutMs: 300, maxRequests: 2 });
	const url = `http://127.0.0.1:${port}/silent`;
	const first = failure(client.request("GET", url, ""));
	const second = failure(client.request("GET", url, ""));
	assert.equal((await failure(client.request("GET", url, ""))).kind, "busy");
	assert.equal((await first).kind, "timeout");
	await second;
	assert.equal((await client.request("GET", `http://127.0.0.1:${port}/ok`, "")).status, 200);
});
