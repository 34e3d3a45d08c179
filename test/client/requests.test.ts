// Platform requests read in place (head, names as bytes, params walked in the received bytes): the
// C SDK's answers byte for byte, every error code, malformed and lying bytes, and a differential fuzz
// against the codec's full decode. The client keeps serving through all of it.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { bigString, createSteamSensorThing } from "../../src/apps/steamsensor/index";
import { EdgeClient } from "../../src/client/index";
import { Characteristic, chunkCount, Code, codeName, decodeMessage, encodeMessageToBytes, Reassembler } from "../../src/protocol";
import type { ChunkMessage, InfoTable, ResponseMessage } from "../../src/protocol/model";
import { Thing } from "../../src/thing/index";
import { bytes, edgeFrame, platformFrame } from "../thing/capture";
import { FakeHal, FakeTransport, hex, request } from "./fakes";

function harness() {
	const hal = new FakeHal();
	const transports: FakeTransport[] = [];
	const steam = createSteamSensorThing("SteamSensor", { now: () => hal.now(), setLogging: () => {}, note: () => {} });
	const boiler = new Thing({
		name: "Boiler7",
		properties: [{ name: "Count", baseType: "INTEGER" }, { name: "Where", baseType: "LOCATION" }, { name: "Any", baseType: "VARIANT" }],
		services: [
			{ name: "Boom", handler: () => { throw new Error("sensor on fire"); } },
			{ name: "Later", output: "STRING", handler: async () => "done" },
		],
	});
	const client = new EdgeClient(hal, {
		host: "localhost", port: 8080, tls: false, appKey: () => "key", things: [steam, boiler], autoPush: false,
		transport: (_hal, options) => {
			const t = new FakeTransport(options);
			transports.push(t);
			return t;
		},
	});
	client.start();
	const t = transports[0];
	t.accept();
	t.respond(t.last()); // AUTH, session 0xbeef
	t.respond(t.last()); // BIND
	return { hal, client, steam, boiler, t };
}

type Harness = ReturnType<typeof harness>;

/** Delivers `message` and returns the one response the client sent for it. */
function ask(h: Harness, message: Uint8Array): ResponseMessage {
	const before = h.t.frames.length;
	h.t.deliverBytes(message);
	const sent = h.t.frames.slice(before).map((f) => decodeMessage(f)).filter((m) => m.kind === "response") as ResponseMessage[];
	assert.equal(sent.length, 1, "exactly one answer");
	return sent[0];
}

const table = (name: string, type: string, value: unknown): InfoTable => ({
	fields: [{ name, description: "", baseType: type as never, aspects: [] }],
	rows: [[{ type, value } as never]],
});

test("the captured GET, PUT, POST are answered byte for byte as the C SDK did (reqIds 1002, 1003, 1004)", () => {
	const h = harness();
	h.steam.set("Temperature", 423);
	h.t.deliverBytes(bytes(platformFrame("GET property Temperature")));
	assert.equal(hex(h.t.frames[h.t.frames.length - 1]), edgeFrame(1002));
	h.t.deliverBytes(bytes(platformFrame("PUT property TemperatureLimit")));
	assert.equal(hex(h.t.frames[h.t.frames.length - 1]), edgeFrame(1003));
	assert.equal(h.steam.get("TemperatureLimit"), 42.5);
	h.t.deliverBytes(bytes(platformFrame("POST service AddNumbers")));
	assert.equal(hex(h.t.frames[h.t.frames.length - 1]), edgeFrame(1004));
	assert.equal(h.client.stats.decodeErrors, 0);
});

