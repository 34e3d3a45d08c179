/*
 * The session as an edge lives it: BIND/UNBIND with gateway info, the edge's own reads, writes and
 * platform-local service calls, request ids with gaps, re-AUTH, and a thing moving to a new
 * connection (last bind wins).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code } from "../../src/protocol";
import type { InfoTable, Message, ResponseMessage } from "../../src/protocol/model";
import { startEmulator, type Emulator } from "../../emulator";
import { ScriptedEdge, until } from "./scripted-edge";

const KEY = "session-test-key";
let emulator: Emulator;

before(async () => {
	emulator = await startEmulator({ appKeys: [KEY, "second-key"], requestTimeoutMs: 500 });
});
after(() => emulator.close());

async function edgeFor(thing: string, gateway: { name: string; type: string } | null = null): Promise<ScriptedEdge> {
	const edge = await ScriptedEdge.connect(emulator.url);
	edge.responder = (request) => ({ code: request.characteristicName === "NotifyPropertyUpdate" ? Code.SUCCESS : Code.NOT_FOUND });
	assert.equal((await edge.auth(KEY)).code, Code.SUCCESS);
	assert.equal((await edge.bind([thing], gateway)).code, Code.SUCCESS);
	return edge;
}

function request(edge: ScriptedEdge, code: number, thing: string, characteristic: number, name: string, params: InfoTable | null): Promise<ResponseMessage> {
	return edge.call({ kind: "request", version: 1, code, requestId: 0, endpointId: 0, sessionId: 0, entityType: 0x0a, entityName: thing, characteristicType: characteristic, characteristicName: name, headers: [], params });
}

const number = (name: string, value: number): InfoTable => ({ fields: [{ name, description: "", baseType: "NUMBER", aspects: [] }], rows: [[{ type: "NUMBER", value }]] });

test("BIND with gateway info connects the thing; NotifyPropertyUpdate follows with platform ids from 1001; UNBIND disconnects", async () => {
	const edge = await edgeFor("Gw", { name: "MyGateway", type: "MyType" });
	const notify = await edge.nextRequest("NotifyPropertyUpdate");
	assert.equal(notify.message.requestId, 1001);
	assert.equal(notify.message.sessionId, edge.sessionId);
	const thing = emulator.store.get("Gw");
	assert.deepEqual(thing?.gateway, { name: "MyGateway", type: "MyType" });
	assert.equal(thing?.isConnected, true);
	const unbind = await edge.call({ kind: "unbind", version: 1, code: Code.UNBIND, requestId: 0, endpointId: 0, sessionId: 0, gateway: { name: "MyGateway", type: "MyType" }, names: ["Gw"] });
	assert.equal(unbind.code, Code.SUCCESS);
	assert.equal(thing?.isConnected, false);
	assert.equal(thing?.isReporting, false);
	assert.equal(emulator.platform.connectionOf("Gw"), undefined);
	await edge.close();
});

test("the edge reads, writes and calls platform services on its own thing", async () => {
	const edge = await edgeFor("Self");
	await edge.push("Self", [["Level", { type: "NUMBER", value: 3 }, 1700000000000]]);
	const read = await request(edge, Code.GET, "Self", 1, "Level", null);
	assert.equal(read.code, Code.SUCCESS);
	assert.deepEqual(read.content, number("Level", 3));
	assert.equal((await request(edge, Code.GET, "Self", 1, "Nope", null)).code, Code.NOT_FOUND);
	const all = await request(edge, Code.GET, "Self", 1, "*", null);
	assert.ok(all.content?.fields.some((f) => f.name === "isConnected"));

	assert.equal((await request(edge, Code.PUT, "Self", 1, "Level", number("Level", 7))).code, Code.SUCCESS);
	assert.equal(emulator.store.get("Self")?.properties.get("Level")?.current?.value.value, 7);
	assert.equal((await request(edge, Code.PUT, "Self", 1, "Level", null)).code, Code.BAD_REQUEST);
	assert.equal((await request(edge, Code.PUT, "Self", 1, "isConnected", { fields: [{ name: "isConnected", description: "", baseType: "BOOLEAN", aspects: [] }], rows: [[{ type: "BOOLEAN", value: false }]] })).code, Code.FORBIDDEN);

	const values = await request(edge, Code.POST, "Self", 2, "GetPropertyValues", null);
	assert.equal(values.code, Code.SUCCESS);
	assert.equal(values.content?.rows[0][values.content.fields.findIndex((f) => f.name === "Level")].value, 7);
	const history = await request(edge, Code.POST, "Self", 2, "QueryNumberPropertyHistory", { fields: [{ name: "propertyName", description: "", baseType: "STRING", aspects: [] }], rows: [[{ type: "STRING", value: "Level" }]] });
	assert.deepEqual(history.content?.rows.map((r) => r[1].value), [7, 3], "newest first");
	assert.equal((await request(edge, Code.POST, "Self", 2, "NoSuchService", null)).code, Code.NOT_FOUND);
	assert.equal((await request(edge, Code.DEL, "Self", 1, "Level", null)).code, Code.METHOD_NOT_ALLOWED);
	await edge.close();
});

test("request ids with gaps and out of order are all answered by id", async () => {
	const edge = await edgeFor("Gaps");
	const push = (requestId: number, value: number): Message => ({
		kind: "request", version: 1, code: Code.POST, requestId, endpointId: 0, sessionId: edge.sessionId, entityType: 0x0a, entityName: "Gaps",
		characteristicType: 2, characteristicName: "UpdateSubscribedPropertyValues", headers: [],
		params: { fields: [{ name: "values", description: "", baseType: "INFOTABLE", aspects: [] }], rows: [[{ type: "INFOTABLE", value: {
			fields: [{ name: "name", description: "", baseType: "STRING", aspects: [] }, { name: "value", description: "", baseType: "VARIANT", aspects: [] }],
			rows: [[{ type: "STRING", value: "V" }, { type: "VARIANT", value: { type: "NUMBER", value } }]],
		} }]] },
	});
	for (const [id, value] of [[4, 1], [6, 2], [1000, 3], [2, 4]]) edge.send(push(id, value));
	for (const id of [4, 6, 1000, 2]) assert.equal((await edge.responseTo(id)).message.code, Code.SUCCESS);
	assert.deepEqual(emulator.store.get("Gaps")?.properties.get("V")?.history.toArray().map((v) => v.value.value), [1, 2, 3, 4]);
	await edge.close();
});

test("a second AUTH on a connection gets a new session; a thing re-bound elsewhere stays connected when the old socket goes", async () => {
	const first = await edgeFor("Mover");
	const oldSession = first.sessionId;
	assert.equal((await first.auth("second-key")).code, Code.SUCCESS);
	assert.notEqual(first.sessionId, oldSession);
	const second = await edgeFor("Mover");
	assert.notEqual(second.sessionId, first.sessionId);
	const thing = emulator.store.get("Mover");
	await first.close();
	await new Promise((resolve) => setTimeout(resolve, 50));
	assert.equal(thing?.isConnected, true, "the newer binding wins");
	assert.equal((await second.push("Mover", [["X", { type: "NUMBER", value: 1 }, 1]])).code, Code.SUCCESS);
	await second.close();
	await until(() => thing?.isConnected === false);
});
