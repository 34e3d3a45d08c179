/*
 * Every class of malformed or unwelcome input gets its answer (an error status, or a close with a
 * reason when nothing else is possible), is counted, and never stops the emulator from serving a
 * healthy edge connected in parallel.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { Code, encodeMessageToBytes } from "../../src/protocol";
import type { Message } from "../../src/protocol/model";
import { startEmulator, type Emulator } from "../../emulator";
import { hex, ScriptedEdge, until } from "./scripted-edge";

const KEY = "bad-input-test-key-7f3a";
const lines: string[] = [];
let emulator: Emulator;
let healthy: ScriptedEdge;
let tick = 1;

before(async () => {
	emulator = await startEmulator({
		appKeys: [KEY], authTimeoutMs: 1000, requestTimeoutMs: 1000, maxMessageSize: 64 * 1024,
		log: (level, message) => lines.push(`${level} ${message}`), logLevel: "debug",
	});
	healthy = await ScriptedEdge.connect(emulator.url);
	assert.equal((await healthy.auth(KEY)).code, Code.SUCCESS);
	healthy.responder = () => ({ code: Code.SUCCESS });
	assert.equal((await healthy.bind(["Healthy"])).code, Code.SUCCESS);
});

after(async () => {
	await healthy.close();
	await emulator.close();
	assert.ok(lines.length > 0, "the emulator logged what it refused");
	assert.ok(!lines.some((line) => line.includes(KEY)), "the application key never reaches the log");
});

/** The parallel healthy connection still gets its push stored. */
async function stillServing(): Promise<void> {
	const value = tick++;
	const reply = await healthy.push("Healthy", [["Counter", { type: "NUMBER", value }, Date.now()]]);
	assert.equal(reply.code, Code.SUCCESS);
	assert.equal(emulator.store.get("Healthy")?.properties.get("Counter")?.current?.value.value, value);
}

async function authenticated(): Promise<ScriptedEdge> {
	const edge = await ScriptedEdge.connect(emulator.url);
	assert.equal((await edge.auth(KEY)).code, Code.SUCCESS);
	return edge;
}

/** A request header (15 bytes) with `code`, `requestId` and the edge's session, then `body` hex. */
function frame(code: number, requestId: number, sessionId: number, body: string): Uint8Array {
	const header = Buffer.alloc(15);
	header[0] = 1;
	header[1] = code;
	header.writeUInt32BE(requestId, 2);
	header.writeUInt32BE(sessionId, 10);
	return new Uint8Array(Buffer.concat([header, Buffer.from(body.replace(/ /g, ""), "hex")]));
}

const name = (text: string) => Buffer.from([text.length]).toString("hex") + Buffer.from(text).toString("hex");

test("a message shorter than the header closes with a reason (1002)", async () => {
	const edge = await authenticated();
	edge.sendRaw(hex("0103000000"));
	const closed = await edge.closed;
	assert.equal(closed.code, 1002);
	assert.match(closed.reason, /15-byte/);
	assert.equal(emulator.counters().unreadableHeaders, 1);
	await stillServing();
});

test("an unknown message code is answered BAD_REQUEST and the connection stays usable", async () => {
	const edge = await authenticated();
	edge.sendRaw(frame(0x30, 77, edge.sessionId, "00ff"));
	const reply = (await edge.responseTo(77)).message;
	assert.equal(reply.code, Code.BAD_REQUEST);
	assert.match((reply as { reason: string }).reason, /unknown message code 0x30/);
	assert.equal((await edge.bind(["AfterUnknown"])).code, Code.SUCCESS);
	assert.equal(emulator.counters().unknownCodes, 1);
	await edge.close();
	await stillServing();
});

