/*
 * Replays the C SDK's edge frames from the SteamSensor capture against the emulator over a real
 * WebSocket (permessage-deflate on and zero masks, as the SDK does) and checks that every platform frame
 * the emulator sends is byte-identical to the capture's (request/session ids re-stamped), and that
 * the session ends with the SteamSensor's values, events and bindings stored as the capture says.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code } from "../../src/protocol";
import type { TypedValue } from "../../src/protocol/model";
import { startEmulator } from "../../emulator";
import { loadCapture, type CaptureLine } from "./capture";
import { hex, json, restamp, ScriptedEdge, until } from "./scripted-edge";

const KEY = "abc"; // the key in the capture's AUTH frame

/** A captured VARIANT cell (["NUMBER", 423.0], [0, "text"], ["BOOLEAN", 0], ["LOCATION", [lon, lat, elev]]) as a TypedValue. */
function capturedValue([type, value]: [string | number, unknown]): TypedValue {
	if (type === 0) return { type: "STRING", value: value as string };
	if (type === "NUMBER") return { type: "NUMBER", value: value as number };
	if (type === "BOOLEAN") return { type: "BOOLEAN", value: value === 1 };
	if (type === "LOCATION") {
		const [longitude, latitude, elevation] = value as number[];
		return { type: "LOCATION", value: { longitude, latitude, elevation } };
	}
	throw new Error(`unexpected captured type ${type}`);
}

function pushedRows(line: CaptureLine): Array<{ name: string; value: TypedValue; time: number }> {
	const inner = line.decoded?.params?.rows[0][0] as [string, { rows: Array<[[number, string], [string, [string | number, unknown]], [string, number], unknown]> }];
	return inner[1].rows.map(([[, name], [, variant], [, time]]) => ({ name, value: capturedValue(variant), time }));
}

