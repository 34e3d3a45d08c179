// The Node HAL: sockets (plain and TLS, back-pressure, every way a connection ends), timers,
// clocks, randomness, SHA-1/base64/UTF-8 against published vectors, the log sink and the store.
import * as assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import * as tls from "node:tls";
import type { Hal, HalSocket, SocketOptions } from "../../hal/hal";
import { createNodeHal, SocketError } from "../../hal/node/index";
import { DEADLINE_MS } from "../support/deadline";

const fixtures = new URL("./fixtures/", import.meta.url);
const certificate = readFileSync(new URL("cert.pem", fixtures), "utf8");
const key = readFileSync(new URL("key.pem", fixtures), "utf8");

/** A socket's life as promises. */
function watch(socket: HalSocket) {
	const data: Buffer[] = [];
	let closes = 0;
	let writable = 0;
	let lastFree = 0;
	const connected = new Promise<void>((resolve) => (socket.onConnect = resolve));
	const closed = new Promise<Error | null>((resolve) => {
		socket.onClose = (error) => {
			closes++;
			resolve(error);
		};
	});
	socket.onData = (bytes) => data.push(Buffer.from(bytes));
	socket.onWritable = (free) => {
		writable++;
		lastFree = free;
	};
	return {
		connected,
		closed,
		received: () => Buffer.concat(data),
		get closes() {
			return closes;
		},
		get writable() {
			return writable;
		},
		get lastFree() {
			return lastFree;
		},
	};
}

async function listen(server: net.Server): Promise<number> {
	server.listen(0, "127.0.0.1");
	await once(server, "listening");
	return (server.address() as net.AddressInfo).port;
}

async function until(condition: () => boolean, what: string, ms = DEADLINE_MS): Promise<void> {
	const end = Date.now() + ms;
	while (!condition()) {
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 2));
	}
}