test("a length field that lies is answered BAD_REQUEST", async () => {
	const edge = await authenticated();
	await edge.bind(["Liar"]);
	// entity name claims 127 bytes, 4 follow
	edge.sendRaw(frame(Code.POST, 80, edge.sessionId, "0a 7f 4c696172"));
	assert.equal((await edge.responseTo(80)).message.code, Code.BAD_REQUEST);
	// the 4-byte string form claiming a gigabyte
	edge.sendRaw(frame(Code.GET, 81, edge.sessionId, `0a ${name("Liar")} 01 c0000000 41`));
	assert.equal((await edge.responseTo(81)).message.code, Code.BAD_REQUEST);
	await edge.close();
	await stillServing();
});

test("a bad InfoTable is answered BAD_REQUEST, a well-formed one of the wrong shape too", async () => {
	const edge = await authenticated();
	await edge.bind(["Shape"]);
	const service = name("UpdateSubscribedPropertyValues");
	// field "values" with base type 0x63, which does not exist
	edge.sendRaw(frame(Code.POST, 90, edge.sessionId, `0a ${name("Shape")} 02 ${service} 00 05 01 ${name("values")} 00 63 0000 00 00`));
	const bad = (await edge.responseTo(90)).message as { code: number; reason: string };
	assert.equal(bad.code, Code.BAD_REQUEST);
	// decodes, but "values" is a STRING instead of the VTQ table
	edge.sendRaw(frame(Code.POST, 91, edge.sessionId, `0a ${name("Shape")} 02 ${service} 00 05 01 ${name("values")} 00 00 0000 00 01 0001 00 ${name("oops")} 00`));
	const wrong = (await edge.responseTo(91)).message as { code: number; reason: string };
	assert.equal(wrong.code, Code.BAD_REQUEST);
	assert.match(wrong.reason, /values cell is STRING/);
	assert.ok(emulator.counters().badParams >= 1);
	await edge.close();
	await stillServing();
});

test("anything before a successful AUTH closes the connection with a reason", async () => {
	const edge = await ScriptedEdge.connect(emulator.url);
	edge.send({ kind: "bind", version: 1, code: Code.BIND, requestId: 1, endpointId: 0, sessionId: 0, gateway: null, names: ["Sneaky"] });
	const closed = await edge.closed;
	assert.equal(closed.code, 1008);
	assert.match(closed.reason, /before AUTH/);
	assert.equal(emulator.store.get("Sneaky"), undefined);
	await stillServing();
});

test("a wrong application key gets UNAUTHORIZED, then a close", async () => {
	const edge = await ScriptedEdge.connect(emulator.url);
	const reply = await edge.auth("not-the-key");
	assert.equal(reply.code, Code.UNAUTHORIZED);
	const closed = await edge.closed;
	assert.equal(closed.code, 1008);
	assert.match(closed.reason, /authentication failed/);
	assert.ok(emulator.counters().authFailures >= 1);
	await stillServing();
});

test("no AUTH within authTimeoutMs closes the connection", async () => {
	const edge = await ScriptedEdge.connect(emulator.url);
	const closed = await edge.closed;
	assert.equal(closed.code, 1008);
	assert.match(closed.reason, /no AUTH within 1000 ms/);
	await stillServing();
});

test("a text frame closes with 1003", async () => {
	const edge = await authenticated();
	edge.sendRaw("hello");
	const closed = await edge.closed;
	assert.equal(closed.code, 1003);
	assert.equal(emulator.counters().textFrames, 1);
	await stillServing();
});

test("a WebSocket message over maxMessageSize closes with 1009", async () => {
	const edge = await authenticated();
	edge.sendRaw(new Uint8Array(70 * 1024).fill(1));
	const closed = await edge.closed;
	assert.equal(closed.code, 1009);
	assert.equal(emulator.counters().oversizeFrames, 1);
	await stillServing();
});

test("a multipart set declaring more than maxMessageSize is answered ENTITY_TOO_LARGE once", async () => {
	const edge = await authenticated();
	const head = Buffer.from(frame(Code.POST, 120, edge.sessionId, "").slice(0, 14));
	for (const id of [1, 2]) {
		edge.sendRaw(new Uint8Array(Buffer.concat([head, Buffer.from(`01 ${id.toString(16).padStart(4, "0")} 0064 2000 0a ${name("Big")} 0000`.replace(/ /g, ""), "hex")])));
	}
	const reply = (await edge.responseTo(120)).message;
	assert.equal(reply.code, Code.ENTITY_TOO_LARGE);
	await new Promise((resolve) => setTimeout(resolve, 50));
	assert.equal(edge.received.filter((r) => r.message.requestId === 120).length, 0, "answered once");
	assert.equal(emulator.counters().multipartDroppedOversize, 2);
	await edge.close();
	await stillServing();
});