test("GET of a property never set answers its type with a NOTHING cell; PUTs of INTEGER, LOCATION, VARIANT reach the property", () => {
	const h = harness();
	const get = (name: string) => ask(h, encodeMessageToBytes(request(Code.GET, "Boiler7", Characteristic.PROPERTIES, name, null)));
	const empty = get("Count");
	assert.deepEqual(empty.content, { fields: [{ name: "Count", description: "", baseType: "INTEGER", aspects: [] }], rows: [[{ type: "NOTHING", value: null }]] });
	const put = (name: string, params: InfoTable) => ask(h, encodeMessageToBytes(request(Code.PUT, "Boiler7", Characteristic.PROPERTIES, name, params))).code;
	assert.equal(put("Count", table("Count", "INTEGER", -7)), Code.SUCCESS);
	assert.equal(put("Count", table("Count", "NUMBER", 12)), Code.SUCCESS, "numbers mix");
	assert.equal(put("Count", table("Count", "NUMBER", 2.5)), Code.BAD_REQUEST, "2.5 is no INTEGER");
	assert.equal(h.boiler.get("Count"), 12);
	const here = { longitude: -75.5, latitude: 40.25, elevation: 12 };
	assert.equal(put("Where", table("Where", "LOCATION", here)), Code.SUCCESS);
	assert.deepEqual(h.boiler.get("Where"), here);
	assert.equal(put("Any", table("Any", "STRING", "x")), Code.SUCCESS);
	assert.deepEqual(h.boiler.get("Any"), { type: "STRING", value: "x" });
	assert.deepEqual(get("Where").content!.rows, [[{ type: "LOCATION", value: here }]]);
	assert.deepEqual(get("Any").content!.rows, [[{ type: "VARIANT", value: { type: "STRING", value: "x" } }]]);
});

