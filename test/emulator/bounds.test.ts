/*
 * The emulator's per-connection bounds (issue 12 point 1): platform -> edge requests waiting at once,
 * and bytes waiting for an edge that does not read. Reaching one is counted; the emulator serves on.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code } from "../../src/protocol";
import type { InfoTable } from "../../src/protocol/model";
import { startEmulator, EdgeError } from "../../emulator";
import { ScriptedEdge, until } from "./scripted-edge";

const KEY = "bounds-test-key";

async function boundEdge(url: string, thing: string): Promise<ScriptedEdge> {
	const edge = await ScriptedEdge.connect(url);
	assert.equal((await edge.auth(KEY)).code, Code.SUCCESS);
	assert.equal((await edge.bind([thing])).code, Code.SUCCESS);
	return edge;
}

test("maxPendingRequests platform requests wait for an edge that does not answer; one more is refused at once (busy, 503 over REST), counted", async () => {
	const emu = await startEmulator({ appKeys: [KEY], maxPendingRequests: 3, fetchMetadata: false, requestTimeoutMs: 60000 });
	const edge = await boundEdge(emu.url, "Quiet"); // its responder answers nothing, NotifyPropertyUpdate included
	await until(() => emu.platform.connectionOf("Quiet")?.pendingRequests === 1, undefined, "NotifyPropertyUpdate waits");
	const waiting = [emu.edge.get("Quiet", "a"), emu.edge.get("Quiet", "b")];
	waiting.forEach((p) => p.catch(() => {}));
	await assert.rejects(emu.edge.get("Quiet", "c"), (e: EdgeError) => e.kind === "busy" && /3 requests already wait .* \(maxPendingRequests 3\)/.test(e.message));
	const rest = await fetch(emu.restUrl + "/Things/Quiet/Services/Anything", { method: "POST", headers: { appKey: KEY, "content-type": "application/json" }, body: "{}" });
	assert.equal(rest.status, 503);
	assert.equal(emu.counters().requestsRefusedBusy, 2);
	await edge.close();
	await emu.close();
});

test("an edge that stops reading while the platform sends: closed 1008 at maxBufferedBytes, counted; other edges unaffected", async () => {
	const emu = await startEmulator({ appKeys: [KEY], maxBufferedBytes: 1 << 20, fetchMetadata: false, maxPendingRequests: 1000 });
	const edge = await boundEdge(emu.url, "Deaf");
	const other = await boundEdge(emu.url, "Fine");
	(edge.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // reads nothing from now on
	const text = "x".repeat(100000);
	const params: InfoTable = { fields: [{ name: "text", description: "", baseType: "STRING", aspects: [] }], rows: [[{ type: "STRING", value: text }]] };
	const outcomes: string[] = [];
	for (let i = 0; i < 500 && emu.counters().outboxOverflows === 0; i++) {
		emu.edge.post("Deaf", "Big", params, 60000).then(() => outcomes.push("answered"), (e: Error) => outcomes.push(e.message));
		await new Promise((resolve) => setImmediate(resolve));
	}
	const counters = emu.counters();
	assert.equal(counters.outboxOverflows, 1);
	assert.ok(counters.sendsDropped >= 1);
	await until(() => emu.platform.connectionOf("Deaf") === undefined, undefined, "the deaf edge's connection closed");
	other.responder = () => ({ code: Code.SUCCESS });
	assert.equal((await emu.edge.get("Fine", "x")).code, Code.SUCCESS, "the other edge is served");
	await other.close();
	await emu.close();
});

test("what edges send grows the store only to maxThings things and maxProperties properties a thing; the rest is refused or counted", async () => {
	const emu = await startEmulator({ appKeys: [KEY], maxThings: 2, maxProperties: 3, fetchMetadata: false });
	const edge = await boundEdge(emu.url, "One");
	assert.equal((await edge.bind(["Two"])).code, Code.SUCCESS);
	const refused = await edge.bind(["Three"]);
	assert.equal(refused.code, Code.NOT_FOUND);
	assert.equal(refused.reason, "unknown thing: Three (the store holds its maximum of 2 things (maxThings))");
	assert.equal(emu.store.get("Three"), undefined);
	const pushed = await edge.push("One", [["a", { type: "NUMBER", value: 1 }, 1], ["b", { type: "NUMBER", value: 2 }, 1], ["c", { type: "NUMBER", value: 3 }, 1], ["d", { type: "NUMBER", value: 4 }, 1]]);
	assert.equal(pushed.code, Code.SUCCESS);
	assert.deepEqual([...emu.store.get("One")!.properties.keys()], ["a", "b", "c"]);
	assert.equal(emu.counters().rowsUnbound, 1, "the row of a fourth property counted, not stored");
	await edge.close();
	await emu.close();
});