describe("socket over TCP", () => {
	const hal = createNodeHal();

	test("connect, write (copied), echo, onWritable after connect, orderly close by the peer", async () => {
		const server = net.createServer((s) => s.pipe(s));
		const port = await listen(server);
		const socket = hal.createSocket();
		const w = watch(socket);
		socket.connect({ host: "127.0.0.1", port });
		await w.connected;
		assert.equal(w.writable, 1);
		assert.equal(w.lastFree, 16384);
		const bytes = Buffer.from("hello, hal");
		assert.equal(socket.write(bytes, 7, 3), 3);
		bytes.fill(0); // the socket kept its own copy
		await until(() => w.received().length === 3, "the echo");
		assert.equal(w.received().toString(), "hal");
		socket.close();
		assert.equal(await w.closed, null);
		assert.equal(socket.write(Buffer.from("x"), 0, 1), 0, "write after close");
		socket.close();
		await new Promise((resolve) => setTimeout(resolve, 10));
		assert.equal(w.closes, 1);
		server.close();
	});

	test("the peer ending the connection is an orderly close (null), reported once", async () => {
		const server = net.createServer((s) => s.end("bye"));
		const port = await listen(server);
		const socket = hal.createSocket();
		const w = watch(socket);
		socket.connect({ host: "127.0.0.1", port });
		assert.equal(await w.closed, null);
		assert.equal(w.received().toString(), "bye");
		await new Promise((resolve) => setTimeout(resolve, 10));
		assert.equal(w.closes, 1);
		server.close();
	});

	test("back-pressure: write accepts less, then 0; onWritable(free) when the peer reads again; nothing lost", async () => {
		const small = createNodeHal({ writeAllowance: 4096 });
		let peer: net.Socket | undefined;
		const server = net.createServer((s) => {
			peer = s;
			s.pause();
		});
		const port = await listen(server);
		const socket = small.createSocket();
		const w = watch(socket);
		socket.connect({ host: "127.0.0.1", port });
		await w.connected;
		const chunk = Buffer.alloc(65536);
		let sent = 0;
		let shortWrites = 0;
		// fill the kernel buffers, then our 4 KiB allowance
		for (let round = 0; round < 2000; round++) {
			for (let i = 0; i < chunk.length; i++) chunk[i] = (sent + i) & 0xff;
			const accepted = socket.write(chunk, 0, chunk.length);
			assert.ok(accepted <= 4096, `accepted ${accepted}`);
			sent += accepted;
			if (accepted < chunk.length) shortWrites++;
			if (accepted === 0) break;
			await new Promise((resolve) => setImmediate(resolve));
		}
		assert.ok(shortWrites > 0);
		assert.equal(socket.write(chunk, 0, 1), 0, "no room left");
		const before = w.writable;
		let received = 0;
		let intact = true;
		peer!.on("data", (d: Buffer) => {
			for (let i = 0; i < d.length; i++) if (d[i] !== ((received + i) & 0xff)) intact = false;
			received += d.length;
		});
		peer!.resume();
		await until(() => w.writable > before, "onWritable");
		assert.ok(w.lastFree > 0 && w.lastFree <= 4096);
		await until(() => received === sent, `all ${sent} bytes at the peer`);
		assert.ok(intact, "bytes arrive in order, unchanged");
		socket.close();
		await w.closed;
		server.close();
	});

	test("refused", async () => {
		const server = net.createServer();
		const port = await listen(server);
		server.close();
		const socket = hal.createSocket();
		const w = watch(socket);
		socket.connect({ host: "127.0.0.1", port });
		const error = await w.closed;
		assert.ok(error instanceof SocketError);
		assert.equal(error.code, "ECONNREFUSED");
		assert.equal(error.message, `connection refused by 127.0.0.1:${port}`);
		assert.equal(error.name, "SocketError");
	});

	test("reset by the peer", async () => {
		const server = net.createServer((s) => setTimeout(() => s.resetAndDestroy(), 10));
		const port = await listen(server);
		const socket = hal.createSocket();
		const w = watch(socket);
		socket.connect({ host: "127.0.0.1", port });
		const error = await w.closed;
		assert.match(String(error?.message), new RegExp(`connection reset by 127\\.0\\.0\\.1:${port}`));
		server.close();
	});

	test("DNS failure", async () => {
		const socket = hal.createSocket();
		const w = watch(socket);
		socket.connect({ host: "no-such-host.invalid", port: 80 });
		const error = await w.closed;
		assert.match(String(error?.message), /^DNS lookup of no-such-host\.invalid failed \((ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NONAME)\)$/);
	});

	test("close while connecting, and close before connect", async () => {
		const server = net.createServer();
		const port = await listen(server);
		const socket = hal.createSocket();
		const w = watch(socket);
		socket.connect({ host: "127.0.0.1", port });
		socket.close();
		assert.equal(await w.closed, null);
		const unused = hal.createSocket();
		const u = watch(unused);
		unused.close();
		assert.equal(await u.closed, null);
		assert.throws(() => unused.connect({ host: "127.0.0.1", port }));
		server.close();
	});

	test("a peer that never ends its side: the socket is destroyed after lingerMs", async () => {
		const server = net.createServer({ allowHalfOpen: true }, () => {});
		const port = await listen(server);
		const socket = createNodeHal({ lingerMs: 50 }).createSocket();
		const w = watch(socket);
		socket.connect({ host: "127.0.0.1", port });
		await w.connected;
		socket.close();
		assert.equal(await w.closed, null);
		server.close();
	});
});

