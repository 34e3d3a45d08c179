/*
 * The XS harness itself: a real xsnap worker (XS 13.3) driven over netstrings, its meters, its
 * failure modes, and the HAL bridge (sockets to a Node echo server, the virtual clock, the pure-JS
 * helpers checked against Node's own implementations).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import * as tls from "node:tls";
import { after, before, describe, test } from "node:test";
import { XsHalBridge } from "../../hal/xs/bridge";
import { XsWorker } from "../../hal/xs/host";
import { xsBundle } from "./bundles";
import { DEADLINE_MS } from "../support/deadline";

function alive(pid: number | undefined): boolean {
	try {
		process.kill(pid!, 0);
		return true;
	} catch {
		return false;
	}
}

async function until(condition: () => boolean, timeoutMs = DEADLINE_MS): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error("timed out waiting");
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}

describe("xsnap worker", () => {
	test("evaluates scripts and reports the crank's meters", async () => {
		const worker = new XsWorker({ name: "smoke" });
		try {
			const { value, meters } = await worker.evaluateJson<number>("6 * 7");
			assert.equal(value, 42);
			assert.ok(meters.compute > 0 && Number.isInteger(meters.compute));
			assert.ok(meters.allocate > 32 * 1024 * 1024, "allocate counts the 32 MiB initial chunk heap");
			assert.ok(meters.currentHeapCount > 1000);
			// More work, more compute: a loop of 10000 iterations costs more than one multiplication.
			const loop = await worker.evaluate("let x = 0; for (let i = 0; i < 10000; i++) x += i; x");
			assert.ok(loop.meters.compute > 10000 && loop.meters.compute > meters.compute);
			assert.equal(loop.reply.length, 0, "a non-ArrayBuffer result gives an empty reply");
			const text = await worker.evaluate("new TextEncoder().encode('hé').buffer");
			assert.deepEqual([...text.reply], [0x68, 0xc3, 0xa9]);
			// XS really is the engine: ES2023 array helpers are absent in XS 13.3, print works.
			assert.equal((await worker.evaluateJson("typeof [].toSorted + ' ' + typeof setTimeout + ' ' + typeof issueCommand")).value, "undefined undefined function");
		} finally {
			await worker.close();
		}
		assert.equal(alive(worker.pid), false);
	});

	test("an uncaught exception rejects with XS's message and the worker goes on", async () => {
		const worker = new XsWorker({ name: "throws" });
		try {
			await assert.rejects(worker.evaluate("null.x"), (error: Error & { xsMessage?: string }) => {
				assert.match(error.xsMessage!, /^TypeError: .*/);
				return true;
			});
			await assert.rejects(worker.evaluate("throw new RangeError('boom')"), /RangeError: boom/);
			await assert.rejects(worker.evaluate("this is not javascript"), /SyntaxError/);
			assert.equal((await worker.evaluateJson("1 + 1")).value, 2);
		} finally {
			await worker.close();
		}
	});

	test("a runaway crank is stopped by the meter and later calls reject", async () => {
		const worker = new XsWorker({ name: "runaway", meteringLimit: 1e6 });
		await assert.rejects(worker.evaluate("for (;;) {}"), /too much computation/);
		await assert.rejects(worker.evaluate("1"), /too much computation/);
		await worker.close();
		assert.equal(alive(worker.pid), false);
	});

	test("a crash inside a crank (stack overflow) rejects instead of hanging", async () => {
		const worker = new XsWorker({ name: "deep" });
		try {
			await assert.rejects(worker.evaluate("(function f() { return f() + 1; })()"), /stack overflow|RangeError/i);
		} finally {
			await worker.close();
		}
	});

	test("XS issueCommand reaches an async Node handler synchronously for XS", async () => {
		const seen: string[] = [];
		const worker = new XsWorker({
			name: "issue",
			handleCommand: async (request) => {
				const text = Buffer.from(request).toString("utf8");
				seen.push(text);
				await new Promise((resolve) => setTimeout(resolve, 20));
				return text.toUpperCase();
			},
		});
		try {
			const { value } = await worker.evaluateJson<string[]>(`["ab", "cd"].map((t) => {
				const reply = new Uint8Array(issueCommand(new TextEncoder().encode(t).buffer));
				return String.fromCharCode(...reply);
			})`);
			assert.deepEqual(value, ["AB", "CD"]);
			assert.deepEqual(seen, ["ab", "cd"]);
		} finally {
			await worker.close();
		}
	});

	test("a failing Node handler kills the worker and rejects the crank", async () => {
		const worker = new XsWorker({ name: "badhandler", handleCommand: () => { throw new Error("nope"); } });
		await assert.rejects(worker.evaluate("issueCommand(new ArrayBuffer(1))"), /handler failed: nope/);
		await worker.close();
		assert.equal(alive(worker.pid), false);
	});

	test("loads a rollup bundle in a compartment and round-trips a command", async () => {
		const worker = new XsWorker({ name: "bundle" });
		try {
			await worker.loadBundle({ name: "xs-smoke", source: await xsBundle("xs-smoke") });
			assert.equal((await worker.evaluateJson("bundles['xs-smoke'].add(20, 22)")).value, 42);
			await worker.evaluate("bundles['xs-smoke'].installReverser()");
			const crank = await worker.command(Uint8Array.from([1, 2, 3, 250]));
			assert.deepEqual([...crank.reply], [250, 3, 2, 1]);
			assert.ok(crank.meters.compute > 0);
		} finally {
			await worker.close();
		}
	});

	test("a bundle with an external Moddable specifier gets the shim module", async () => {
		const worker = new XsWorker({ name: "shim" });
		try {
			const source = `import Timer from "timer"; export const kind = Timer.kind;`;
			await worker.loadBundle({ name: "app", source, modules: { timer: "export default { kind: 'shim' };" } });
			assert.equal((await worker.evaluateJson("bundles.app.kind")).value, "shim");
			await assert.rejects(worker.loadBundle({ name: "broken", source: `import x from "missing";` }), /missing/);
		} finally {
			await worker.close();
		}
	});
});

