/* The store's bounds and binding rules, and the platform JSON conversions, without any socket. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { infoTableToJson, jsonToInfoTable, ThingStore, type StoreChange } from "../../emulator";
import { ConversionError, jsonToValue, paramsToInfoTable } from "../../emulator/infotable-json";
import { parseMetadata, MetadataError } from "../../emulator/metadata";
import { isBaseTypeName } from "../../emulator/infotable-json";
import { Ring } from "../../emulator/ring";
import { loadCapture } from "./capture";

test("a ring keeps the newest items and counts what it evicted", () => {
	const ring = new Ring<number>(3);
	for (let i = 1; i <= 5; i++) ring.push(i);
	assert.deepEqual(ring.toArray(), [3, 4, 5]);
	assert.equal(ring.evicted, 2);
	assert.equal(ring.last(), 5);
	assert.throws(() => new Ring(0), RangeError);
});

test("histories and event logs stay bounded", () => {
	const store = new ThingStore({ historySize: 10, eventLogSize: 4 });
	const thing = store.autoCreate("T");
	for (let i = 0; i < 25; i++) store.recordPush(thing, [{ name: "P", value: { type: "VARIANT", value: { type: "NUMBER", value: i } }, time: i, quality: "GOOD" }], i);
	const history = thing.properties.get("P")?.history;
	assert.equal(history?.size, 10);
	assert.deepEqual(history?.toArray().map((v) => v.value.value), [15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
	assert.equal(history?.evicted, 15);
	assert.deepEqual(thing.properties.get("P")?.current?.value, { type: "NUMBER", value: 24 }, "VARIANT unwrapped");
	for (let i = 0; i < 9; i++) store.recordEvent(thing, "E", null, i);
	assert.equal(thing.events.size, 4);
	assert.equal(store.recentEvents.size, 4);
});

test("auto-created things bind pushed properties (discovery, no notify); defined ones count them unbound", () => {
	const store = new ThingStore();
	const changes: StoreChange[] = [];
	store.on((change) => changes.push(change));
	const auto = store.autoCreate("Auto");
	store.recordPush(auto, [{ name: "A", value: { type: "BOOLEAN", value: true }, time: 1, quality: "GOOD" }], 1);
	assert.deepEqual(auto.properties.get("A")?.binding, { edgeName: "A", pushType: "ALWAYS", pushThreshold: 0, cacheTime: 0 });
	assert.equal(auto.properties.get("A")?.baseType, "BOOLEAN");
	assert.ok(changes.some((c) => c.kind === "bindings" && c.origin === "discovery"));

	const defined = store.define({ name: "Defined", properties: [{ name: "Temp", edgeName: "temp_c", pushType: "value", pushThreshold: 0.5 }, { name: "Local", remote: false }] });
	const result = store.recordPush(defined, [
		{ name: "temp_c", value: { type: "NUMBER", value: 20 }, time: 1, quality: "GOOD" },
		{ name: "Temp", value: { type: "NUMBER", value: 99 }, time: 1, quality: "GOOD" },
		{ name: "Local", value: { type: "NUMBER", value: 1 }, time: 1, quality: "GOOD" },
	], 1);
	assert.deepEqual(result, { stored: 1, unbound: 2 }, "rows follow edgeName; unbound and local properties are not fed by pushes");
	assert.equal(defined.properties.get("Temp")?.current?.value.value, 20);
	assert.equal(defined.properties.get("Temp")?.binding?.pushType, "VALUE");
	assert.equal(defined.unboundRows, 2);
	assert.throws(() => store.setBinding(defined, "Temp", { pushType: "SOMETIMES" }), /pushType must be one of/);
	assert.throws(() => store.define({ name: "Defined" }), /already exists/);
	assert.deepEqual(defined.boundProperties().map((p) => p.name), ["Temp"]);
});

test("metadata: the SteamSensor's own GetMetadata parses; garbage is a MetadataError", () => {
	const json = (loadCapture().find((l) => l.decoded?.reqId === 1005)?.decoded?.content?.rows[0][0] as [number, string])[1];
	const metadata = parseMetadata(json, isBaseTypeName);
	assert.deepEqual([...metadata.properties.keys()].sort(), ["FaultStatus", "InletValve", "Location", "Logfile", "Pressure", "Temperature", "TemperatureLimit", "TotalFlow"]);
	assert.deepEqual(metadata.services.get("AddNumbers")?.inputs.map((i) => [i.name, i.baseType]), [["a", "NUMBER"], ["b", "NUMBER"]]);
	assert.equal(metadata.services.get("GetSteamSensorReadings")?.output.dataShape, "SteamSensorReadingShape");
	assert.deepEqual(metadata.events.get("SteamSensorFault")?.fields.map((f) => f.name), ["message"]);
	assert.throws(() => parseMetadata("{not json", isBaseTypeName), MetadataError);
	assert.throws(() => parseMetadata('{"propertyDefinitions":{"P":{"baseType":"FLOAT"}}}', isBaseTypeName), /unknown baseType/);
	assert.throws(() => parseMetadata("[1]", isBaseTypeName), MetadataError);
});

test("JSON values become typed values by declared type, with clear errors", () => {
	assert.deepEqual(jsonToValue("2.5", "NUMBER", "x"), { type: "NUMBER", value: 2.5 });
	assert.deepEqual(jsonToValue(7, "INTEGER", "x"), { type: "INTEGER", value: 7 });
	assert.throws(() => jsonToValue(2 ** 31, "INTEGER", "x"), ConversionError);
	assert.throws(() => jsonToValue(1.5, "LONG", "x"), ConversionError);
	assert.deepEqual(jsonToValue("2024-01-31T00:00:00Z", "DATETIME", "x"), { type: "DATETIME", value: Date.UTC(2024, 0, 31) });
	assert.deepEqual(jsonToValue("40.06,-75.68", "LOCATION", "x"), { type: "LOCATION", value: { latitude: 40.06, longitude: -75.68, elevation: 0 } });
	assert.deepEqual(jsonToValue({ a: 1 }, "JSON", "x"), { type: "JSON", value: '{"a":1}' });
	assert.deepEqual(jsonToValue("AQID", "BLOB", "x"), { type: "BLOB", value: new Uint8Array([1, 2, 3]) });
	assert.deepEqual(jsonToValue(true, "VARIANT", "x"), { type: "VARIANT", value: { type: "BOOLEAN", value: true } });
	assert.deepEqual(jsonToValue(null, "NUMBER", "x"), { type: "NOTHING", value: null });
	assert.throws(() => jsonToValue("maybe", "BOOLEAN", "flag"), /flag: expected a boolean/);
	assert.throws(() => jsonToValue(1, "TIMESPAN", "x"), /not supported/);
	assert.deepEqual(paramsToInfoTable({ b: 2, a: 1, extra: "x" }, [{ name: "a", baseType: "NUMBER" }, { name: "b", baseType: "INTEGER" }])?.fields.map((f) => [f.name, f.baseType]), [["a", "NUMBER"], ["b", "INTEGER"], ["extra", "STRING"]]);
	assert.equal(paramsToInfoTable({}, []), null);
});

test("InfoTable JSON round trip in the platform's shape", () => {
	const table = jsonToInfoTable({
		dataShape: { fieldDefinitions: { b: { name: "b", baseType: "BOOLEAN", ordinal: 1 }, a: { name: "a", baseType: "NUMBER", ordinal: 0 } } },
		rows: [{ a: 1, b: true }, { a: 2 }],
	}, "t");
	assert.deepEqual(table.fields.map((f) => f.name), ["a", "b"], "ordinal order");
	assert.deepEqual(table.rows[1], [{ type: "NUMBER", value: 2 }, { type: "NOTHING", value: null }]);
	assert.deepEqual(infoTableToJson(table), {
		dataShape: { fieldDefinitions: {
			a: { name: "a", description: "", baseType: "NUMBER", ordinal: 0, aspects: {} },
			b: { name: "b", description: "", baseType: "BOOLEAN", ordinal: 1, aspects: {} },
		} },
		rows: [{ a: 1, b: true }, { a: 2 }],
	});
	assert.throws(() => jsonToInfoTable({ dataShape: { fieldDefinitions: { a: { baseType: "NOPE" } } }, rows: [] }, "t"), /unknown baseType/);
});
