/*
 * The REST API against a scripted edge: reads from the store and from the edge, writes forwarded
 * with the edge's status mapped to HTTP (including the C SDK's unanswered PUT -> 504), services with
 * JSON parameters typed by the edge's metadata, bindings edited and re-synchronized, history.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code } from "../../src/protocol";
import { startEmulator, type Emulator } from "../../emulator";
import { edgeResponder, param, resultTable, type EdgeModel } from "./fixtures";
import { json, ScriptedEdge, until } from "./scripted-edge";

const KEY = "rest-test-key";
const headers = { appKey: KEY, Accept: "application/json", "Content-Type": "application/json" };
const MODEL: EdgeModel = {
	properties: { Temperature: "NUMBER", Limit: "NUMBER", Mode: "STRING", Locked: "NUMBER", Missing: "NUMBER", Bad: "NUMBER", Silent: "NUMBER", Broken: "NUMBER" },
	services: { AddNumbers: { inputs: { a: "NUMBER", b: "NUMBER" }, output: "NUMBER" } },
};
const PUT_STATUS: Record<string, number | null> = { Limit: Code.SUCCESS, Mode: Code.SUCCESS, Locked: Code.FORBIDDEN, Missing: Code.NOT_FOUND, Bad: Code.BAD_REQUEST, Silent: null, Broken: Code.INTERNAL_SERVER_ERROR };

let emulator: Emulator;
let edge: ScriptedEdge;
let base: string;

before(async () => {
	emulator = await startEmulator({ appKeys: [KEY], requestTimeoutMs: 600 });
	base = `${emulator.restUrl}/Things/Device`;
	edge = await ScriptedEdge.connect(emulator.url);
	edge.responder = edgeResponder("Device", MODEL, (request) => {
		if (request.code === Code.PUT) {
			const status = PUT_STATUS[request.characteristicName];
			return status === null ? null : { code: status ?? Code.NOT_FOUND };
		}
		if (request.code === Code.GET && request.characteristicName === "Temperature") return { code: Code.SUCCESS, content: resultTable("NUMBER", { type: "NUMBER", value: 99 }) };
		if (request.characteristicName === "AddNumbers") {
			const [a, b] = [param(request, "a"), param(request, "b")];
			if (a?.type !== "NUMBER" || b?.type !== "NUMBER") return { code: Code.BAD_REQUEST };
			return { code: Code.SUCCESS, content: resultTable("NUMBER", { type: "NUMBER", value: a.value + b.value }) };
		}
		return { code: Code.NOT_FOUND };
	});
	await edge.auth(KEY);
	await edge.bind(["Device"]);
	await until(() => emulator.store.get("Device")?.metadata !== null, 2000, "metadata");
	await edge.push("Device", [["Temperature", { type: "NUMBER", value: 20.5 }, 1700000000000], ["Temperature", { type: "NUMBER", value: 21.5 }, 1700000001000]]);
});

after(async () => {
	await edge.close();
	await emulator.close();
});

test("401 without the appKey header or with a wrong one", async () => {
	assert.equal((await fetch(`${base}/Properties/Temperature`)).status, 401);
	const wrong = await fetch(`${base}/Properties/Temperature`, { headers: { appKey: "nope" } });
	assert.equal(wrong.status, 401);
	assert.ok(!(await wrong.text()).includes("nope"));
});

test("things and properties read in the platform's InfoTable JSON shape", async () => {
	const things = await json(fetch(`${emulator.restUrl}/Things`, { headers }));
	assert.deepEqual(things.rows.map((r: { name: string }) => r.name), ["Device"]);
	const one = await json(fetch(`${base}/Properties/Temperature`, { headers }));
	assert.deepEqual(one, { dataShape: { fieldDefinitions: { Temperature: { name: "Temperature", description: "", baseType: "NUMBER", ordinal: 0, aspects: {} } } }, rows: [{ Temperature: 21.5 }] });
	const all = await json(fetch(`${base}/Properties`, { headers }));
	assert.equal(all.rows.length, 1);
	assert.equal(all.rows[0].name, "Device");
	assert.equal(all.rows[0].isConnected, true);
	assert.equal(all.rows[0].Temperature, 21.5);
	assert.equal(all.dataShape.fieldDefinitions.lastConnection.baseType, "DATETIME");
	assert.equal((await fetch(`${emulator.restUrl}/Things/Nope/Properties/x`, { headers })).status, 404);
	assert.equal((await fetch(`${base}/Properties/Nope`, { headers })).status, 404);
});

test("cacheTime -1 reads from the edge", async () => {
	const set = await fetch(`${base}/Services/SetRemotePropertyBinding`, { method: "POST", headers, body: JSON.stringify({ propertyName: "Temperature", cacheTime: -1 }) });
	assert.equal(set.status, 200);
	const live = await json(fetch(`${base}/Properties/Temperature`, { headers }));
	assert.deepEqual(live.rows, [{ Temperature: 99 }]);
	await fetch(`${base}/Services/SetRemotePropertyBinding`, { method: "POST", headers, body: JSON.stringify({ propertyName: "Temperature", cacheTime: 0 }) });
});

test("PUT of a remote property goes to the edge; its status comes back as HTTP", async () => {
	const put = (name: string, value: unknown) => fetch(`${base}/Properties/${name}`, { method: "PUT", headers, body: JSON.stringify({ [name]: value }) });
	assert.equal((await put("Limit", 50)).status, 200);
	const request = (await edge.nextRequest("Limit")).message;
	assert.equal(request.kind === "request" && request.code, Code.PUT);
	assert.deepEqual(request.kind === "request" && request.params, { fields: [{ name: "Limit", description: "", baseType: "NUMBER", aspects: [] }], rows: [[{ type: "NUMBER", value: 50 }]] });
	assert.equal(emulator.store.get("Device")?.properties.get("Limit")?.current?.value.value, 50);
	assert.equal((await put("Mode", "auto")).status, 200);
	assert.equal((await put("Locked", 1)).status, 403);
	assert.equal((await put("Missing", 1)).status, 404);
	assert.equal((await put("Bad", 1)).status, 400);
	const silent = await put("Silent", 1);
	assert.equal(silent.status, 504, "a PUT the edge never answers times out, it does not hang");
	assert.match(await silent.text(), /no reply/);
	assert.equal((await put("Broken", 1)).status, 500);
	assert.equal((await put("Limit", "not a number")).status, 400);
	assert.equal((await fetch(`${base}/Properties/Limit`, { method: "PUT", headers, body: "{oops" })).status, 400);
	assert.equal((await fetch(`${base}/Properties/Limit`, { method: "PUT", headers, body: JSON.stringify({ Other: 1 }) })).status, 400);
	assert.equal((await put("isConnected", false)).status, 403);
	assert.equal(emulator.counters().requestTimeouts >= 1, true);
});

test("services: parameters typed from the edge's metadata, results as InfoTable JSON", async () => {
	const sum = await json(fetch(`${base}/Services/AddNumbers`, { method: "POST", headers, body: JSON.stringify({ a: 2, b: "3" }) }));
	assert.deepEqual(sum.rows, [{ result: 5 }]);
	assert.equal((await fetch(`${base}/Services/NoSuchService`, { method: "POST", headers, body: "{}" })).status, 404);
	assert.equal((await fetch(`${base}/Services/AddNumbers`, { method: "POST", headers, body: JSON.stringify({ a: "x", b: 1 }) })).status, 400);
	const history = await json(fetch(`${base}/Services/QueryPropertyHistory`, { method: "POST", headers, body: JSON.stringify({ oldestFirst: true, maxItems: 2 }) }));
	assert.deepEqual(history.rows.slice(0, 2), [{ timestamp: 1700000000000, Temperature: 20.5 }, { timestamp: 1700000001000, Temperature: 21.5 }]);
	const vtq = await json(fetch(`${base}/Services/GetPropertyValuesVTQ`, { method: "POST", headers, body: "" }));
	assert.ok(vtq.rows.some((r: { name: string; value: number; quality: string }) => r.name === "Temperature" && r.quality === "GOOD"));
});

test("editing a binding notifies the edge, whose next GetPropertySubscriptions sees it", async () => {
	edge.received.length = 0;
	const set = await fetch(`${base}/Services/SetRemotePropertyBinding`, { method: "POST", headers, body: JSON.stringify({ propertyName: "Temperature", pushType: "deadband", pushThreshold: 2 }) });
	assert.equal(set.status, 200);
	await edge.nextRequest("NotifyPropertyUpdate");
	const subscriptions = await edge.post("Device", 2, "GetPropertySubscriptions", null);
	const rows = subscriptions.content?.rows.map((r) => r.map((c) => c.value)) ?? [];
	assert.deepEqual(rows.find((r) => r[0] === "Temperature"), ["Temperature", "DEADBAND", 2]);
	assert.deepEqual(rows.find((r) => r[0] === "Limit"), ["Limit", "VALUE", 0.5], "metadata push settings became the default bindings");
	const bad = await fetch(`${base}/Services/SetRemotePropertyBinding`, { method: "POST", headers, body: JSON.stringify({ propertyName: "Temperature", pushType: "SOMETIMES" }) });
	assert.equal(bad.status, 400);
	const bindings = await json(fetch(`${base}/Services/GetRemotePropertyBindings`, { method: "POST", headers, body: "{}" }));
	assert.equal(bindings.rows.length, Object.keys(MODEL.properties).length);
});

test("GetPropertySubscriptions waits for a GetMetadata still in flight", async (t) => {
	const slow = await ScriptedEdge.connect(emulator.url);
	t.after(() => slow.close());
	await slow.auth(KEY);
	slow.responder = (request) => (request.characteristicName === "NotifyPropertyUpdate" ? { code: Code.SUCCESS } : null);
	await slow.bind(["Slow"]);
	const metadata = await slow.nextRequest("GetMetadata");
	const subscriptions = slow.post("Slow", 2, "GetPropertySubscriptions", null);
	setTimeout(() => slow.send({
		kind: "response", version: 1, code: Code.SUCCESS, requestId: metadata.message.requestId, endpointId: 0, sessionId: slow.sessionId, reason: null,
		content: resultTable("JSON", { type: "JSON", value: JSON.stringify({ propertyDefinitions: { Speed: { name: "Speed", baseType: "NUMBER", aspects: {} } } }) }), contentType: 5, trailing: 0,
	}), 100);
	const reply = await subscriptions;
	assert.deepEqual(reply.content?.rows.map((r) => r.map((c) => c.value)), [["Speed", "ALWAYS", 0]]);
	assert.equal(emulator.store.get("Slow")?.synchronized, true);
});

test("writes and remote services of a disconnected thing are 503", async () => {
	const gone = await ScriptedEdge.connect(emulator.url);
	await gone.auth(KEY);
	gone.responder = () => ({ code: Code.SUCCESS });
	await gone.bind(["Gone"]);
	await gone.push("Gone", [["Level", { type: "NUMBER", value: 1 }, 1]]);
	await gone.close();
	const thing = emulator.store.get("Gone");
	await until(() => thing?.isConnected === false, undefined, "the platform to see the edge gone");
	assert.equal(thing?.isReporting, false);
	assert.equal((await fetch(`${emulator.restUrl}/Things/Gone/Properties/Level`, { method: "PUT", headers, body: JSON.stringify({ Level: 2 }) })).status, 503);
	assert.equal((await fetch(`${emulator.restUrl}/Things/Gone/Services/Anything`, { method: "POST", headers, body: "{}" })).status, 503);
	const cached = await json(fetch(`${emulator.restUrl}/Things/Gone/Properties/Level`, { headers }));
	assert.deepEqual(cached.rows, [{ Level: 1 }]);
});