test("every error code with its reason, for any thing; the client keeps serving", async () => {
	const h = harness();
	const cases: Array<[string, Uint8Array, number, RegExp]> = [
		["unknown thing", encodeMessageToBytes(request(Code.GET, "Nobody", Characteristic.PROPERTIES, "x", null)), Code.NOT_FOUND, /^no thing Nobody$/],
		["not a THING entity", encodeMessageToBytes({ ...request(Code.GET, "SteamSensor", Characteristic.PROPERTIES, "Temperature", null), entityType: 0x0b }), Code.NOT_FOUND, /no thing SteamSensor/],
		["unknown property (GET)", encodeMessageToBytes(request(Code.GET, "SteamSensor", Characteristic.PROPERTIES, "Nope", null)), Code.NOT_FOUND, /^no property Nope$/],
		["a property of the other thing", encodeMessageToBytes(request(Code.GET, "Boiler7", Characteristic.PROPERTIES, "Temperature", null)), Code.NOT_FOUND, /no property Temperature/],
		["unknown property (PUT)", encodeMessageToBytes(request(Code.PUT, "SteamSensor", Characteristic.PROPERTIES, "Nope", table("Nope", "NUMBER", 1))), Code.NOT_FOUND, /no property Nope/],
		["read-only", encodeMessageToBytes(request(Code.PUT, "SteamSensor", Characteristic.PROPERTIES, "Temperature", table("Temperature", "NUMBER", 1))), Code.FORBIDDEN, /^property Temperature is read-only$/],
		["wrong type", encodeMessageToBytes(request(Code.PUT, "SteamSensor", Characteristic.PROPERTIES, "TemperatureLimit", table("TemperatureLimit", "STRING", "hot"))), Code.BAD_REQUEST, /TemperatureLimit: expected NUMBER, got STRING/],
		["no params", encodeMessageToBytes(request(Code.PUT, "SteamSensor", Characteristic.PROPERTIES, "TemperatureLimit", null)), Code.BAD_REQUEST, /^no value for TemperatureLimit$/],
		["value in another column", encodeMessageToBytes(request(Code.PUT, "SteamSensor", Characteristic.PROPERTIES, "TemperatureLimit", table("Other", "NUMBER", 1))), Code.BAD_REQUEST, /no value for TemperatureLimit/],
		["a NOTHING value", encodeMessageToBytes(request(Code.PUT, "SteamSensor", Characteristic.PROPERTIES, "TemperatureLimit", table("TemperatureLimit", "NOTHING", null))), Code.BAD_REQUEST, /no value/],
		["unknown service", encodeMessageToBytes(request(Code.POST, "SteamSensor", Characteristic.SERVICES, "Nope", null)), Code.NOT_FOUND, /^no service Nope$/],
		["bad input type", encodeMessageToBytes(request(Code.POST, "SteamSensor", Characteristic.SERVICES, "AddNumbers", table("a", "STRING", "one"))), Code.BAD_REQUEST, /parameter a: expected NUMBER, got STRING/],
		["missing inputs (the handler's RequestError)", encodeMessageToBytes(request(Code.POST, "SteamSensor", Characteristic.SERVICES, "AddNumbers", null)), Code.BAD_REQUEST, /AddNumbers needs/],
		["handler failure", encodeMessageToBytes(request(Code.POST, "Boiler7", Characteristic.SERVICES, "Boom", null)), Code.INTERNAL_SERVER_ERROR, /^sensor on fire$/],
		["POST on a property", encodeMessageToBytes(request(Code.POST, "SteamSensor", Characteristic.PROPERTIES, "TemperatureLimit", null)), Code.METHOD_NOT_ALLOWED, /not allowed/],
		["GET on a service", encodeMessageToBytes(request(Code.GET, "SteamSensor", Characteristic.SERVICES, "AddNumbers", null)), Code.METHOD_NOT_ALLOWED, /not allowed/],
		["DEL", encodeMessageToBytes(request(Code.DEL, "SteamSensor", Characteristic.PROPERTIES, "TemperatureLimit", null)), Code.METHOD_NOT_ALLOWED, /not allowed/],
		["an event", encodeMessageToBytes(request(Code.POST, "SteamSensor", Characteristic.EVENTS, "SteamSensorFault", null)), Code.METHOD_NOT_ALLOWED, /not allowed/],
		["unknown characteristic", encodeMessageToBytes(request(Code.POST, "SteamSensor", 9, "x", null)), Code.BAD_REQUEST, /unknown characteristic type 9/],
	];
	let id = 5000;
	for (const [what, message, code, reason] of cases) {
		message[5] = ++id & 0xff; // requestId low byte: each answer echoes its own
		const answer = ask(h, message);
		assert.equal(codeName(answer.code), codeName(code), what);
		assert.match(answer.reason ?? "", reason, what);
		assert.equal(answer.requestId & 0xff, id & 0xff, what);
		assert.equal(answer.sessionId, 0xbeef, what);
	}
	const before = h.t.frames.length;
	h.t.deliverBytes(encodeMessageToBytes(request(Code.POST, "Boiler7", Characteristic.SERVICES, "Later", null, 6001)));
	await new Promise((resolve) => setImmediate(resolve));
	const later = decodeMessage(h.t.frames[before]) as ResponseMessage;
	assert.deepEqual([later.requestId, later.code, later.content!.rows], [6001, Code.SUCCESS, [[{ type: "STRING", value: "done" }]]]);
	assert.equal(h.client.stats.decodeErrors, 0, "all well-formed");
	assert.equal(h.steam.get("TemperatureLimit"), 320, "no refused write changed it");
	assert.equal(ask(h, bytes(platformFrame("PUT property TemperatureLimit"))).code, Code.SUCCESS);
	assert.equal(h.client.state, "connected");
});