describe("socket over TLS", () => {
	let port = 0;
	const server = tls.createServer({ key, cert: certificate }, (s) => s.pipe(s));
	server.on("tlsClientError", () => {});
	after(() => server.close());

	async function tryConnect(options: SocketOptions["tls"], host = "127.0.0.1"): Promise<{ error: Error | null; echoed: string }> {
		if (port === 0) port = await listen(server);
		const socket = createNodeHal().createSocket();
		const w = watch(socket);
		socket.connect({ host, port, tls: options });
		const outcome = await Promise.race([w.connected.then(() => "connected"), w.closed.then(() => "closed")]);
		if (outcome === "closed") return { error: await w.closed, echoed: "" };
		socket.write(Buffer.from("over tls"), 0, 8);
		await until(() => w.received().length === 8, "the TLS echo");
		socket.close();
		return { error: await w.closed, echoed: w.received().toString() };
	}

	test("certificates are verified by default: a self-signed one is refused", async () => {
		const { error } = await tryConnect(true);
		assert.ok(error instanceof SocketError);
		assert.match(error.message, /^TLS handshake with 127\.0\.0\.1:\d+ failed: .*self[- ]signed/);
		assert.equal(error.code, "DEPTH_ZERO_SELF_SIGNED_CERT");
	});

	test("insecure: true accepts it", async () => {
		assert.deepEqual(await tryConnect({ insecure: true }), { error: null, echoed: "over tls" });
	});

	test("ca (PEM text or DER bytes) makes it trusted; the name is still checked", async () => {
		assert.deepEqual(await tryConnect({ ca: certificate }), { error: null, echoed: "over tls" });
		assert.deepEqual(await tryConnect({ ca: certificate }, "localhost"), { error: null, echoed: "over tls" });
		const der = new Uint8Array(Buffer.from(certificate.replace(/-----[^-]+-----|\s/g, ""), "base64"));
		assert.deepEqual(await tryConnect({ ca: [der] }), { error: null, echoed: "over tls" });
		const { error } = await tryConnect({ ca: certificate, servername: "other.example" });
		assert.equal((error as SocketError | null)?.code, "ERR_TLS_CERT_ALTNAME_INVALID");
	});
});

describe("timers and clocks", () => {
	const hal = createNodeHal();

	test("set fires once, repeat until cleared, clear of a fired or unknown id is ignored", async () => {
		let once = 0;
		let repeated = 0;
		const fired = hal.timers.set(() => once++, 5);
		const cleared = hal.timers.set(() => once++, 5);
		hal.timers.clear(cleared);
		const id = hal.timers.repeat(() => repeated++, 5);
		await until(() => repeated >= 3, "three repeats");
		hal.timers.clear(id);
		const stopped = repeated;
		await new Promise((resolve) => setTimeout(resolve, 30));
		assert.equal(once, 1);
		assert.equal(repeated, stopped);
		hal.timers.clear(fired);
		hal.timers.clear(null);
	});

	test("now is the wall clock; ticks never go back", () => {
		assert.ok(Math.abs(hal.now() - Date.now()) < 1000);
		let last = hal.ticks();
		for (let i = 0; i < 1000; i++) {
			const t = hal.ticks();
			assert.ok(t >= last);
			last = t;
		}
	});
});

