// hal/node through an HTTP proxy (CONNECT): Node's own http server plays the proxy. Plain and TLS
// targets, basic credentials, and every way a proxy can refuse, each a typed error without secrets.
import * as assert from "node:assert/strict";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as tls from "node:tls";
import { describe, test } from "node:test";
import type { HalSocket, ProxyOptions, SocketOptions } from "../../hal/hal";
import { createNodeHal } from "../../hal/node/index";

const fixtures = new URL("./fixtures/", import.meta.url);
const certificate = readFileSync(new URL("cert.pem", fixtures), "utf8");
const key = readFileSync(new URL("key.pem", fixtures), "utf8");
const PASSWORD = "pr0xy-Secret-93b1";

interface Proxy {
	port: number;
	/** CONNECT targets asked for, and every byte the proxy relayed from the client after the CONNECT. */
	targets: string[];
	relayed(): Buffer;
	close(): Promise<void>;
}

/** A CONNECT proxy; with `credentials` ("user:password") it answers 407 to anything else. */
async function proxy(credentials?: string, answer?: (socket: net.Socket) => void): Promise<Proxy> {
	const targets: string[] = [];
	const relayed: Buffer[] = [];
	const sockets = new Set<net.Socket>();
	const server = http.createServer((_req, res) => res.writeHead(405).end());
	server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
		sockets.add(client);
		client.on("error", () => {});
		targets.push(req.url ?? "");
		if (answer) return answer(client);
		if (credentials !== undefined && req.headers["proxy-authorization"] !== `Basic ${Buffer.from(credentials).toString("base64")}`) {
			client.end("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\n\r\n");
			return;
		}
		const [host, port] = (req.url ?? "").split(":");
		const upstream = net.connect(Number(port), host, () => {
			client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
			if (head.length > 0) upstream.write(head);
			client.on("data", (d: Buffer) => relayed.push(d));
			client.pipe(upstream).pipe(client);
		});
		sockets.add(upstream);
		upstream.on("error", () => client.destroy());
	});
	server.listen(0, "127.0.0.1");
	await once(server, "listening");
	return {
		port: (server.address() as net.AddressInfo).port,
		targets,
		relayed: () => Buffer.concat(relayed),
		async close() {
			for (const s of sockets) s.destroy();
			server.close();
			await once(server, "close");
		},
	};
}

/** An echo server, plain or TLS with the fixture certificate. */
async function echo(secure: boolean): Promise<{ port: number; close(): Promise<void> }> {
	const handler = (socket: net.Socket) => {
		socket.on("error", () => {});
		socket.on("data", (d: Buffer) => socket.write(d));
	};
	const server = secure ? tls.createServer({ cert: certificate, key }, handler) : net.createServer(handler);
	server.listen(0, "127.0.0.1");
	await once(server, "listening");
	return {
		port: (server.address() as net.AddressInfo).port,
		async close() {
			server.close();
			await once(server, "close");
		},
	};
}

interface Outcome {
	echoed: string;
	error: Error | null;
}

/** Connects through the HAL, writes `text`, and collects the echo until it is whole or the socket closes. */
function exchange(options: SocketOptions, text: string): Promise<Outcome> {
	const socket: HalSocket = createNodeHal({ logLevel: "error", lingerMs: 50 }).createSocket();
	let echoed = "";
	return new Promise((resolve) => {
		socket.onConnect = () => socket.write(Buffer.from(text), 0, text.length);
		socket.onData = (bytes) => {
			echoed += Buffer.from(bytes).toString();
			if (echoed.length >= text.length) socket.close();
		};
		socket.onClose = (error) => resolve({ echoed, error });
		socket.connect(options);
	});
}

const via = (p: Proxy, more: Partial<ProxyOptions> = {}): ProxyOptions => ({ host: "127.0.0.1", port: p.port, ...more });

