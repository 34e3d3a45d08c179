// hal/moddable on Node, its Moddable modules replaced by fakes that behave as the SDK sources read
// (test/drivers/moddable/*: lwip TCP, securesocket, Timer, Time, Preference, crypt, text/decoder).
// What this proves: the HalSocket contract (budgeted writes that never throw, onClose exactly once,
// never from inside the caller's close(), DNS/connect/TLS failures as typed errors), the TLS option
// mapping, the tick wrap, UTF-8/base64/SHA-1 results against Node's own, and the store's NVS limits.
// What it cannot prove: that the SDK behaves as the fakes do; that needs a Moddable build.
import { test, afterEach, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { register } from "node:module";
import type { Hal, HalSocket, LogLevel } from "../../hal/hal";
import { runtime } from "./moddable/runtime";
import "./moddable/base64";

register("./moddable/loader.mjs", import.meta.url);

const traced: string[] = [];
(globalThis as unknown as { trace: (text: string) => void }).trace = (text) => void traced.push(text);

// Loaded through the hook, and by URL so the host type-check does not follow it into Moddable typings.
const halUrl = new URL("../../hal/moddable/hal.ts", import.meta.url).href;
const socketsUrl = new URL("../../hal/moddable/sockets.ts", import.meta.url).href;
const partitionUrl = new URL("../../hal/moddable/flashpartition.ts", import.meta.url).href;
const { createModdableHal } = (await import(halUrl)) as { createModdableHal(options?: { logLevel?: LogLevel; rxBufferSize?: number; storeDomain?: string; openFlash?: Hal["openFlash"] }): Hal };
const { openPartition } = (await import(partitionUrl)) as { openPartition: NonNullable<Hal["openFlash"]> };
const { SocketError } = (await import(socketsUrl)) as { SocketError: new (...args: never[]) => Error & { kind: string } };

beforeEach(() => {
	runtime.reset();
	traced.length = 0;
});

afterEach(() => {
	runtime.runZeroDelay();
	assert.deepEqual(runtime.closedInOwnCallback, [], "a socket closed from inside its own callback (the SDK frees it while still in use)");
});

interface Events {
	log: string[];
	data: number[];
	closes: Array<Error | null>;
}

function watch(socket: HalSocket, onConnect?: () => void): Events {
	const events: Events = { log: [], data: [], closes: [] };
	socket.onConnect = () => {
		events.log.push("connect");
		onConnect?.();
	};
	socket.onData = (bytes) => {
		events.log.push(`data ${bytes.length}`);
		events.data.push(...bytes);
	};
	socket.onWritable = (free) => void events.log.push(`writable ${free}`);
	socket.onClose = (error) => {
		events.log.push("close");
		events.closes.push(error);
	};
	return events;
}

function bytes(length: number, seed = 0): Uint8Array {
	return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
}

function isSocketError(kind: string, pattern: RegExp) {
	return (error: Error | null | undefined): void => {
		assert.ok(error instanceof SocketError, `expected a SocketError, got ${String(error)}`);
		assert.equal(error.kind, kind);
		assert.equal(error.name, "SocketError");
		assert.match(error.message, pattern);
	};
}

test("TCP: resolve first, connect by address with nodelay, then onConnect and onWritable", () => {
	const socket = createModdableHal().createSocket();
	const events = watch(socket);
	socket.connect({ host: "twx.example", port: 8080 });
	assert.equal(runtime.tcp.length, 0, "no socket before the address is known");
	assert.equal(runtime.resolves[0].host, "twx.example");
	runtime.resolves[0].callback("twx.example", "10.1.2.3");
	const tcp = runtime.tcp[0];
	assert.deepEqual({ address: tcp.options.address, port: tcp.options.port, nodelay: tcp.options.nodelay }, { address: "10.1.2.3", port: 8080, nodelay: true });
	tcp.connected(5744);
	assert.deepEqual(events.log, ["connect", "writable 5744"]);
	assert.throws(() => socket.connect({ host: "again", port: 1 }));
});

test("TCP writes take at most the free space, never throw, and resume on onWritable", () => {
	const socket = createModdableHal().createSocket();
	const events = watch(socket);
	socket.connect({ host: "h", port: 80 });
	runtime.resolves[0].callback("h", "10.0.0.1");
	const tcp = runtime.tcp[0];
	tcp.connected(1000);
	const payload = bytes(2500);
	assert.equal(socket.write(payload, 0, 2500), 1000);
	assert.equal(socket.write(payload, 1000, 1500), 0, "budget used up this turn: accepts nothing, throws nothing");
	tcp.acked(600);
	assert.equal(socket.write(payload, 1000, 1500), 600);
	tcp.acked(5000);
	assert.equal(socket.write(payload, 1600, 900), 900);
	assert.deepEqual(tcp.sent, [...payload]);
	assert.deepEqual(events.closes, []);
	assert.equal(socket.write(payload, 0, 0), 0);
});

test("TCP reads go through one buffer in slices of at most its size", () => {
	const socket = createModdableHal({ rxBufferSize: 2048 }).createSocket();
	const events = watch(socket);
	socket.connect({ host: "h", port: 80 });
	runtime.resolves[0].callback("h", "10.0.0.1");
	const tcp = runtime.tcp[0];
	tcp.connected(100);
	const seen: Uint8Array[] = [];
	socket.onData = (view) => {
		seen.push(view);
		events.data.push(...view);
	};
	const incoming = [...bytes(5000, 3)];
	tcp.receive(incoming);
	assert.deepEqual(seen.map((v) => v.length), [2048, 2048, 904]);
	assert.equal(seen[0].buffer, seen[2].buffer, "one preallocated buffer");
	assert.deepEqual(events.data, incoming);
});

test("data delivered before the connect's onWritable still starts with onConnect", () => {
	const socket = createModdableHal().createSocket();
	const events = watch(socket);
	socket.connect({ host: "h", port: 80 });
	runtime.resolves[0].callback("h", "10.0.0.1");
	runtime.tcp[0].receive([1, 2, 3]);
	runtime.tcp[0].connected(2920);
	assert.deepEqual(events.log, ["connect", "data 3", "writable 2920"]);
});

test("close(): the socket stops at once; it is released and onClose(null) comes once, on the next turn", () => {
	const socket = createModdableHal().createSocket();
	const events = watch(socket);
	socket.connect({ host: "h", port: 80 });
	runtime.resolves[0].callback("h", "10.0.0.1");
	const tcp = runtime.tcp[0];
	tcp.connected(100);
	socket.close();
	assert.equal(socket.write(bytes(10), 0, 10), 0);
	assert.deepEqual(events.closes, [], "not from inside close()");
	socket.close();
	tcp.fail();
	tcp.acked(100);
	tcp.receive([1]);
	assert.deepEqual(events.log, ["connect", "writable 100"], "the released transport's callbacks are ignored");
	runtime.runZeroDelay();
	assert.equal(tcp.closed, true);
	assert.deepEqual(events.closes, [null]);
});

test("close() from inside onData stops the delivery", () => {
	const socket = createModdableHal({ rxBufferSize: 16 }).createSocket();
	const events = watch(socket);
	socket.connect({ host: "h", port: 80 });
	runtime.resolves[0].callback("h", "10.0.0.1");
	runtime.tcp[0].connected(100);
	socket.onData = () => {
		events.log.push("data");
		socket.close();
	};
	runtime.tcp[0].receive([...bytes(40)]);
	assert.deepEqual(events.log, ["connect", "writable 100", "data"]);
	assert.equal(runtime.tcp[0].closed, false, "not closed inside its own onReadable");
	runtime.runZeroDelay();
	assert.equal(runtime.tcp[0].closed, true);
	assert.deepEqual(events.closes, [null]);
});

test("listener: address and port given to the ECMA-419 Listener, onListening on the next turn, accepted sockets taken over with from", () => {
	const listener = createModdableHal({ rxBufferSize: 16 }).createListener!();
	const log: string[] = [];
	const accepted: HalSocket[] = [];
	listener.onListening = (port) => void log.push(`listening ${port}`);
	listener.onAccept = (socket, remote) => {
		log.push(`accept ${remote}`);
		accepted.push(socket);
	};
	listener.onClose = (error) => void log.push(`close ${error}`);
	listener.listen({ host: "192.168.4.1", port: 8000 });
	assert.deepEqual(log, []);
	assert.equal(runtime.listeners[0].options.address, "192.168.4.1");
	assert.equal(runtime.listeners[0].options.port, 8000);
	runtime.runZeroDelay();
	assert.deepEqual(log, ["listening 8000"]);
	runtime.listeners[0].connect("192.168.4.7", 500);
	assert.deepEqual(log, ["listening 8000", "accept 192.168.4.7"]);
	const events = watch(accepted[0]);
	const tcp = runtime.tcp[0];
	assert.equal(tcp.options.from !== undefined, true);
	assert.equal(accepted[0].write(bytes(40), 0, 40), 40);
	assert.equal(tcp.sent.length, 40);
	tcp.receive([...bytes(20)]);
	assert.deepEqual(events.log, ["data 16", "data 4"]);
	accepted[0].close();
	assert.deepEqual(events.closes, []);
	runtime.runZeroDelay();
	assert.equal(tcp.closed, true);
	assert.deepEqual(events.closes, [null]);
	listener.close();
	assert.equal(runtime.listeners[0].closed, true);
	runtime.runZeroDelay();
	assert.deepEqual(log.slice(-1), ["close null"]);
});

test("listener: 0.0.0.0 binds every interface (no address); TLS and a failed bind are typed errors after listen() returns", () => {
	const hal = createModdableHal();
	const any = hal.createListener!();
	any.listen({ host: "0.0.0.0", port: 80 });
	assert.equal("address" in runtime.listeners[0].options, false);
	const secure = hal.createListener!();
	const errors: Array<Error | null> = [];
	secure.onClose = (error) => void errors.push(error);
	secure.listen({ host: "0.0.0.0", port: 443, tls: { certificate: "c", privateKey: "k" } });
	assert.equal(errors.length, 0);
	runtime.runZeroDelay();
	isSocketError("tls", /TLS listening is not available on Moddable/)(errors[0]);
	runtime.listenerConstructorThrows = true;
	const taken = hal.createListener!();
	taken.onClose = (error) => void errors.push(error);
	taken.listen({ host: "0.0.0.0", port: 80 });
	runtime.runZeroDelay();
	isSocketError("connect", /cannot listen on 0\.0\.0\.0:80/)(errors[1]);
});

test("the peer ending an open connection is onClose(null), exactly once", () => {
	const socket = createModdableHal().createSocket();
	const events = watch(socket);
	socket.connect({ host: "h", port: 80 });
	runtime.resolves[0].callback("h", "10.0.0.1");
	runtime.tcp[0].connected(100);
	runtime.tcp[0].fail();
	socket.close();
	runtime.runZeroDelay();
	assert.deepEqual(events.closes, [null]);
	assert.equal(runtime.tcp[0].closed, true);
});

test("refused connection, unknown host and a busy resolver are typed errors", () => {
	const hal = createModdableHal();
	const refused = hal.createSocket();
	const a = watch(refused);
	refused.connect({ host: "h", port: 81 });
	runtime.resolves[0].callback("h", "10.0.0.1");
	runtime.tcp[0].fail();
	assert.deepEqual(a.closes, [], "not from inside the socket's onError");
	runtime.runZeroDelay();
	assert.equal(a.closes.length, 1);
	isSocketError("connect", /h:81/)(a.closes[0]);

	const unknown = hal.createSocket();
	const b = watch(unknown);
	unknown.connect({ host: "nowhere.invalid", port: 443, tls: false });
	runtime.resolves[1].callback("nowhere.invalid", undefined);
	runtime.runZeroDelay();
	isSocketError("dns", /nowhere\.invalid/)(b.closes[0]);

	runtime.resolveThrows = true;
	const busy = hal.createSocket();
	const c = watch(busy);
	busy.connect({ host: "h", port: 80 });
	assert.deepEqual(c.closes, [], "not from inside connect()");
	runtime.runZeroDelay();
	isSocketError("dns", /resolver busy/)(c.closes[0]);
});

test("closing while the name resolves: no socket is opened afterwards", () => {
	const socket = createModdableHal().createSocket();
	const events = watch(socket);
	socket.connect({ host: "h", port: 80 });
	socket.close();
	runtime.resolves[0].callback("h", "10.0.0.1");
	assert.equal(runtime.tcp.length, 0);
	runtime.runZeroDelay();
	assert.deepEqual(events.closes, [null]);
});

test("a runtime that refuses to create the socket is a connect error, not an exception", () => {
	const socket = createModdableHal().createSocket();
	const events = watch(socket);
	socket.connect({ host: "h", port: 80 });
	runtime.tcpConstructorThrows = true;
	runtime.resolves[0].callback("h", "10.0.0.1");
	runtime.runZeroDelay();
	isSocketError("connect", /h:80 \(10\.0\.0\.1\)/)(events.closes[0]);
});

test("TLS: SecureSocket dictionary, callback codes mapped, writes capped by write()", () => {
	const ca = bytes(900);
	const socket = createModdableHal().createSocket();
	const events = watch(socket);
	socket.connect({ host: "twx.example", port: 443, tls: { ca, servername: "platform.example" } });
	const tls = runtime.tls[0];
	assert.deepEqual(tls.dict, {
		host: "twx.example",
		port: 443,
		noDelay: true,
		secure: { protocolVersion: 0x303, verify: true, certificate: ca, tls_server_name: "platform.example" },
	});
	tls.free = 3000;
	tls.signal(1);
	assert.deepEqual(events.log, ["connect", "writable 3000"]);
	const payload = bytes(5000);
	assert.equal(socket.write(payload, 0, 5000), 3000);
	assert.equal(socket.write(payload, 3000, 2000), 0);
	tls.free = 4000;
	tls.signal(3, 4000);
	assert.equal(socket.write(payload, 3000, 2000), 2000);
	assert.deepEqual(tls.sent, [...payload]);
	tls.deliver([9, 8, 7]);
	assert.deepEqual(events.data, [9, 8, 7]);
	tls.signal(-1);
	assert.equal(tls.closed, false, "not closed inside its own callback");
	runtime.runZeroDelay();
	assert.deepEqual(events.closes, [null]);
	assert.equal(tls.closed, true);
});

test("TLS: a decrypted chunk is handed on as SecureSocket's own data view; a write shape seen before reuses its view", () => {
	const socket = createModdableHal().createSocket();
	const seen: Uint8Array[] = [];
	const closes: Array<Error | null> = [];
	socket.onData = (chunk) => void seen.push(chunk);
	socket.onClose = (error) => void closes.push(error);
	socket.connect({ host: "twx.example", port: 443, tls: true });
	const tls = runtime.tls[0];
	const written: Uint8Array[] = [];
	tls.onWrite = (chunk) => void written.push(chunk);
	tls.free = 1000;
	tls.signal(1);
	const chunk = bytes(30);
	tls.deliver(chunk);
	assert.equal(seen[0], chunk, "no copy");
	const tx = bytes(100);
	const control = bytes(20);
	for (let i = 0; i < 2; i++) {
		assert.equal(socket.write(tx, 2, 40), 40);
		assert.equal(socket.write(control, 0, 14), 14);
		assert.equal(socket.write(tx, 0, 100), 100);
	}
	assert.deepEqual(written.map((w) => [...w]), [[...tx.subarray(2, 42)], [...control.subarray(0, 14)], [...tx], [...tx.subarray(2, 42)], [...control.subarray(0, 14)], [...tx]]);
	assert.equal(written[3], written[0], "the same view for the same buffer, offset and length");
	assert.equal(written[4], written[1]);
	assert.equal(written[2], tx, "a whole buffer goes as it is");
	socket.write(tx, 2, 41);
	assert.notEqual(written[6], written[0], "another length, another view");
	assert.deepEqual([...written[6]!], [...tx.subarray(2, 43)]);
	tls.data = undefined;
	tls.signal(2, 5);
	runtime.runZeroDelay();
	assert.equal(tls.closed, true, "an SDK without the data view ends the connection");
	isSocketError("io", /gave no data view/)(closes[0]);
});

test("TLS: defaults verify the certificate; insecure is explicit; failures before and after the handshake", () => {
	const hal = createModdableHal();
	const plain = hal.createSocket();
	const a = watch(plain);
	plain.connect({ host: "h", port: 443, tls: true });
	assert.deepEqual(runtime.tls[0].dict.secure, { protocolVersion: 0x303, verify: true });
	runtime.tls[0].signal(-2);
	runtime.runZeroDelay();
	isSocketError("tls", /handshake with h:443 failed/)(a.closes[0]);

	const insecure = hal.createSocket();
	const b = watch(insecure);
	insecure.connect({ host: "h", port: 8443, tls: { insecure: true } });
	assert.equal((runtime.tls[1].dict.secure as { verify: boolean }).verify, false);
	runtime.tls[1].signal(1);
	runtime.tls[1].signal(-2);
	runtime.runZeroDelay();
	isSocketError("io", /TLS connection to h:8443 failed/)(b.closes[0]);

	const hungUp = hal.createSocket();
	const c = watch(hungUp);
	hungUp.connect({ host: "h", port: 443, tls: true });
	runtime.tls[2].signal(-1);
	runtime.runZeroDelay();
	isSocketError("tls", /during the TLS handshake/)(c.closes[0]);
});

test("TLS: a PEM or more than one CA is refused with a reason, reported after connect() returns", () => {
	const hal = createModdableHal();
	const pem = hal.createSocket();
	const a = watch(pem);
	pem.connect({ host: "h", port: 443, tls: { ca: "-----BEGIN CERTIFICATE-----" } });
	assert.equal(runtime.tls.length, 0);
	assert.deepEqual(a.closes, []);
	runtime.runZeroDelay();
	isSocketError("tls", /DER, not PEM/)(a.closes[0]);

	const two = hal.createSocket();
	const b = watch(two);
	two.connect({ host: "h", port: 443, tls: { ca: [bytes(10), bytes(10)] } });
	runtime.runZeroDelay();
	isSocketError("tls", /one CA certificate/)(b.closes[0]);
});

test("ticks are monotonic across Time.ticks' signed 32-bit wrap", () => {
	runtime.ticks = 2 ** 31 - 1000;
	const hal = createModdableHal();
	assert.equal(hal.ticks(), 0);
	runtime.ticks = 2 ** 31 + 500; // Time.ticks now reads negative
	assert.equal(hal.ticks(), 1500);
	runtime.ticks = 2 ** 32 + 700; // and has wrapped to small positives
	assert.equal(hal.ticks(), 2 ** 31 + 1700);
});

test("timers map to Timer; clearing twice is harmless", () => {
	const hal = createModdableHal();
	let fired = 0;
	const once = hal.timers.set(() => fired++, 25);
	const every = hal.timers.repeat(() => fired++, 1000);
	assert.deepEqual(runtime.timers.map((t) => [t.ms, t.repeat]), [[25, false], [1000, true]]);
	runtime.timers[0].callback(runtime.timers[0]);
	assert.equal(fired, 1);
	hal.timers.clear(every);
	hal.timers.clear(every);
	hal.timers.clear(once);
	assert.equal(runtime.timers[1].cleared, true);
});

test("a kept timer (create/schedule) is one Timer, unscheduled until scheduled, fired once per schedule, never freed by firing", () => {
	const hal = createModdableHal();
	let fired = 0;
	const kept = hal.timers.create(() => fired++);
	assert.equal(runtime.timers.length, 1);
	const timer = runtime.timers[0];
	assert.deepEqual([timer.ms, timer.repeat], [Infinity, true], "made unscheduled");
	hal.timers.schedule(kept, 40);
	assert.deepEqual([timer.ms, timer.repeat], [40, true], "a non-zero repeat interval: Moddable frees a timer whose repeat is 0 once it fires");
	timer.callback(timer);
	assert.equal(fired, 1);
	assert.equal(timer.ms, Infinity, "unscheduled again before the callback ran");
	hal.timers.schedule(kept, 0);
	hal.timers.schedule(kept, -1);
	assert.equal(timer.ms, Infinity);
	assert.equal(runtime.timers.length, 1, "rescheduling makes no new Timer");
	hal.timers.clear(kept);
	assert.equal(timer.cleared, true);
});

test("UTF-8 encode matches TextEncoder, writes nothing when it does not fit; decode is strict and keeps a BOM", () => {
	const hal = createModdableHal();
	const encoder = new TextEncoder();
	for (const text of ["", "AlwaysOn", "Grüße", "温度 °C", "emoji 🌡️ and 𝄞", "lone \ud800 high", "lone \udc00 low", "end \ud83d"]) {
		const into = new Uint8Array(64).fill(0xee);
		const written = hal.utf8EncodeInto(text, into, 3);
		const expected = encoder.encode(text);
		assert.equal(written, expected.length, text);
		assert.deepEqual(into.subarray(3, 3 + written), expected, text);
		assert.equal(into[3 + written], 0xee);
		assert.equal(hal.utf8Decode(into, 3, written), new TextDecoder().decode(expected), text);
	}
	const small = new Uint8Array(5).fill(0xee);
	assert.equal(hal.utf8EncodeInto("héllo", small, 0), -1);
	assert.deepEqual([...small], [0xee, 0xee, 0xee, 0xee, 0xee]);
	assert.equal(hal.utf8EncodeInto("ab", small, 4), -1);
	assert.equal(hal.utf8Decode(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41), 0, 4), "\ufeffA");
	for (const bad of [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xff]])
		assert.throws(() => hal.utf8Decode(Uint8Array.from(bad), 0, bad.length), TypeError, bad.join(","));
});

