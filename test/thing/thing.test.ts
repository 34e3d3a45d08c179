import assert from "node:assert/strict";
import { test } from "node:test";
import { createSteamSensorThing, bigString, fixed42 } from "../../src/apps/steamsensor/index";
import { RequestError } from "../../src/client/errors";
import { Characteristic, Code, decodeMessage, encodeMessageToBytes } from "../../src/protocol";
import type { InfoTable, Message, RequestMessage, ResponseMessage } from "../../src/protocol/model";
import type { EntityLink, Reply } from "../../src/client/entity";
import { Thing } from "../../src/thing/index";
import { request } from "../client/fakes";
import { bytes, capturedMetadata, dispatch, edgeFrame, platformFrame } from "./capture";

const hooks = { now: () => 1_700_000_000_000, setLogging: () => {}, note: () => {} };

function steam(): Thing {
	return createSteamSensorThing("SteamSensor", hooks);
}

/** The response the edge would send for `reply` (session 0xbeef, as in the capture). */
function responseHex(req: RequestMessage, reply: Reply): string {
	const msg: ResponseMessage = {
		kind: "response", version: 1, code: reply.code, requestId: req.requestId, endpointId: req.endpointId, sessionId: 0xbeef,
		reason: null, content: reply.content, contentType: 0xff, trailing: 0,
	};
	return Buffer.from(encodeMessageToBytes(msg)).toString("hex");
}

function decodeRequest(hexText: string): RequestMessage {
	const msg = decodeMessage(bytes(hexText)) as Message;
	assert.equal(msg.kind, "request");
	return msg as RequestMessage;
}

function sync(reply: Reply | Promise<Reply>): Reply {
	assert.ok(!(reply instanceof Promise), "expected a synchronous reply");
	return reply as Reply;
}

function numbers(a: unknown, b: unknown): InfoTable {
	return {
		fields: [
			{ name: "a", description: "", baseType: typeof a === "string" ? "STRING" : "NUMBER", aspects: [] },
			{ name: "b", description: "", baseType: "NUMBER", aspects: [] },
		],
		rows: [[typeof a === "string" ? { type: "STRING", value: a } : { type: "NUMBER", value: a as number }, { type: "NUMBER", value: b as number }]],
	};
}

test("GetMetadata is structurally the C SDK's JSON for the SteamSensor (capture reqId 1005)", () => {
	const thing = steam();
	const reply = sync(dispatch(thing, request(Code.POST, "SteamSensor", Characteristic.SERVICES, "GetMetadata", null)));
	assert.equal(reply.code, Code.SUCCESS);
	const table = reply.content!;
	assert.deepEqual(table.fields.map((f) => [f.name, f.baseType]), [["result", "JSON"]]);
	const json = table.rows[0][0];
	assert.equal(json.type, "JSON");
	assert.deepEqual(JSON.parse(json.value as string), capturedMetadata());
});

test("GET Temperature answers byte for byte as the C SDK (capture reqId 1002)", () => {
	const thing = steam();
	thing.set("Temperature", 423);
	const req = decodeRequest(platformFrame("GET property Temperature"));
	assert.equal(responseHex(req, sync(dispatch(thing, req))), edgeFrame(1002));
});

test("PUT TemperatureLimit=42.5 from the capture sets the value and answers SUCCESS (reqId 1003)", () => {
	const thing = steam();
	const req = decodeRequest(platformFrame("PUT property TemperatureLimit"));
	const reply = sync(dispatch(thing, req));
	assert.equal(responseHex(req, reply), edgeFrame(1003));
	assert.equal(thing.get("TemperatureLimit"), 42.5);
});

test("AddNumbers 1.5 + 2 = 3.5, byte for byte (capture reqId 1004)", () => {
	const thing = steam();
	const req = decodeRequest(platformFrame("POST service AddNumbers"));
	assert.equal(responseHex(req, sync(dispatch(thing, req))), edgeFrame(1004));
});