describe("hal/node through an HTTP proxy", () => {
	test("plain TCP: tunnelled to the target, the bytes go both ways", async () => {
		const target = await echo(false);
		const p = await proxy();
		try {
			const outcome = await exchange({ host: "127.0.0.1", port: target.port, proxy: via(p) }, "hello through the tunnel");
			assert.equal(outcome.error, null);
			assert.equal(outcome.echoed, "hello through the tunnel");
			assert.deepEqual(p.targets, [`127.0.0.1:${target.port}`]);
		} finally {
			await p.close();
			await target.close();
		}
	});

	test("TLS inside the tunnel: certificate checked against the target, the proxy sees only ciphertext", async () => {
		const target = await echo(true);
		const p = await proxy();
		try {
			const outcome = await exchange({ host: "localhost", port: target.port, tls: { ca: certificate }, proxy: via(p) }, "secret payload 1234");
			assert.equal(outcome.error, null);
			assert.equal(outcome.echoed, "secret payload 1234");
			assert.ok(p.relayed().length > 0);
			assert.equal(p.relayed().indexOf("secret payload"), -1);
			const untrusted = await exchange({ host: "localhost", port: target.port, tls: true, proxy: via(p) }, "x");
			assert.match(untrusted.error?.message ?? "", /TLS handshake with localhost:\d+ failed/);
		} finally {
			await p.close();
			await target.close();
		}
	});

	test("basic credentials: accepted when right; a 407 is a typed error that never shows them", async () => {
		const target = await echo(false);
		const p = await proxy(`edge:${PASSWORD}`);
		try {
			const ok = await exchange({ host: "127.0.0.1", port: target.port, proxy: via(p, { username: "edge", password: PASSWORD }) }, "ping");
			assert.equal(ok.error, null);
			assert.equal(ok.echoed, "ping");
			for (const wrong of [via(p, { username: "edge", password: "nope" }), via(p)]) {
				const refused = await exchange({ host: "127.0.0.1", port: target.port, proxy: wrong }, "ping");
				assert.equal((refused.error as Error & { code?: string })?.code, "EPROXY");
				assert.match(refused.error?.message ?? "", new RegExp(`proxy 127\\.0\\.0\\.1:${p.port} refused the tunnel to 127\\.0\\.0\\.1:${target.port}: "HTTP/1\\.1 407 Proxy Authentication Required"`));
				assert.ok(!(refused.error?.message ?? "").includes(PASSWORD) && !(refused.error?.message ?? "").includes("nope"));
				assert.equal(refused.echoed, "");
			}
		} finally {
			await p.close();
			await target.close();
		}
	});

	const broken: Array<{ name: string; answer: (socket: net.Socket) => void; message: RegExp }> = [
		{ name: "502 from the proxy", answer: (s) => s.end("HTTP/1.1 502 Bad Gateway\r\n\r\n"), message: /refused the tunnel .*"HTTP\/1\.1 502 Bad Gateway"/ },
		{ name: "an endless header block", answer: (s) => s.write("HTTP/1.1 200 OK\r\n" + "X: y\r\n".repeat(2000)), message: /over 8192 bytes of headers/ },
		{ name: "not HTTP", answer: (s) => s.write("SSH-2.0-OpenSSH\r\n\r\n"), message: /refused the tunnel .*"SSH-2\.0-OpenSSH"/ },
		{ name: "a close before any answer", answer: (s) => s.destroy(), message: /closed the connection before answering CONNECT/ },
	];
	for (const b of broken) {
		test(`a proxy that answers with ${b.name}: a typed error, nothing delivered`, async () => {
			const p = await proxy(undefined, b.answer);
			try {
				const outcome = await exchange({ host: "127.0.0.1", port: 9, proxy: via(p) }, "data");
				assert.match(outcome.error?.message ?? "(no error)", b.message);
				assert.equal(outcome.echoed, "");
			} finally {
				await p.close();
			}
		});
	}

	test("a proxy that is not there: connection refused, naming the proxy", async () => {
		const closed = net.createServer();
		closed.listen(0, "127.0.0.1");
		await once(closed, "listening");
		const port = (closed.address() as net.AddressInfo).port;
		closed.close();
		await once(closed, "close");
		const outcome = await exchange({ host: "127.0.0.1", port: 9, proxy: { host: "127.0.0.1", port } }, "data");
		assert.equal(outcome.error?.message, `connection refused by 127.0.0.1:${port}`);
	});
});