describe("bytes", () => {
	const hal: Hal = createNodeHal();

	test("randomBytes fills exactly the range", () => {
		const buffer = new Uint8Array(64);
		hal.randomBytes(buffer, 8, 48);
		assert.ok(buffer.subarray(0, 8).every((b) => b === 0) && buffer.subarray(56).every((b) => b === 0));
		assert.ok(new Set(buffer.subarray(8, 56)).size > 10);
	});

	test("sha1: FIPS 180 vectors and the RFC 6455 §1.3 accept value", () => {
		const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
		assert.equal(hex(hal.sha1(new Uint8Array(0))), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
		assert.equal(hex(hal.sha1(Buffer.from("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
		assert.equal(hex(hal.sha1(Buffer.from("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
		assert.equal(hal.base64Encode(hal.sha1(Buffer.from("dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	});

	test("base64: RFC 4648 §10 vectors both ways, views, malformed input", () => {
		const vectors: Array<[string, string]> = [
			["", ""],
			["f", "Zg=="],
			["fo", "Zm8="],
			["foo", "Zm9v"],
			["foob", "Zm9vYg=="],
			["fooba", "Zm9vYmE="],
			["foobar", "Zm9vYmFy"],
		];
		for (const [plain, encoded] of vectors) {
			assert.equal(hal.base64Encode(Buffer.from(plain)), encoded);
			assert.deepEqual(hal.base64Decode(encoded), new Uint8Array(Buffer.from(plain)));
		}
		assert.equal(hal.base64Encode(Buffer.from("xxfooxx").subarray(2, 5)), "Zm9v");
		for (const bad of ["Zm9v!", "Zm9vY", "Z===", "Zm 9v"]) assert.throws(() => hal.base64Decode(bad), TypeError, bad);
	});

	test("utf8EncodeInto writes all or nothing", () => {
		const into = new Uint8Array(6).fill(0xaa);
		assert.equal(hal.utf8EncodeInto("a€", into, 1), 4);
		assert.deepEqual([...into], [0xaa, 0x61, 0xe2, 0x82, 0xac, 0xaa]);
		assert.equal(hal.utf8EncodeInto("€€", into, 1), -1);
		assert.deepEqual([...into], [0xaa, 0x61, 0xe2, 0x82, 0xac, 0xaa], "nothing written");
		assert.equal(hal.utf8EncodeInto("", into, 6), 0);
		assert.equal(hal.utf8EncodeInto("\ud800", into, 0), 3, "a lone surrogate becomes U+FFFD");
		assert.deepEqual([...into.subarray(0, 3)], [0xef, 0xbf, 0xbd]);
	});

	test("utf8Decode: a range, the BOM kept, malformed input is a TypeError", () => {
		assert.equal(hal.utf8Decode(Buffer.from("xx€😀xx"), 2, 7), "€😀");
		assert.equal(hal.utf8Decode(Buffer.from([0xef, 0xbb, 0xbf, 0x61]), 0, 4), "\ufeffa");
		for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) assert.throws(() => hal.utf8Decode(new Uint8Array(bad), 0, bad.length), TypeError);
	});
});

describe("log and store", () => {
	test("log: the sink sees the level and message at or above the minimum", () => {
		const lines: string[] = [];
		const hal = createNodeHal({ logLevel: "warn", logSink: (level, message) => lines.push(`${level}:${message}`) });
		for (const level of ["trace", "debug", "info", "warn", "error"] as const) hal.log(level, level);
		assert.deepEqual(lines, ["warn:warn", "error:error"]);
		assert.deepEqual((["trace", "debug", "info", "warn", "error"] as const).map((level) => hal.logEnabled(level)), [false, false, false, true, true]);
	});

	const dir = mkdtempSync(join(tmpdir(), "hal-store-"));
	after(() => rmSync(dir, { recursive: true, force: true }));

	test("store in memory", () => {
		const { store } = createNodeHal();
		assert.equal(store.get("a"), undefined);
		store.set("a", "1");
		assert.equal(store.get("a"), "1");
		store.delete("a");
		store.delete("a");
		assert.equal(store.get("a"), undefined);
	});

	test("store in a JSON file survives a new HAL; bad files are refused", () => {
		const path = join(dir, "store.json");
		const first = createNodeHal({ storePath: path }).store;
		first.set("session", "42");
		first.set("gone", "x");
		first.delete("gone");
		assert.deepEqual(JSON.parse(readFileSync(path, "utf8")), { session: "42" });
		assert.equal(createNodeHal({ storePath: path }).store.get("session"), "42");
		writeFileSync(join(dir, "array.json"), "[1]");
		assert.throws(() => createNodeHal({ storePath: join(dir, "array.json") }), TypeError);
		writeFileSync(join(dir, "number.json"), '{"a": 1}');
		assert.throws(() => createNodeHal({ storePath: join(dir, "number.json") }), /"a" is not a string/);
	});
});