test("GET * is NOT_FOUND as with the C SDK's standard handler (capture reqId 1006)", () => {
	const thing = steam();
	const req = decodeRequest(platformFrame("GET property * (all)"));
	const reply = sync(dispatch(thing, req));
	assert.equal(reply.code, Code.NOT_FOUND);
	assert.equal(responseHex(req, { ...reply, reason: null }), edgeFrame(1006));
});

test("errors: unknown names, read-only writes, bad parameter types, wrong methods", () => {
	const thing = steam();
	const put = (name: string, table: InfoTable | null) => sync(dispatch(thing, request(Code.PUT, "SteamSensor", Characteristic.PROPERTIES, name, table)));
	const limit = (value: unknown, type: "NUMBER" | "STRING"): InfoTable => ({
		fields: [{ name: "TemperatureLimit", description: "", baseType: type, aspects: [] }],
		rows: [[{ type, value } as never]],
	});
	assert.equal(put("NoSuchProperty", limit(1, "NUMBER")).code, Code.NOT_FOUND);
	const ro = put("Temperature", { fields: [{ name: "Temperature", description: "", baseType: "NUMBER", aspects: [] }], rows: [[{ type: "NUMBER", value: 1 }]] });
	assert.equal(ro.code, Code.FORBIDDEN);
	assert.match(ro.reason!, /read-only/);
	const wrong = put("TemperatureLimit", limit("hot", "STRING"));
	assert.equal(wrong.code, Code.BAD_REQUEST);
	assert.equal(thing.get("TemperatureLimit"), 320, "a refused write changes nothing");
	assert.equal(put("TemperatureLimit", null).code, Code.BAD_REQUEST);

	const post = (name: string, table: InfoTable | null) => dispatch(thing, request(Code.POST, "SteamSensor", Characteristic.SERVICES, name, table));
	const bad = sync(post("AddNumbers", numbers("one", 2)));
	assert.equal(bad.code, Code.BAD_REQUEST);
	assert.match(bad.reason!, /parameter a: expected NUMBER, got STRING/);
	assert.equal(sync(post("AddNumbers", null)).code, Code.BAD_REQUEST, "missing inputs: the handler's RequestError code");
	assert.equal(sync(post("NoSuchService", null)).code, Code.NOT_FOUND);
	assert.equal(sync(dispatch(thing, request(Code.POST, "SteamSensor", Characteristic.PROPERTIES, "TemperatureLimit", null))).code, Code.METHOD_NOT_ALLOWED);
	assert.equal(sync(dispatch(thing, request(Code.GET, "SteamSensor", Characteristic.SERVICES, "AddNumbers", null))).code, Code.METHOD_NOT_ALLOWED);
	assert.equal(sync(dispatch(thing, request(Code.POST, "SteamSensor", 9, "x", null))).code, Code.BAD_REQUEST);
});

test("handler failures are INTERNAL_SERVER_ERROR with the reason; async handlers are awaited", async () => {
	const thing = new Thing({
		name: "T",
		services: [
			{ name: "Boom", handler: () => { throw new Error("sensor on fire"); } },
			{ name: "Later", output: "STRING", handler: async () => "done" },
			{ name: "LaterBoom", output: "STRING", handler: async () => { throw new RequestError(Code.PRECONDITION_FAILED, "not armed"); } },
			{ name: "WrongResult", output: "NUMBER", handler: () => "five" },
			{ name: "Count", inputs: [{ name: "n", baseType: "INTEGER" }], output: "INTEGER", handler: (p) => (p.n as number) + 1 },
		],
	});
	const post = (name: string, params: InfoTable | null = null) => dispatch(thing, request(Code.POST, "T", Characteristic.SERVICES, name, params));
	const boom = sync(post("Boom"));
	assert.deepEqual([boom.code, boom.reason], [Code.INTERNAL_SERVER_ERROR, "sensor on fire"]);
	const later = await post("Later");
	assert.equal(later.code, Code.SUCCESS);
	assert.deepEqual(later.content!.rows, [[{ type: "STRING", value: "done" }]]);
	const laterBoom = await post("LaterBoom");
	assert.deepEqual([laterBoom.code, laterBoom.reason], [Code.PRECONDITION_FAILED, "not armed"]);
	assert.equal(sync(post("WrongResult")).code, Code.INTERNAL_SERVER_ERROR);
	const n = (value: number): InfoTable => ({ fields: [{ name: "n", description: "", baseType: "NUMBER", aspects: [] }], rows: [[{ type: "NUMBER", value }]] });
	assert.equal(sync(post("Count", n(2.5))).code, Code.BAD_REQUEST, "2.5 is no INTEGER");
	assert.deepEqual(sync(post("Count", n(2))).content!.rows, [[{ type: "INTEGER", value: 3 }]]);
});

