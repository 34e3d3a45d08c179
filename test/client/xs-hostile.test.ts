/*
 * Issue 12, under the real XS engine (xsnap): a hostile peer leaves the client's heap where it was.
 * The heap is read after gc() (slots, and chunk bytes from the metering worker) around each attack
 * (test/xs/suites/client-hostile.ts): first chunks of multipart sets that never complete, and
 * platform GETs from a peer that reads nothing (GETs, not GetBigString: the same queue, and under XS
 * a tenth of the time; test/client/bounds.test.ts and npm run bench:hostile ask for GetBigString). Every evaluated script leaves one slot and a
 * few bytes in the worker (test/xs/measure.ts); that cost is measured on scripts that do nothing and
 * taken off. Each attack runs once before the measurement, so that what any device makes once (the
 * Reassembler, a reconnection) is in the baseline.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { XsWorker } from "../../hal/xs/host";
import { meterWorker } from "../../hal/xs/meter-worker";
import { Characteristic, Code, encodeChunk, encodeMessageToBytes } from "../../src/protocol";
import type { Message } from "../../src/protocol/model";
import { xsBundle } from "../xs/bundles";

interface Heap {
	slots: number;
	chunks: number | null;
}

let worker: XsWorker;
/** What a script that does nothing, then gc(), leaves in the heap. */
let idle: Heap;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

function request(code: number, characteristic: number, name: string, text: string | null): Uint8Array {
	const params = text === null ? null : { fields: [{ name: "text", description: "", baseType: "STRING" as const, aspects: [] }], rows: [[{ type: "STRING" as const, value: text }]] };
	return encodeMessageToBytes({
		kind: "request", version: 1, code, requestId: 1, endpointId: 0, sessionId: 0xbeef, entityType: 0x0a, entityName: "SteamSensor",
		characteristicType: characteristic, characteristicName: name, headers: [], params,
	});
}

async function heapNow(): Promise<Heap> {
	const { meters } = await worker.evaluate("gc()");
	return { slots: meters.currentHeapCount, chunks: meters.chunks };
}

/** Heap growth over `run` (one script), net of what an idle script leaves. */
async function retainedBy(run: string): Promise<Heap & { value: unknown }> {
	const from = await heapNow();
	const { value } = await worker.evaluateJson(run);
	const to = await heapNow();
	return {
		value,
		slots: to.slots - from.slots - idle.slots,
		chunks: to.chunks === null || from.chunks === null || idle.chunks === null ? null : to.chunks - from.chunks - idle.chunks,
	};
}

before(async () => {
	worker = new XsWorker({ name: "client-hostile", binary: meterWorker() ?? undefined });
	await worker.loadBundle({ name: "client", source: await xsBundle("xs-client-hostile") });
	const nope = request(Code.POST, Characteristic.SERVICES, "Nope", "x".repeat(1500));
	const chunk = (k: number) => {
		const into = new Uint8Array(1024);
		return hex(into.subarray(0, encodeChunk(nope, nope.length, k, 1024, into, 0)));
	};
	const notify = request(Code.POST, Characteristic.SERVICES, "NotifyPropertyUpdate", null);
	const ok: Message = { kind: "response", version: 1, code: Code.SUCCESS, requestId: 0, endpointId: 0, sessionId: 0xbeef, reason: null, content: null, contentType: 0xff, trailing: 0 };
	const args = [chunk(1), chunk(2), hex(request(Code.GET, Characteristic.PROPERTIES, "Temperature", null)), hex(notify), hex(encodeMessageToBytes(ok))];
	const { value } = await worker.evaluateJson<string>(`bundles.client.setup(${args.map((a) => JSON.stringify(a)).join(", ")})`);
	assert.equal(value, "connected synchronized");
	const answered = await worker.evaluateJson<number>("bundles.client.wholeMultipart()");
	assert.equal(answered.value, Code.NOT_FOUND, "a whole two-chunk request is reassembled and answered");
	const a = await heapNow();
	await worker.evaluateJson("0");
	const b = await heapNow();
	idle = { slots: b.slots - a.slots, chunks: a.chunks === null || b.chunks === null ? null : b.chunks - a.chunks };
});

after(async () => {
	await worker?.close();
});

test("XS: first chunks of multipart sets that never complete hold no more as they come, and nothing once they are stale", async (t) => {
	await worker.evaluateJson("bundles.client.firstChunks(100) + bundles.client.recover()"); // once: the stale path, a warm table
	const held = await retainedBy("bundles.client.firstChunks(2000)");
	const more = await retainedBy("bundles.client.firstChunks(2000)");
	const gone = await retainedBy("bundles.client.recover()");
	t.diagnostic(`2,000 first chunks: +${held.slots} slots, +${held.chunks} B held; 2,000 more: +${more.slots} slots, +${more.chunks} B; once stale: ${gone.slots} slots, ${gone.chunks} B`);
	assert.equal(held.value, "connected synchronized", "the connection serves on");
	assert.deepEqual([more.slots, more.chunks ?? 0], [0, 0], "more first chunks, no more memory");
	assert.equal(gone.value, "connected synchronized");
	assert.deepEqual([held.slots + gone.slots, (held.chunks ?? 0) + (gone.chunks ?? 0)], [0, 0], "the heap where it was");
});

test("XS: a peer that stops reading while it asks: the connection is failed at the outbox's bound, and after the reconnection the heap is where it was", async (t) => {
	const once = await worker.evaluateJson<number>("bundles.client.unread(100)");
	assert.equal(once.value, 1008, "the outbox bound closes the connection");
	await worker.evaluateJson("bundles.client.recover()");
	const closed = await retainedBy("bundles.client.unread(1000)");
	const back = await retainedBy("bundles.client.recover()");
	t.diagnostic(`1,000 GETs unread: +${closed.slots} slots, +${closed.chunks} B held; after the reconnection: ${back.slots} slots, ${back.chunks} B`);
	assert.equal(closed.value, 1008);
	assert.equal(back.value, "connected synchronized");
	assert.deepEqual([closed.slots + back.slots, (closed.chunks ?? 0) + (back.chunks ?? 0)], [0, 0], "the heap where it was");
});