test("the C SDK's split near the chunk limit: truncated first part BAD_REQUEST, its tail ignored and counted", async () => {
	const edge = await authenticated();
	await edge.bind(["DriverThing"]);
	const big: Message = {
		kind: "request", version: 1, code: Code.POST, requestId: 130, endpointId: 0, sessionId: edge.sessionId,
		entityType: 0x0a, entityName: "DriverThing", characteristicType: 2, characteristicName: "EchoBig", headers: [],
		params: { fields: [{ name: "text", description: "", baseType: "STRING", aspects: [] }], rows: [[{ type: "STRING", value: "x".repeat(8120) }]] },
	};
	const whole = encodeMessageToBytes(big);
	const eff = 8192 - 21 - 13; // the SDK's per-chunk payload for an 11-character entity name (§1.3)
	const first = whole.slice(0, 15 + eff);
	const second = new Uint8Array([...whole.slice(0, 15), ...whole.slice(15 + eff)]);
	edge.sendRaw(first);
	edge.sendRaw(second);
	assert.equal((await edge.responseTo(130)).message.code, Code.BAD_REQUEST);
	assert.equal((await edge.bind(["DriverThing"])).code, Code.SUCCESS, "the connection keeps working");
	assert.equal(edge.received.filter((r) => r.message.requestId === 130).length, 0, "the tail got no answer");
	assert.equal(emulator.counters().splitBugTails, 1);
	await edge.close();
	await stillServing();
});

test("requests for things not bound here: NOT_FOUND for unknown, FORBIDDEN for another edge's", async () => {
	const edge = await authenticated();
	const read = (thing: string) => edge.call({
		kind: "request", version: 1, code: Code.GET, requestId: 0, endpointId: 0, sessionId: 0,
		entityType: 0x0a, entityName: thing, characteristicType: 1, characteristicName: "Counter", headers: [], params: null,
	});
	assert.equal((await read("Nobody")).code, Code.NOT_FOUND);
	assert.equal((await read("Healthy")).code, Code.FORBIDDEN);
	await edge.close();
	await stillServing();
});

test("edge responses: trailing zeros tolerated, unknown ids and malformed bodies counted", async () => {
	healthy.responder = null;
	const read = emulator.edge.get("Healthy", "Counter");
	const request = (await healthy.nextRequest("Counter")).message;
	// the SDK's reason-less NOT_FOUND with 27 trailing zeros (§3.2)
	healthy.sendRaw(new Uint8Array([...frame(Code.NOT_FOUND, request.requestId, healthy.sessionId, "00ff"), ...new Uint8Array(27)]));
	assert.equal((await read).code, Code.NOT_FOUND);
	assert.equal(emulator.counters().trailingBytesTolerated, 1);

	healthy.sendRaw(frame(Code.SUCCESS, 999999, healthy.sessionId, "00ff"));
	const malformed = emulator.edge.get("Healthy", "Counter");
	const second = (await healthy.nextRequest("Counter")).message;
	healthy.sendRaw(frame(Code.SUCCESS, second.requestId, healthy.sessionId, "00 05 01 03"));
	await assert.rejects(malformed, /malformed response/);
	healthy.responder = () => ({ code: Code.SUCCESS });
	await stillServing();
	assert.equal(emulator.counters().unmatchedResponses, 1);
	assert.equal(emulator.counters().malformedResponses, 1);
});