test("GetSteamSensorReadings: the three fixed rows with NOTHING cells and STRING names in a NUMBER column", () => {
	const thing = steam();
	const reply = sync(dispatch(thing, request(Code.POST, "SteamSensor", Characteristic.SERVICES, "GetSteamSensorReadings", null)));
	const table = reply.content!;
	assert.deepEqual(table.fields.map((f) => [f.name, f.baseType]), [
		["ActivationTime", "DATETIME"], ["SensorName", "NUMBER"], ["Temperature", "NUMBER"], ["Pressure", "NUMBER"],
		["FaultStatus", "BOOLEAN"], ["InletValve", "BOOLEAN"], ["TemperatureLimit", "NUMBER"], ["TotalFlow", "INTEGER"],
	]);
	const t = 1_700_000_000_000;
	assert.deepEqual(table.rows, [
		[{ type: "DATETIME", value: t }, { type: "STRING", value: "Sensor Alpha" }, { type: "NUMBER", value: 60 }, { type: "NUMBER", value: 25 }, { type: "BOOLEAN", value: true }, { type: "BOOLEAN", value: true }, { type: "NUMBER", value: 150 }, { type: "NUMBER", value: 77 }],
		[{ type: "DATETIME", value: t }, { type: "STRING", value: "Sensor Beta" }, { type: "NOTHING", value: null }, { type: "NUMBER", value: 35 }, { type: "BOOLEAN", value: false }, { type: "BOOLEAN", value: true }, { type: "NOTHING", value: null }, { type: "NUMBER", value: 88 }],
		[{ type: "DATETIME", value: t }, { type: "STRING", value: "Sensor Gamma" }, { type: "NOTHING", value: null }, { type: "NUMBER", value: 80 }, { type: "BOOLEAN", value: true }, { type: "BOOLEAN", value: false }, { type: "NUMBER", value: 150 }, { type: "NUMBER", value: 99 }],
	]);
});

test("GetBigString: the 9994-byte response body the C SDK sent as 8192 + 1844 bytes", () => {
	const thing = steam();
	const req = request(Code.POST, "SteamSensor", Characteristic.SERVICES, "GetBigString", null);
	const reply = sync(dispatch(thing, req));
	const encoded = bytes(responseHex(req, reply));
	assert.equal(encoded.length - 15, 9994);
	assert.ok((bigString()).startsWith("This is a really big string. This is"));
});

test("fireEvent builds the SteamSensorFault table the C SDK sent (capture reqId 13)", async () => {
	const thing = steam();
	const fired: Array<[string, string, InfoTable]> = [];
	const link: EntityLink = {
		now: () => 0,
		propertyChanged: () => {},
		propertyUpdateNotified: () => {},
		fireEvent: async (t, e, data) => {
			fired.push([t, e, data]);
		},
	};
	thing.attach(link);
	await thing.fireEvent("SteamSensorFault", { message: "SteamSensor Temperature " + fixed42(424) + " exceeds threshold of " + fixed42(42.5) });
	const [t, e, data] = fired[0];
	const msg: RequestMessage = { ...request(Code.POST, t, Characteristic.EVENTS, e, data, 13), sessionId: 0xbeef };
	assert.equal(Buffer.from(encodeMessageToBytes(msg)).toString("hex"), edgeFrame(13));
	await assert.rejects(thing.fireEvent("NoSuchEvent", {}), TypeError);
	await assert.rejects(thing.fireEvent("SteamSensorFault", { message: 42 }), TypeError);
});