describe("XS HAL over the bridge", () => {
	const START = 1_700_000_000_000;
	let bridge: XsHalBridge;
	let server: net.Server;
	let port = 0;
	const serverReceived: Buffer[] = [];

	before(async () => {
		server = net.createServer((socket) => {
			socket.on("data", (bytes) => {
				serverReceived.push(bytes);
				socket.write(bytes);
			});
			socket.on("error", () => {});
		});
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		port = (server.address() as net.AddressInfo).port;
		bridge = new XsHalBridge({ seed: [1, 2, 3, 4], now: START, store: { appKey: "k" }, worker: { name: "hal" } });
		await bridge.loadBundle({ name: "smoke", source: await xsBundle("xs-smoke") });
		await bridge.worker.evaluate("bundles.smoke.startHal()");
	});

	after(async () => {
		await bridge.close();
		await new Promise((resolve) => server.close(resolve));
		assert.equal(alive(bridge.worker.pid), false);
	});

	test("socket round trip with a Node echo server", async () => {
		const text = "hello from XS, ünïcödé ✓";
		const bytes = Buffer.byteLength(text);
		await bridge.worker.evaluate(`bundles.smoke.echo(${port}, ${JSON.stringify(text)}, ${bytes})`);
		await bridge.waitForLog("connected");
		assert.equal((await bridge.waitForLog(/^echo /)).message, `echo ${text}`);
		assert.equal((await bridge.waitForLog(/^closed /)).message, "closed null");
		assert.equal(Buffer.concat(serverReceived).toString("utf8"), text);
		assert.ok(bridge.logs.some((l) => l.level === "debug" && l.message === `wrote ${bytes} of ${bytes}`));
		assert.deepEqual(bridge.errors, []);
	});

	test("a refused connection closes with an error", async () => {
		const closed = net.createServer();
		await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
		const deadPort = (closed.address() as net.AddressInfo).port;
		await new Promise((resolve) => closed.close(resolve));
		await bridge.worker.evaluate(`bundles.smoke.echo(${deadPort}, "x", 1)`);
		assert.match((await bridge.waitForLog(/^closed error/)).message, /ECONNREFUSED/);
	});

	test("TLS through the bridge: verified by default, a DER ca makes the self-signed certificate trusted", async () => {
		const fixtures = new URL("../hal/fixtures/", import.meta.url);
		const cert = readFileSync(new URL("cert.pem", fixtures), "utf8");
		const server = tls.createServer({ key: readFileSync(new URL("key.pem", fixtures), "utf8"), cert }, (s) => s.pipe(s));
		server.on("tlsClientError", () => {});
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		const tlsPort = (server.address() as net.AddressInfo).port;
		try {
			const der = [...Buffer.from(cert.replace(/-----[^-]+-----|\s/g, ""), "base64")];
			const closes = () => bridge.logs.filter((l) => l.message.startsWith("closed ")).length;
			const before = closes();
			await bridge.worker.evaluate(`bundles.smoke.echo(${tlsPort}, "x", 1, true)`);
			await until(() => closes() > before);
			assert.match(bridge.logs.filter((l) => l.message.startsWith("closed ")).at(-1)!.message, /^closed error DEPTH_ZERO_SELF_SIGNED_CERT/);
			await bridge.worker.evaluate(`bundles.smoke.echo(${tlsPort}, "over tls", 8, ${JSON.stringify({ caDer: der })})`);
			await bridge.waitForLog("echo over tls");
			await until(() => closes() > before + 1);
			assert.equal(bridge.logs.filter((l) => l.message.startsWith("closed ")).at(-1)!.message, "closed null");
		} finally {
			await new Promise((resolve) => server.close(resolve));
		}
	});

	test("timers run on the virtual clock the host advances", async () => {
		await bridge.worker.evaluate("bundles.smoke.scheduleTimers()");
		await bridge.advance(50);
		assert.deepEqual((await bridge.worker.evaluateJson("bundles.smoke.clock()")).value, [START + 50, 50]);
		await bridge.advance(150);
		const last = bridge.logs.filter((l) => l.message.startsWith("timers ")).at(-1)!;
		// repeat(40) at 40 and 80, set(100), the timer set at 95 for +10, repeat's 3rd run at 120; 150 cleared at 120.
		assert.equal(last.message, "timers r40@40 r40@80 a100@100 nested@105 r40@120");
		await bridge.advance(1000);
		assert.equal(bridge.logs.filter((l) => l.message.startsWith("timers ")).at(-1)!.message, last.message, "nothing fires after clear");
		assert.deepEqual((await bridge.worker.evaluateJson("bundles.smoke.clock()")).value, [START + 1200, 1200]);
	});

	test("randomBytes: xoshiro128** from the host's seed", async () => {
		// Reference outputs of xoshiro128** seeded {1, 2, 3, 4} (rand_xoshiro's test vector), little-endian.
		const words = [11520, 0, 5927040, 70819200];
		const expected = words.flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24]);
		// A fresh bridge: the seed stream of the shared one was already consumed by nothing but be safe.
		const fresh = new XsHalBridge({ seed: [1, 2, 3, 4], worker: { name: "rng" } });
		try {
			await fresh.loadBundle({ name: "smoke", source: await xsBundle("xs-smoke") });
			await fresh.worker.evaluate("bundles.smoke.startHal()");
			assert.deepEqual((await fresh.worker.evaluateJson("bundles.smoke.random(16)")).value, expected);
		} finally {
			await fresh.close();
		}
	});

	test("sha1 and base64 agree with Node's", async () => {
		for (const length of [0, 1, 3, 55, 56, 63, 64, 65, 119, 1000]) {
			const bytes = Array.from({ length }, (_, i) => (i * 131 + length) & 0xff);
			const sha = createHash("sha1").update(Buffer.from(bytes)).digest("hex");
			assert.equal((await bridge.worker.evaluateJson(`bundles.smoke.sha1Hex(${JSON.stringify(bytes)})`)).value, sha, `sha1 of ${length} bytes`);
			const b64 = Buffer.from(bytes).toString("base64");
			assert.equal((await bridge.worker.evaluateJson(`bundles.smoke.base64(${JSON.stringify(bytes)})`)).value, b64);
			assert.deepEqual((await bridge.worker.evaluateJson(`bundles.smoke.unbase64(${JSON.stringify(b64)})`)).value, bytes);
		}
		// RFC 6455 §1.3's example accept value, end to end through sha1 + base64.
		const key = Buffer.from("dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
		const digest = (await bridge.worker.evaluateJson<string>(`bundles.smoke.sha1Hex(${JSON.stringify([...key])})`)).value;
		assert.equal(Buffer.from(digest, "hex").toString("base64"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
		for (const bad of ["abc", "ab=c", "a*bc", "====", "ab==cd=="]) {
			assert.match(String((await bridge.worker.evaluateJson(`bundles.smoke.unbase64(${JSON.stringify(bad)})`)).value), /^TypeError/, bad);
		}
	});

	test("utf8 encode-into and strict decode agree with Node's", async () => {
		for (const text of ["", "plain", "aé€😀", "\u0000\u007f\u0080\u07ff\u0800\uffff"]) {
			const expected = [...Buffer.from(text, "utf8")];
			const [n, bytes] = (await bridge.worker.evaluateJson<[number, number[]]>(`bundles.smoke.utf8Encode(${JSON.stringify(text)}, ${expected.length})`)).value;
			assert.equal(n, expected.length);
			assert.deepEqual(bytes, expected);
			assert.equal((await bridge.worker.evaluateJson(`bundles.smoke.utf8Decode(${JSON.stringify(expected)})`)).value, text);
		}
		assert.deepEqual((await bridge.worker.evaluateJson("bundles.smoke.utf8Encode('\\ud800x', 4)")).value, [4, [0xef, 0xbf, 0xbd, 0x78]], "lone surrogate -> U+FFFD");
		assert.deepEqual((await bridge.worker.evaluateJson("bundles.smoke.utf8Encode('€', 2)")).value, [-1, [0, 0]], "no room: -1, nothing written");
		for (const bad of [[0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xff], [0xc3, 0x41]]) {
			assert.deepEqual((await bridge.worker.evaluateJson(`bundles.smoke.utf8Decode(${JSON.stringify(bad)})`)).value, { error: "TypeError" }, JSON.stringify(bad));
		}
	});

	test("the store starts with the host's entries", async () => {
		assert.deepEqual((await bridge.worker.evaluateJson("bundles.smoke.store()")).value, ["k", "1", null]);
	});
});