test("lying lengths, truncations and trailing bytes are BAD_REQUEST, counted, and change nothing; the client keeps serving", () => {
	const h = harness();
	const put = bytes(platformFrame("PUT property TemperatureLimit"));
	// 01 02 <id> <endpoint> <session> 00 | 0a 0b "SteamSensor" | 01 10 "TemperatureLimit" | 00 | 05 01 10 "TemperatureLimit" 00 01 0000 00 | 01 0001 01 <f64> | 00
	const fieldName = put.indexOf(0x10, 30); // the field's name length
	assert.equal(put[fieldName - 1], 0x01, "field marker before the name");
	const mutations: Array<[string, (b: Uint8Array) => Uint8Array]> = [
		["entity name length over the message", (b) => { b[16] = 0x7f; return b; }],
		["characteristic name length over the message", (b) => { b[29] = 0x7f; return b; }],
		["a header count with nothing behind it", (b) => { b[46] = 3; return b; }],
		["params type neither INFOTABLE nor NOTHING", (b) => { b[47] = 0x07; return b; }],
		["field name length over the message", (b) => { b[fieldName] = 0x7f; return b; }],
		["field name in the 4-byte form, 2^31 - 1 long", (b) => Uint8Array.from([...b.subarray(0, fieldName), 0xff, 0xff, 0xff, 0xff, ...b.subarray(fieldName + 1)])],
		["a field marker of 2", (b) => { b[fieldName - 1] = 2; return b; }],
		["an unknown field type", (b) => { b[fieldName + 18] = 99; return b; }],
		["a row claiming 2 cells", (b) => { b[b.length - 11] = 2; return b; }],
		["a cell of an unknown type", (b) => { b[b.length - 10] = 99; return b; }],
		["a TIMESPAN cell", (b) => { b[b.length - 10] = 4; return b; }],
		["trailing bytes", (b) => Uint8Array.from([...b, 0, 0])],
	];
	for (let cut = 16; cut < put.length; cut++) mutations.push([`cut at ${cut}`, (b) => b.slice(0, cut)]);
	let errors = 0;
	for (const [what, mutate] of mutations) {
		const answer = ask(h, mutate(put.slice()));
		assert.equal(codeName(answer.code), "BAD_REQUEST", what);
		assert.equal(answer.requestId, 1003, what);
		assert.equal(h.client.stats.decodeErrors, ++errors, what + " counted");
	}
	assert.equal(h.steam.get("TemperatureLimit"), 320, "nothing was written");
	assert.equal(ask(h, put).code, Code.SUCCESS, "the true PUT still works");
	assert.equal(h.steam.get("TemperatureLimit"), 42.5);
	assert.equal(h.client.state, "connected");
});

test("differential fuzz: a corrupted request gets one answer with its id; a decode error exactly when the codec's decoder fails (fast-check)", () => {
	const h = harness();
	h.steam.set("Temperature", 423);
	const valid = [
		bytes(platformFrame("GET property Temperature")),
		bytes(platformFrame("PUT property TemperatureLimit")),
		bytes(platformFrame("POST service AddNumbers")),
		encodeMessageToBytes(request(Code.POST, "SteamSensor", Characteristic.SERVICES, "GetSteamSensorReadings", {
			fields: [{ name: "x", description: "d", baseType: "INFOTABLE", aspects: [{ name: "a", value: { type: "STRING", value: "v" } }] }],
			rows: [[{ type: "INFOTABLE", value: { fields: [], rows: [[{ type: "VARIANT", value: { type: "LONG", value: 5 } }]] } }]],
		}, 7001)),
	];
	const corruption = fc.record({
		which: fc.integer({ min: 0, max: valid.length - 1 }),
		edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
		cut: fc.option(fc.nat(), { nil: undefined }),
	});
	fc.assert(
		fc.property(corruption, ({ which, edits, cut }) => {
			const message = valid[which].slice();
			for (const [at, value] of edits) message[15 + (at % (message.length - 15))] = value; // the header (ids, marker) stays
			const sent = cut === undefined ? message : message.slice(0, 15 + (cut % (message.length - 14)));
			let codecError: Error | null = null;
			try {
				decodeMessage(sent);
			} catch (error) {
				codecError = error as Error;
			}
			const errors = h.client.stats.decodeErrors;
			const answer = ask(h, sent);
			assert.equal(answer.requestId, (sent[2] << 24 | sent[3] << 16 | sent[4] << 8 | sent[5]) >>> 0);
			const counted = h.client.stats.decodeErrors - errors;
			// Strings and numbers the device does not read are skipped by length, as the C SDK does: no UTF-8 or int64 range checks there.
			if (codecError === null) assert.equal(counted, 0, "decoded by the codec, so readable in place");
			else if (!/UTF-8|safe-integer/.test(codecError.message)) {
				assert.equal(counted, 1, "malformed for the codec: " + codecError.message);
				assert.equal(answer.code, Code.BAD_REQUEST);
			}
		}),
		{ numRuns: 400 },
	);
	assert.equal(h.client.state, "connected");
	assert.equal(ask(h, valid[0]).code, Code.SUCCESS);
});