test("fixed42 is %4.2f", () => {
	assert.equal(fixed42(424), "424.00");
	assert.equal(fixed42(42.5), "42.50");
	assert.equal(fixed42(0.125), "0.13");
	assert.equal(fixed42(-1.5), "-1.50");
});

test("property values: typed sets, plain reads, bad types refused", () => {
	const thing = steam();
	thing.set("Location", { latitude: 40.05971, longitude: -75.67428, elevation: 0 });
	assert.deepEqual(thing.get("Location"), { longitude: -75.67428, latitude: 40.05971, elevation: 0 });
	assert.throws(() => thing.set("Temperature", "hot"), TypeError);
	assert.throws(() => thing.set("FaultStatus", 1), TypeError);
	assert.throws(() => thing.set("Nope", 1), TypeError);
	const p = thing.property("TemperatureLimit");
	assert.equal(p.get(), 320, "the default value aspect is the initial value");
	assert.equal(p.pushType, "ALWAYS");
	assert.ok(p.applySubscription("DEADBAND", 2));
	assert.deepEqual([p.pushType, p.pushThreshold], ["DEADBAND", 2]);
	assert.ok(!p.applySubscription("SOMETIMES", 1));
	assert.throws(() => new Thing({ name: "X", services: [{ name: "GetMetadata", handler: () => {} }] }), TypeError);
});

test("SteamSensors share their frozen definition, yet each one's services reach its own hooks", () => {
	const calls: string[] = [];
	const hooksOf = (tag: string) => ({ now: () => 0, setLogging: (on: boolean) => calls.push(tag + (on ? " on" : " off")), note: (m: string) => calls.push(tag + " " + m) });
	const a = createSteamSensorThing("A", hooksOf("a"));
	const b = createSteamSensorThing("B", hooksOf("b"));
	assert.equal(a.services[0], b.services[0], "one service definition for both");
	assert.ok(Object.isFrozen(a.services[1]) && Object.isFrozen(a.services[1].inputs), "module data is frozen");
	assert.equal(sync(dispatch(b, request(Code.POST, "B", Characteristic.SERVICES, "StartLogging", null))).code, Code.SUCCESS);
	assert.equal(sync(dispatch(a, request(Code.POST, "A", Characteristic.SERVICES, "StopLogging", null))).code, Code.SUCCESS);
	const shape: InfoTable = { fields: [{ name: "libraryName", description: "", baseType: "STRING", aspects: [] }], rows: [[{ type: "STRING", value: "lib" }]] };
	assert.equal(sync(dispatch(a, request(Code.POST, "A", Characteristic.SERVICES, "loadShapeLibrary", shape))).code, Code.SUCCESS);
	assert.deepEqual(calls, ["b on", "a off", "a loadShapeLibrary lib"]);
	b.property("TemperatureLimit").set(100);
	assert.equal(a.get("TemperatureLimit"), 320, "values stay per instance");
});

/** The objects and arrays reachable from `value` (functions excluded: handlers are code) that are not frozen. */
function unfrozen(value: unknown, path: string, found: string[], seen = new Set<object>()): string[] {
	if (value === null || typeof value !== "object" || seen.has(value)) return found;
	seen.add(value);
	if (!Object.isFrozen(value)) found.push(path);
	for (const [key, child] of Object.entries(value)) unfrozen(child, `${path}.${key}`, found, seen);
	return found;
}

test("the SteamSensor's specs are frozen to the leaves: a preloaded device keeps them in flash (Moddable's xsl warned 'outputShape.fields[0]: not frozen' x 8)", () => {
	const thing = createSteamSensorThing("S", { now: () => 0, setLogging() {}, note() {} });
	// thing.services is the thing's own list (its built-ins appended); what it holds is module data

	const found: string[] = [];
	thing.properties.forEach((p, i) => unfrozen(p.spec, `properties[${i}].spec`, found));
	unfrozen(thing.services, "services", found);
	unfrozen(thing.events, "events", found);
	assert.ok(thing.services.some((s) => s.outputShape !== undefined && s.outputShape.fields.length === 8), "the walk reaches GetSteamSensorReadings' output shape");
	assert.deepEqual(found.filter((path) => path !== "services"), []);
});
