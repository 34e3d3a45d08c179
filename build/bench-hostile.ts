/*
 * What a hostile peer costs the client on the host (issue 12's defects 1 and 2; counts and memory from
 * one run, never asserted as times in tests). The client runs with its defaults (and `reassembly`) on an in-process fake
 * transport (test/client/fakes.ts) after AUTH and BIND, with a manual clock that does not move:
 *  - multipart: N first chunks ("1 of 2" of a 35-byte POST, 48-byte chunk size: the smallest sets,
 *    the most of them within the old byte bound) with ever new request ids, never a second; against
 *    N plain (single-part) requests of the same content;
 *  - not reading: the peer stops reading (every send refused) and sends M GetBigString requests.
 * For each: wall time, heap + array buffers retained after a full GC (the hostile state still held),
 * and what the client did (sets held, requests answered before it closed).
 * Run: npm run bench:hostile [-- --quick]
 */
import { createSteamSensorThing } from "../src/apps/steamsensor/index";
import { EdgeClient } from "../src/client/index";
import { Characteristic, chunkCount, Code, encodeChunk, encodeMessageToBytes, Reassembler } from "../src/protocol";
import type { RequestMessage } from "../src/protocol/model";
import { FakeHal, FakeTransport } from "../test/client/fakes";

const quick = process.argv.includes("--quick");
const CHUNKS = quick ? 4000 : 40000;
const ASKS = quick ? 600 : 6000;
const CHUNK_SIZE = 48;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc (npm run bench:hostile does)");

function retained(): number {
	gc!();
	gc!();
	const m = process.memoryUsage();
	return m.heapUsed + m.arrayBuffers;
}

function connected() {
	const hal = new FakeHal();
	let t: FakeTransport | null = null;
	const errors: string[] = [];
	const thing = createSteamSensorThing("SteamSensor", { now: () => hal.now(), setLogging() {}, note() {} });
	const client = new EdgeClient(hal, {
		host: "localhost", port: 8080, tls: false, appKey: () => "key", things: [thing], autoPush: false, reassembly: Reassembler,
		transport: (_hal, options) => (t = new FakeTransport(options)),
	});
	client.onError = (e) => errors.push(e.message);
	client.start();
	const transport = t as unknown as FakeTransport;
	transport.accept();
	transport.respond(transport.last());
	transport.respond(transport.last());
	return { hal, client, t: transport, errors };
}

function post(name: string): Uint8Array {
	const msg: RequestMessage = {
		kind: "request", version: 1, code: Code.POST, requestId: 1, endpointId: 0, sessionId: 0xbeef, entityType: 0x0a, entityName: "SteamSensor",
		characteristicType: Characteristic.SERVICES, characteristicName: name, headers: [], params: null,
	};
	return encodeMessageToBytes(msg);
}

function setId(bytes: Uint8Array, id: number): void {
	bytes[2] = id >>> 24;
	bytes[3] = (id >>> 16) & 0xff;
	bytes[4] = (id >>> 8) & 0xff;
	bytes[5] = id & 0xff;
}

const mb = (bytes: number) => (bytes / 1048576).toFixed(2) + " MB";

function flood(multipart: boolean): void {
	const h = connected();
	const whole = post("Nope");
	let bytes = whole;
	if (multipart) {
		const chunk = new Uint8Array(CHUNK_SIZE);
		if (chunkCount(whole, whole.length, CHUNK_SIZE) !== 2) throw new Error("the message should make two chunks");
		bytes = chunk.slice(0, encodeChunk(whole, whole.length, 1, CHUNK_SIZE, chunk, 0));
	}
	const before = retained();
	const started = process.hrtime.bigint();
	for (let i = 0; i < CHUNKS; i++) {
		setId(bytes, 100000 + i);
		h.t.deliverBytes(bytes);
	}
	const ms = Number(process.hrtime.bigint() - started) / 1e6;
	const sent = h.t.frames.length;
	h.t.frames.length = 0; // the fake's record of the answers, not the client's memory
	const grown = retained() - before;
	const what = multipart ? `${CHUNKS} first chunks (1 of 2, ${bytes.length} B) with new request ids` : `${CHUNKS} plain requests of the same content (${bytes.length} B)`;
	console.log(`${what}: ${ms.toFixed(0)} ms, ${mb(grown)} retained (${(grown / CHUNKS).toFixed(0)} B each), state ${h.client.state}, messages sent ${sent}`);
}

function notReading(): void {
	const h = connected();
	h.t.full = true;
	const ask = post("GetBigString");
	const before = retained();
	const started = process.hrtime.bigint();
	let closedAfter = -1;
	for (let i = 0; i < ASKS; i++) {
		setId(ask, 200000 + i);
		h.t.deliverBytes(ask);
		if (closedAfter < 0 && h.t.closedWith !== null) closedAfter = i + 1;
	}
	const ms = Number(process.hrtime.bigint() - started) / 1e6;
	const grown = retained() - before;
	console.log(`${ASKS} GetBigString requests, the peer reading nothing: ${ms.toFixed(0)} ms, ${mb(grown)} retained, ` +
		(closedAfter < 0 ? "connection still open" : `connection closed (${h.t.closedWith}) after request ${closedAfter}; ${h.client.stats.lateReplies} later ones not answered`) +
		(h.errors.length ? `; reported: ${h.errors[0]}` : ""));
}

console.log(`node ${process.version}, client defaults (chunkSize 8192, maxMessageSize 1 MiB)`);
flood(false);
flood(true);
notReading();