test("C SDK SteamSensor session replayed: platform frames match the capture, values end up stored", async (t) => {
	const capture = loadCapture();
	const emulator = await startEmulator({ appKeys: [KEY], requestTimeoutMs: 3000 });
	t.after(() => emulator.close());
	// as the C SDK connects: permessage-deflate, zero masks, Max-Frame-Size, the key also in a header (§8.1)
	const edge = await ScriptedEdge.connect(emulator.url, { deflate: true, zeroMask: true, headers: { "Max-Frame-Size": "8192", appKey: KEY, "User-Agent": "ThingWorx C SDK" } });
	t.after(() => edge.ws.terminate());

	const platform = (what: string) => hex((capture.find((l) => l.from === "platform" && l.what === what) as CaptureLine).hex as string);
	const edgeReply = (requestId: number) => hex((capture.find((l) => l.from === "edge" && l.decoded?.reqId === requestId && l.decoded.code >= 0x40) as CaptureLine).hex as string);
	const edgeFrames = capture.filter((l) => l.from === "edge" && l.hex);

	// AUTH: the session id comes in the response header.
	edge.sendRaw(hex(edgeFrames[0].hex as string));
	const auth = await edge.responseTo(2);
	const session = auth.message.sessionId;
	assert.ok(session !== 0 && session !== 0xffffffff, "a real session id is assigned");
	assert.deepEqual(auth.bytes, restamp(platform("AUTH response"), { sessionId: session }));
	const stamp = (bytes: Uint8Array, requestId?: number) => restamp(bytes, { sessionId: session, requestId });
	assert.equal(emulator.counters().sessionMismatches, 0);

	// BIND -> success, then NotifyPropertyUpdate and GetMetadata from the platform.
	edge.sendRaw(stamp(hex(edgeFrames[1].hex as string)));
	assert.deepEqual((await edge.responseTo(3)).bytes, stamp(platform("BIND response")));
	const notify = await edge.nextRequest("NotifyPropertyUpdate");
	assert.deepEqual(notify.bytes, stamp(platform("POST NotifyPropertyUpdate"), notify.message.requestId));
	const metadata = await edge.nextRequest("GetMetadata");
	assert.deepEqual(metadata.bytes, stamp(platform("POST service GetMetadata"), metadata.message.requestId));
	const thing = emulator.store.get("SteamSensor");
	assert.ok(thing?.isConnected && thing.isReporting && thing.lastConnection > 0);

	// The SDK pushes before it synchronizes (§15.4): accepted and stored.
	const firstPush = edgeFrames.find((l) => l.decoded?.reqId === 4) as CaptureLine;
	edge.sendRaw(stamp(hex(firstPush.hex as string)));
	assert.deepEqual((await edge.responseTo(4)).bytes, stamp(hex("014000000004000000000000beef0000ff")));
	assert.equal(thing.properties.get("Temperature")?.current?.value.value, 423);

	// The SDK's answers to NotifyPropertyUpdate and GetMetadata (captured ids 1001 and 1005).
	edge.sendRaw(stamp(edgeReply(1001), notify.message.requestId));
	edge.sendRaw(stamp(edgeReply(1005), metadata.message.requestId));

	// GetPropertySubscriptions: the bindings, byte for byte as the capture's platform answered.
	edge.sendRaw(stamp(hex((edgeFrames.find((l) => l.decoded?.reqId === 6) as CaptureLine).hex as string)));
	assert.deepEqual((await edge.responseTo(6)).bytes, stamp(platform("GetPropertySubscriptions response")));
	assert.equal(thing.synchronized, true);

	// Platform -> edge, driven through the emulator's API and REST.
	const headers = { appKey: KEY, Accept: "application/json", "Content-Type": "application/json" };
	const base = `${emulator.restUrl}/Things/SteamSensor`;

	const read = emulator.edge.get("SteamSensor", "Temperature");
	const get = await edge.nextRequest("Temperature");
	assert.deepEqual(get.bytes, stamp(platform("GET property Temperature"), get.message.requestId));
	edge.sendRaw(stamp(edgeReply(1002), get.message.requestId));
	const readReply = await read;
	assert.equal(readReply.code, Code.SUCCESS);
	assert.deepEqual(readReply.content?.rows, [[{ type: "NUMBER", value: 423 }]]);

	const write = fetch(`${base}/Properties/TemperatureLimit`, { method: "PUT", headers, body: JSON.stringify({ TemperatureLimit: 42.5 }) });
	const put = await edge.nextRequest("TemperatureLimit");
	assert.deepEqual(put.bytes, stamp(platform("PUT property TemperatureLimit=42.5"), put.message.requestId));
	edge.sendRaw(stamp(edgeReply(1003), put.message.requestId));
	assert.equal((await write).status, 200);

	const add = fetch(`${base}/Services/AddNumbers`, { method: "POST", headers, body: JSON.stringify({ a: 1.5, b: 2 }) });
	const post = await edge.nextRequest("AddNumbers");
	assert.deepEqual(post.bytes, stamp(platform("POST service AddNumbers"), post.message.requestId));
	edge.sendRaw(stamp(edgeReply(1004), post.message.requestId));
	const sum = await json(add);
	assert.equal(sum.rows[0].result, 3.5);
	assert.equal(sum.dataShape.fieldDefinitions.result.baseType, "NUMBER");

	const all = emulator.edge.get("SteamSensor", "*");
	const getAll = await edge.nextRequest("*");
	assert.deepEqual(getAll.bytes, stamp(platform("GET property * (all)"), getAll.message.requestId));
	edge.sendRaw(stamp(edgeReply(1006), getAll.message.requestId));
	assert.equal((await all).code, Code.NOT_FOUND, "the edge's own status is passed back");

	// The rest of the session: pushes and SteamSensorFault events, each answered as captured.
	const rest = edgeFrames.filter((l) => l.decoded && l.decoded.code === Code.POST && l.decoded.reqId > 6);
	for (const line of rest) {
		const id = line.decoded?.reqId as number;
		edge.sendRaw(stamp(hex(line.hex as string)));
		const expected = capture[capture.indexOf(line) + 1];
		assert.equal(expected.from, "platform");
		assert.deepEqual((await edge.responseTo(id)).bytes, stamp(hex(expected.hex as string)), `response to #${id}`);
	}

	// Stored: every pushed VTQ in order (TemperatureLimit also got the confirmed platform write), every event.
	const pushes = edgeFrames.filter((l) => l.decoded?.char?.[1] === "UpdateSubscribedPropertyValues");
	const expected = new Map<string, Array<{ value: TypedValue; time: number }>>();
	for (const line of pushes) for (const row of pushedRows(line)) expected.set(row.name, [...(expected.get(row.name) ?? []), { value: row.value, time: row.time }]);
	for (const [name, history] of expected) {
		const stored: Array<{ value: TypedValue; time: number }> = thing.properties.get(name)?.history.toArray().map((v) => ({ value: v.value, time: v.time })) ?? [];
		if (name === "TemperatureLimit") {
			assert.deepEqual(stored.map((v) => v.value.value), [435, 42.5, 42.5]);
			continue;
		}
		assert.deepEqual(stored, history, `history of ${name}`);
	}
	assert.deepEqual(thing.properties.get("Temperature")?.history.at(0)?.value, { type: "NUMBER", value: 423 });
	assert.deepEqual(thing.properties.get("Location")?.history.at(0)?.value, { type: "LOCATION", value: { longitude: -75.67072, latitude: 40.0573, elevation: 0 } });
	assert.equal(thing.properties.get("Temperature")?.current?.value.value, 408);
	assert.equal(thing.properties.get("TemperatureLimit")?.current?.value.value, 42.5);
	assert.equal(thing.properties.get("FaultStatus")?.current?.value.value, true);

	const faults = edgeFrames.filter((l) => l.decoded?.char?.[0] === 3).map((l) => (l.decoded?.params?.rows[0][0] as [number, string])[1]);
	assert.equal(faults.length, 7);
	assert.deepEqual(thing.events.toArray().map((e) => [e.name, e.data?.rows[0][0].value]), faults.map((m) => ["SteamSensorFault", m]));

	// Through REST, as a script would read them.
	const temperature = await json(fetch(`${base}/Properties/Temperature`, { headers }));
	assert.deepEqual(temperature.rows, [{ Temperature: 408 }]);
	assert.equal(temperature.dataShape.fieldDefinitions.Temperature.baseType, "NUMBER");
	const history = await json(fetch(`${base}/Services/QueryNumberPropertyHistory`, { method: "POST", headers, body: JSON.stringify({ propertyName: "Temperature", oldestFirst: true }) }));
	assert.deepEqual(history.rows.map((r: { value: number }) => r.value), expected.get("Temperature")?.map((v) => v.value.value));
	const events = await json(fetch(`${base}/Services/QueryEventHistory`, { method: "POST", headers, body: "{}" }));
	assert.equal(events.rows.length, 7);
	assert.equal(events.rows[0].eventData.rows[0].message, faults[6], "newest first");

	const counters = emulator.counters();
	assert.equal(counters.pushes, pushes.length);
	assert.equal(counters.eventsRecorded, 7);
	assert.equal(counters.malformedMessages + counters.unmatchedResponses + counters.rowsUnbound + counters.sessionMismatches, 0);

	await edge.close();
	await until(() => !thing.isConnected, undefined, "the platform to see the edge gone");
});
