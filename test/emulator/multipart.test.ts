/*
 * Multipart both ways (docs/protocol.md §1.2-1.3): a 10 KB service result chunked by the edge is
 * reassembled; a large PUT to the edge is chunked at 8192 (or the edge's Max-Frame-Size) with the
 * entity address repeated in every chunk (§15.11); a push chunked by the edge is stored.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code, encodeMessageToBytes } from "../../src/protocol";
import { startEmulator, type Emulator } from "../../emulator";
import { edgeResponder, resultTable } from "./fixtures";
import { json, ScriptedEdge, until, vtqTable } from "./scripted-edge";

const KEY = "multipart-key";
const headers = { appKey: KEY, Accept: "application/json", "Content-Type": "application/json" };
const BIG = "The quick brown fox jumps over the lazy dog. ".repeat(223).slice(0, 10000);
let emulator: Emulator;

before(async () => {
	emulator = await startEmulator({ appKeys: [KEY], requestTimeoutMs: 1000 });
});
after(() => emulator.close());

async function device(thing: string, options: { deflate?: boolean; maxFrame?: number } = {}): Promise<ScriptedEdge> {
	const edge = await ScriptedEdge.connect(emulator.url, { deflate: options.deflate, headers: options.maxFrame ? { "Max-Frame-Size": String(options.maxFrame) } : {} });
	edge.responder = edgeResponder(thing, { properties: { Blob: "STRING" }, services: { GetBigString: { output: "STRING" } } }, (request) => {
		if (request.characteristicName === "GetBigString") return { code: Code.SUCCESS, content: resultTable("STRING", { type: "STRING", value: BIG }) };
		return { code: Code.SUCCESS };
	});
	edge.replyChunkSize = 8192;
	await edge.auth(KEY);
	await edge.bind([thing]);
	await until(() => emulator.store.get(thing)?.metadata !== null, 2000, "metadata");
	return edge;
}

test("a 10 KB service result sent in chunks by the edge is reassembled", async () => {
	const edge = await device("Big");
	const before = emulator.counters().multipartReassembled;
	const result = await json(fetch(`${emulator.restUrl}/Things/Big/Services/GetBigString`, { method: "POST", headers, body: "{}" }));
	assert.equal(result.rows[0].result, BIG);
	assert.equal(emulator.counters().multipartReassembled, before + 1);
	await edge.close();
});

for (const deflate of [false, true]) {
	test(`a large PUT to the edge is chunked at 8192 with the entity repeated in every chunk (deflate ${deflate})`, async () => {
		const thing = deflate ? "PutDeflate" : "Put";
		const edge = await device(thing, { deflate });
		const value = "x".repeat(20000);
		const write = fetch(`${emulator.restUrl}/Things/${thing}/Properties/Blob`, { method: "PUT", headers, body: JSON.stringify({ Blob: value }) });
		const put = await edge.nextRequest("Blob");
		assert.equal((await write).status, 200);
		assert.equal(put.chunks.length, 3);
		assert.ok(put.frames.every((size) => size <= 8192), `frames ${put.frames}`);
		for (const chunk of put.chunks) {
			assert.deepEqual(chunk.entity, { type: 0x0a, name: thing });
			assert.equal(chunk.chunkCount, 3);
			assert.equal(chunk.chunkSize, 8192);
		}
		assert.equal(put.message.kind === "request" && put.message.params?.rows[0][0].value, value);
		await edge.close();
	});
}

test("the edge's Max-Frame-Size caps the platform's chunks", async () => {
	const edge = await device("Small", { maxFrame: 4096 });
	const write = fetch(`${emulator.restUrl}/Things/Small/Properties/Blob`, { method: "PUT", headers, body: JSON.stringify({ Blob: "y".repeat(10000) }) });
	const put = await edge.nextRequest("Blob");
	assert.equal((await write).status, 200);
	assert.ok(put.frames.length >= 3 && put.frames.every((size) => size <= 4096), `frames ${put.frames}`);
	assert.equal(put.chunks[0].chunkSize, 4096);
	await edge.close();
});

test("a push chunked by the edge is stored; a bad chunk is answered BAD_REQUEST", async () => {
	const edge = await device("Chunky");
	const rows: Array<[string, { type: "STRING"; value: string }, number]> = [];
	for (let i = 0; i < 40; i++) rows.push([`P${i}`, { type: "STRING", value: "v".repeat(400) }, 1700000000000 + i]);
	const id = edge.nextRequestId;
	const reply = await edge.post("Chunky", 2, "UpdateSubscribedPropertyValues", vtqTable(rows), 8192);
	assert.equal(reply.code, Code.SUCCESS);
	assert.equal(reply.requestId, id);
	const thing = emulator.store.get("Chunky");
	assert.equal(thing?.properties.get("P39")?.current?.value.value, "v".repeat(400));
	// chunk id 3 of a 2-chunk set
	const head = Buffer.from("01030000007b000000000000000001", "hex");
	head.writeUInt32BE(edge.sessionId, 10);
	edge.sendRaw(new Uint8Array(Buffer.concat([head, Buffer.from("000300022000" + "0a06436875686b79" + "0102", "hex")])));
	assert.equal((await edge.responseTo(0x7b)).message.code, Code.BAD_REQUEST);
	assert.ok(emulator.counters().multipartDroppedInvalid >= 1);
	await edge.close();
});

test("the C SDK's empty last chunk (body an exact multiple of the chunk payload, §15.10) is accepted", async () => {
	const edge = await device("EmptyTail");
	const whole = encodeMessageToBytes({
		kind: "request", version: 1, code: Code.POST, requestId: 77, endpointId: 0, sessionId: edge.sessionId, entityType: 0x0a, entityName: "EmptyTail",
		characteristicType: 2, characteristicName: "UpdateSubscribedPropertyValues", headers: [], params: vtqTable([["Level", { type: "NUMBER", value: 12 }, 1700000000000]]),
	});
	const header = (id: number) => [...whole.slice(0, 14), 1, 0, id, 0, 2, 0x20, 0x00];
	const prefix = [0x0a, 9, ...Buffer.from("EmptyTail")];
	edge.sendRaw(new Uint8Array([...header(1), ...whole.slice(15)]));
	edge.sendRaw(new Uint8Array([...header(2), ...prefix]));
	assert.equal((await edge.responseTo(77)).message.code, Code.SUCCESS);
	assert.equal(emulator.store.get("EmptyTail")?.properties.get("Level")?.current?.value.value, 12);
	await edge.close();
});

test("an incomplete multipart set is dropped as stale and counted", async (t) => {
	const stale = await startEmulator({ appKeys: [KEY], multipartStaleMs: 150, idleTimeoutMs: 400 });
	t.after(() => stale.close());
	const edge = await ScriptedEdge.connect(stale.url);
	await edge.auth(KEY);
	edge.responder = () => ({ code: Code.SUCCESS });
	await edge.bind(["Half"]);
	const head = Buffer.from("01030000005a000000000000000001", "hex");
	head.writeUInt32BE(edge.sessionId, 10);
	edge.sendRaw(new Uint8Array(Buffer.concat([head, Buffer.from("000100022000" + "0a0448616c66" + "0102", "hex")])));
	await until(() => stale.counters().multipartDroppedStale === 1, 2000, "the periodic sweep");
	assert.equal(edge.received.filter((r) => r.message.requestId === 0x5a).length, 0);
	await edge.close();
});