test("SHA-1, base64 and random bytes", () => {
	const hal = createModdableHal();
	const abc = new TextEncoder().encode("abc");
	assert.equal(Buffer.from(hal.sha1(abc)).toString("hex"), "a9993e364706816aba3e25717850c26c9cd0d89d");
	// RFC 6455 §1.3's example handshake key and accept value.
	const accept = hal.sha1(new TextEncoder().encode("dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
	assert.equal(hal.base64Encode(accept), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert.deepEqual(hal.base64Decode("AQID"), Uint8Array.of(1, 2, 3));
	assert.throws(() => hal.base64Decode("A*=="), TypeError);
	const into = new Uint8Array(40).fill(0xee);
	hal.randomBytes(into, 8, 24);
	assert.deepEqual([...into.subarray(0, 8), ...into.subarray(32)], new Array(16).fill(0xee));
	assert.ok(new Set(into.subarray(8, 32)).size > 4, "random bytes vary");
});

test("store: Preference in domain twx, strings only, NVS name limits, no value in errors", () => {
	const hal = createModdableHal();
	hal.store.set("appKey", "s3cr3t-key");
	assert.equal(runtime.preferences.get("twx/appKey"), "s3cr3t-key");
	assert.equal(hal.store.get("appKey"), "s3cr3t-key");
	runtime.preferences.set("twx/count", 3);
	assert.equal(hal.store.get("count"), undefined, "a non-string value is not returned as a string");
	hal.store.delete("appKey");
	assert.equal(hal.store.get("appKey"), undefined);
	assert.throws(() => hal.store.set("sixteen-chars-ky", "v"), RangeError);
	assert.throws(() => hal.store.get(""), RangeError);
	assert.throws(() => createModdableHal({ storeDomain: "a-domain-too-long" }), RangeError);
	runtime.preferenceSetThrows = true;
	assert.throws(() => hal.store.set("appKey", "s3cr3t-key"), (error: unknown) => {
		assert.match((error as Error).message, /cannot save "appKey"/);
		assert.doesNotMatch((error as Error).message, /s3cr3t/);
		return true;
	});
});

test("openFlash: none unless given (the flash module exists only on esp, esp32, nrf52); openPartition: the flash module's partition, its first byteLength bytes, reads copied out, writes and erases through", () => {
	assert.equal(createModdableHal().openFlash, undefined);
	const hal = createModdableHal({ openFlash: openPartition });
	runtime.partitions.set("twx", new Uint8Array(65536).fill(0xff));
	assert.throws(() => hal.openFlash!("nvs2", 8192), /partition not found/);
	assert.throws(() => hal.openFlash!("twx", 131072), /RangeError: flash: partition twx has 65536 bytes, not 131072|partition twx has 65536 bytes/);
	assert.throws(() => hal.openFlash!("twx", 5000), /not a whole number of 4096-byte sectors/);
	const flash = hal.openFlash!("twx", 32768);
	assert.deepEqual([flash.byteLength, flash.sectorSize], [32768, 4096]);
	flash.write(4095, Uint8Array.of(9, 1, 2, 3, 9), 1, 3);
	const into = new Uint8Array(6);
	flash.read(4094, into, 1, 5);
	assert.deepEqual([...into], [0, 0xff, 1, 2, 3, 0xff]);
	flash.erase(1);
	flash.read(4094, into, 1, 5);
	assert.deepEqual([...into], [0, 0xff, 1, 0xff, 0xff, 0xff], "sector 1 starts at 4096: byte 4095 is sector 0's");
});

test("log: one trace line per call at or above the level", () => {
	const hal = createModdableHal({ logLevel: "warn" });
	hal.log("info", "dropped");
	hal.log("warn", "kept");
	hal.log("error", "also kept");
	assert.deepEqual(traced, ["warn kept\n", "error also kept\n"]);
	assert.deepEqual((["trace", "debug", "info", "warn", "error"] as const).map((level) => hal.logEnabled(level)), [false, false, false, true, true], "logEnabled says which lines reach trace");
});

test("options are checked: a read buffer of no size or an unknown log level is refused", () => {
	assert.throws(() => createModdableHal({ rxBufferSize: 0 }), RangeError);
	assert.throws(() => createModdableHal({ logLevel: "verbose" as LogLevel }), RangeError);
});