test("bind policy not-found: unknown things get NOT_FOUND, defined ones bind", async (t) => {
	const strict = await startEmulator({ appKeys: [KEY], bindPolicy: "not-found", things: [{ name: "Known", properties: [{ name: "Temperature", baseType: "NUMBER" }] }] });
	t.after(() => strict.close());
	const edge = await ScriptedEdge.connect(strict.url);
	await edge.auth(KEY);
	const rejected = await edge.bind(["Ghost"]);
	assert.equal(rejected.code, Code.NOT_FOUND);
	assert.match(rejected.reason ?? "", /Ghost/);
	assert.equal(strict.store.get("Ghost"), undefined);
	assert.equal((await edge.bind(["Known"])).code, Code.SUCCESS);
	assert.equal(strict.store.get("Known")?.isConnected, true);
	// a defined thing stores bound properties and counts the rest as unbound
	assert.equal((await edge.push("Known", [["Temperature", { type: "NUMBER", value: 21 }, 1], ["Stray", { type: "NUMBER", value: 1 }, 1]])).code, Code.SUCCESS);
	assert.equal(strict.store.get("Known")?.properties.get("Temperature")?.current?.value.value, 21);
	assert.equal(strict.counters().rowsUnbound, 1);
	assert.equal(strict.counters().bindRejected, 1);
	await edge.close();
	await stillServing();
});

test("idle connections are closed; WebSocket pings keep them open and are answered", async (t) => {
	const idle = await startEmulator({ appKeys: [KEY], idleTimeoutMs: 500 });
	t.after(() => idle.close());
	const pinging = await ScriptedEdge.connect(idle.url);
	await pinging.auth(KEY);
	let pongs = 0;
	pinging.ws.on("pong", () => pongs++);
	const timer = setInterval(() => pinging.ws.ping("07:21:58"), 100);
	const silent = await ScriptedEdge.connect(idle.url);
	await silent.auth(KEY);
	const closed = await silent.closed;
	assert.equal(closed.code, 1001);
	assert.match(closed.reason, /idle/);
	clearInterval(timer);
	assert.ok(pongs >= 3, `pings answered (${pongs})`);
	assert.equal(pinging.ws.readyState, pinging.ws.OPEN);
	assert.equal(idle.counters().idleCloses, 1);
	await pinging.close();
	await stillServing();
});

/** A hand-made WebSocket: the upgrade, then whatever bytes the test writes. */
async function rawSocket(): Promise<{ socket: Socket; received: () => Buffer; ended: Promise<void> }> {
	const url = new URL(emulator.url);
	const socket = connect(Number(url.port), url.hostname);
	let data = Buffer.alloc(0);
	socket.on("data", (chunk) => (data = Buffer.concat([data, chunk])));
	const ended = new Promise<void>((resolve) => socket.on("close", () => resolve()));
	socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
	await until(() => data.includes("\r\n\r\n"));
	assert.match(data.toString("latin1"), /^HTTP\/1\.1 101/);
	const header = data.indexOf("\r\n\r\n") + 4;
	return { socket, received: () => data.subarray(header), ended };
}

test("malformed WebSocket frames (unmasked, reserved opcode) close 1002 and are counted", async () => {
	for (const frame of ["820400ff00ff", "8380000000000000"]) {
		const raw = await rawSocket();
		const before = emulator.counters().socketErrors;
		raw.socket.write(Buffer.from(frame, "hex"));
		await raw.ended;
		const close = raw.received();
		assert.equal(close[0], 0x88, `a close frame answers ${frame}`);
		assert.equal(close.readUInt16BE(2), 1002);
		assert.equal(emulator.counters().socketErrors, before + 1);
		await stillServing();
	}
});

test("an upgrade to another path is refused with 404", async () => {
	const url = new URL(emulator.url);
	const socket = connect(Number(url.port), url.hostname);
	let data = "";
	socket.on("data", (chunk) => (data += chunk.toString("latin1")));
	socket.write(`GET /Thingworx/Other HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
	await new Promise((resolve) => socket.on("close", resolve));
	assert.match(data, /^HTTP\/1\.1 404/);
	assert.equal(emulator.counters().upgradesRejected, 1);
	await stillServing();
});