test("the buffers: one TX buffer (8 + chunk) and an RX buffer of one chunk, lent to every connection; the ws limit is the chunk", () => {
	const h = harness();
	const first = h.t.options;
	assert.equal(first.txBuffer.length, 8 + 8192);
	assert.equal(first.rxBuffer.length, 8192);
	assert.deepEqual([first.maxFrameSize, first.maxMessageSize], [8192, 8192]);
	assert.equal(first.txBuffer.buffer, first.rxBuffer.buffer, "regions of the client's one buffer");
	const small: FakeTransport[] = [];
	const client = new EdgeClient(h.hal, {
		host: "h", port: 1, tls: false, appKey: () => "k", things: [new Thing({ name: "Y" })], chunkSize: 300, backoffBaseMs: 10, backoffCapMs: 20,
		transport: (_hal, o) => {
			const t = new FakeTransport(o);
			small.push(t);
			return t;
		},
	});
	client.start();
	small[0].drop();
	h.hal.advance(100);
	assert.equal(small.length, 2);
	assert.equal(small[1].options.txBuffer, small[0].options.txBuffer, "the same TX buffer for the next connection");
	assert.equal(small[1].options.rxBuffer, small[0].options.rxBuffer);
	assert.equal(small[0].options.rxBuffer.length, 1024, "never under 1024: the upgrade response goes there");
});

test("a big answer while the TX buffer is busy waits whole and leaves in chunks, in order, before the next push", () => {
	const h = harness();
	h.t.deliver(request(Code.POST, "SteamSensor", Characteristic.SERVICES, "NotifyPropertyUpdate", null, 1001));
	const sync = h.t.sent.filter((m) => m.kind === "request").pop()!;
	h.t.respond(sync);
	assert.ok(h.client.isSynchronized("SteamSensor"));
	h.t.full = true;
	h.t.deliver(request(Code.POST, "SteamSensor", Characteristic.SERVICES, "GetBigString", null, 8001));
	h.steam.set("Temperature", 401);
	h.client.push();
	const before = h.t.frames.length;
	h.t.full = false;
	h.t.onWritable!();
	const frames = h.t.frames.slice(before);
	const chunks = frames.filter((f) => f[14] === 1);
	assert.ok(chunks.length >= 2 && frames.indexOf(chunks[chunks.length - 1]) === chunks.length - 1, "the chunks first, together");
	assert.ok(frames.every((f) => f.length <= 8192));
	const r = new Reassembler();
	let whole: Uint8Array | null = null;
	for (const c of chunks) whole = r.add(decodeMessage(c) as ChunkMessage, 0) ?? whole;
	const answer = decodeMessage(whole!) as ResponseMessage;
	assert.deepEqual([answer.requestId, answer.code, (answer.content!.rows[0][0].value as string).length], [8001, Code.SUCCESS, bigString().length]);
	assert.equal(chunkCount(whole!, whole!.length, 8192), chunks.length);
	const push = decodeMessage(frames[frames.length - 1]);
	assert.equal(push.kind === "request" && push.characteristicName, "UpdateSubscribedPropertyValues", "then the push");
	const rows = ((push as { params: InfoTable }).params.rows[0][0].value as InfoTable).rows;
	assert.deepEqual(rows.map((r) => [r[0].value, (r[1].value as { value: unknown }).value]), [["Temperature", 401]], "its row intact after the chunks went through the TX buffer");
});
