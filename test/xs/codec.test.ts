/*
 * The codec on the real XS engine: the rollup bundle of src/protocol, loaded in xsnap, decodes and
 * re-encodes what Node's run of the same code does (captures, docs/protocol.md §10, every base type,
 * malformed input), and its push and request-head paths allocate nothing per message.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { XsWorker } from "../../hal/xs/host";
import { meterWorker, meterWorkerProblem } from "../../hal/xs/meter-worker";
import { ByteWriter, chunkCount, decodeMessage, encodeChunk, encodeMessageToBytes, encodeTypedValue, type TypedValue } from "../../src/protocol/index";
import { captureFrames } from "../protocol/helpers";
import { SteamPush } from "../protocol/fixtures/steam-push";
import { xsBundle } from "./bundles";
import { costPerUnit, describeCost } from "./measure";
import { canonical } from "./suites/canonical";
import type { Outcome } from "./suites/codec";

/** Hex as docs/protocol.md writes it (spaces and `|` between fields). */
const clean = (text: string) => text.replace(/[\s|]/g, "").toLowerCase();
const ascii = (text: string) => Buffer.from(text, "latin1").toString("hex");
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));

/** The same decode on Node, in the suite's Outcome form. */
function nodeDecode(text: string): Outcome {
	try {
		const message = decodeMessage(fromHex(text));
		return { value: canonical(message), hex: message.kind === "chunk" ? undefined : toHex(encodeMessageToBytes(message)) };
	} catch (e) {
		const error = e as Error & { offset?: number; reason?: string };
		return { error: { name: error.name, offset: error.offset, reason: error.reason, message: error.message } };
	}
}

/** Undefined-free JSON, as the outcome looks after crossing from XS. */
const json = (value: unknown) => JSON.parse(JSON.stringify(value));

// docs/protocol.md §10, transcribed from the document.
const SECTION_10: ReadonlyArray<[string, string]> = [
	["10.1 AUTH appKey abc", "01 14 00000001 00000000 ffffffff 00 | 01 | 06 617070 4b6579 | 03 616263"],
	["10.2 AUTH success", "01 40 00000001 00000000 0000beef 00 | 00 | ff"],
	["10.3 BIND SteamSensor", "01 0a 00000002 00000000 0000beef 00 | 00 | 0001 | 0b 537465616d53656e736f72"],
	["10.3 BIND with gateway", "01 0a 00000002 00000000 0000beef 00 | 01 09 4d7947617465776179 06 4d7954797065 | 0001 | 0b 537465616d53656e736f72"],
	["10.4 PUT Temperature = 42.5", `01 02 00000003 00000000 0000beef 00 0a 0b 537465616d53656e736f72 01 0b 54656d7065726174757265 00 05
		01 0b 54656d7065726174757265 00 01 0000 00 01 0001 01 4045400000000000 00`],
	["10.5 success response", "01 40 00000003 00000000 0000beef 00 00 ff"],
	["10.6 error with reason", "01 84 00000007 00000000 0000beef 00 | 01 09 4e6f7420466f756e64 | ff"],
	["10.7 UpdateSubscribedPropertyValues", `01 03 00000004 00000000 0000beef 00 0a 0b 537465616d53656e736f72
		02 1e 5570646174655375627363726962656450726f706572747956616c756573 00 05 01 06 76616c756573 00 05 0000 00
		01 0001 05 01 04 6e616d65 00 00 0000 01 05 76616c7565 00 12 0000 01 04 74696d65 00 03 0000 01 07 7175616c697479 00 00 0000 00
		01 0004 00 0b 54656d7065726174757265 12 01 4045400000000000 03 0000018bcfe56800 00 04 474f4f44 00 00`],
	["10.8 POST NotifyPropertyUpdate", "01 03 000003e9 00000000 0000beef 00 0a 0b 537465616d53656e736f72 02 14 4e6f7469667950726f7065727479557064617465 00 ff"],
	["10.10 reply to GET Temperature", `01 40 000003ea 00000000 0000beef 00 | 00 05 | 01 0b ${ascii("Temperature")} 00 01 0000 00 | 01 0001 01 407a700000000000 | 00`],
	["3.2 error response with 27 trailing zeros", "01 80 00001092 00000000 0000beef 00 00 ff" + "00".repeat(27)],
	["4.3 KEEP_ALIVE", "01 1f 00000005 00000000 0000beef 00"],
];

// One value of every base type the codec writes (§5.2), some at their edges.
const VALUES: TypedValue[] = [
	{ type: "NOTHING", value: null },
	{ type: "STRING", value: "" },
	{ type: "STRING", value: "ünïcödé ✓ 😀" },
	{ type: "STRING", value: "x".repeat(300) }, // the 4-byte length form
	{ type: "NUMBER", value: 42.5 },
	{ type: "NUMBER", value: -0 },
	{ type: "NUMBER", value: Number.NaN },
	{ type: "NUMBER", value: -Infinity },
	{ type: "NUMBER", value: Number.MIN_VALUE },
	{ type: "INTEGER", value: -2147483648 },
	{ type: "INTEGER", value: 2147483647 },
	{ type: "LONG", value: -9007199254740991 },
	{ type: "BOOLEAN", value: true },
	{ type: "BOOLEAN", value: false },
	{ type: "DATETIME", value: 1700000000000 },
	{ type: "DATETIME", value: -86400000 },
	{ type: "LOCATION", value: { longitude: -75.67072, latitude: 40.0573, elevation: 12.5 } },
	{ type: "XML", value: "<a b='1'/>" },
	{ type: "JSON", value: '{"a":[1,2]}' },
	{ type: "QUERY", value: '{"filters":{}}' },
	{ type: "HYPERLINK", value: "https://example.com/" },
	{ type: "IMAGELINK", value: "/img.png" },
	{ type: "PASSWORD", value: "secret" },
	{ type: "HTML", value: "<p>x</p>" },
	{ type: "TEXT", value: "long text" },
	{ type: "TAGS", value: "a:b;c:d" },
	{ type: "GUID", value: "0f8fad5b-d9cb-469f-a165-70867728950e" },
	{ type: "THINGNAME", value: "SteamSensor" },
	{ type: "IMAGE", value: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) },
	{ type: "BLOB", value: new Uint8Array(0) },
	{ type: "BLOB", value: new Uint8Array([1, 2, 3]) },
	{ type: "VARIANT", value: { type: "NUMBER", value: 1 } },
	{ type: "VARIANT", value: { type: "VARIANT", value: { type: "STRING", value: "hi" } } },
	{
		type: "INFOTABLE",
		value: {
			fields: [
				{ name: "a", description: "first", baseType: "NUMBER", aspects: [{ name: "isPrimaryKey", value: { type: "BOOLEAN", value: true } }] },
				{ name: "t", description: "", baseType: "INFOTABLE", aspects: [] },
			],
			rows: [
				[{ type: "NUMBER", value: 1 }, { type: "INFOTABLE", value: { fields: [], rows: [] } }],
				[{ type: "STRING", value: "cell typed differently" }, { type: "NOTHING", value: null }],
			],
		},
	},
];

// §10.12 snippets: the bytes the document states for a value.
const SNIPPETS: ReadonlyArray<[TypedValue, string]> = [
	[{ type: "STRING", value: "Hello World" }, "00 0b 48656c6c6f20576f726c64"],
	[{ type: "INTEGER", value: -2 }, "16 fffffffe"],
	[{ type: "BOOLEAN", value: true }, "02 01"],
	[{ type: "BLOB", value: new Uint8Array([1, 2, 3]) }, "15 00000003 010203"],
	[{ type: "JSON", value: '{"a":1}' }, "08 07 7b2261223a317d"],
	[{ type: "VARIANT", value: { type: "STRING", value: "hi" } }, "12 00 02 6869"],
	[{ type: "NOTHING", value: null }, "ff"],
	[{ type: "STRING", value: "A".repeat(200) }, "00 800000c8" + "41".repeat(200)],
];

/** Every capture frame cut short at a few points, and a few with one byte changed. */
function malformed(frames: string[]): string[] {
	const out: string[] = [];
	for (const frame of frames) {
		const n = frame.length / 2;
		for (const cut of [1, 14, 15, 16, n >> 1, n - 1]) if (cut < n) out.push(frame.slice(0, 2 * cut));
	}
	// Lying lengths, unknown types, garbage after a request, nesting deeper than 8.
	const put = clean(SECTION_10[4]![1]);
	out.push(put.slice(0, 32) + "ff" + put.slice(34)); // entity name length 0xff: past the end
	out.push(put.slice(0, 84) + "00" + put.slice(86)); // params type (byte 42) 0x00 is neither INFOTABLE nor NOTHING
	out.push(put + "00"); // trailing byte after a request
	out.push(put.replace("00010000", "00630000")); // field base type 99: unknown
	let nested = "ff";
	for (let depth = 0; depth < 12; depth++) nested = "12" + nested; // VARIANT of VARIANT ... of NOTHING
	out.push(clean("01 40 00000003 00000000 0000beef 00 00 05 01 01 61 00 12 0000 00 01 0001") + nested + "00");
	return out;
}

describe("codec under XS", () => {
	let worker: XsWorker;
	const frames = captureFrames().map((f) => f.hex);
	let outcomes: Outcome[];

	const call = async <T>(expression: string) => (await worker.evaluateJson<T>(expression)).value;

	before(async () => {
		worker = new XsWorker({ name: "codec", binary: meterWorker() ?? undefined });
		await worker.loadBundle({ name: "codec", source: await xsBundle("xs-codec") });
		outcomes = await call<Outcome[]>(`bundles.codec.decodeFrames(${JSON.stringify(frames)})`);
	});

	after(async () => {
		await worker.close();
	});

	test("every capture frame decodes as on Node and re-encodes byte-identically", () => {
		assert.equal(outcomes.length, 50);
		outcomes.forEach((outcome, i) => {
			assert.deepEqual(outcome, json(nodeDecode(frames[i]!)), `capture frame ${i}`);
			assert.equal((outcome as { hex: string }).hex, frames[i], `capture frame ${i} re-encoded`);
		});
	});

	test("docs/protocol.md §10 worked messages decode as on Node, with the stated values, and re-encode", async () => {
		const texts = SECTION_10.map(([, text]) => clean(text));
		const results = await call<Outcome[]>(`bundles.codec.decodeFrames(${JSON.stringify(texts)})`);
		results.forEach((outcome, i) => {
			const [what] = SECTION_10[i]!;
			assert.ok("value" in outcome, `${what}: ${JSON.stringify(outcome)}`);
			assert.deepEqual(outcome, json(nodeDecode(texts[i]!)), what);
			assert.equal(outcome.hex, texts[i], `${what} re-encoded`);
		});
		const value = (i: number) => (results[i] as { value: any }).value;
		assert.deepEqual(value(0).claims, [["appKey", "abc"]]);
		assert.deepEqual(value(3).gateway, { name: "MyGateway", type: "MyType" });
		assert.deepEqual(value(4).params.rows, [[{ type: "NUMBER", value: 42.5 }]]);
		assert.equal(value(6).reason, "Not Found");
		assert.deepEqual(value(7).params.rows[0][0].value.rows[0], [
			{ type: "STRING", value: "Temperature" },
			{ type: "VARIANT", value: { type: "NUMBER", value: 42.5 } },
			{ type: "DATETIME", value: 1700000000000 },
			{ type: "STRING", value: "GOOD" },
		]);
		assert.deepEqual(value(9).content.rows, [[{ type: "NUMBER", value: 423 }]]);
		assert.equal(value(10).trailing, 27);
		assert.equal(value(11).kind, "keepalive");
	});

	test("PushWriter under XS writes §10.7 byte for byte, and the SteamSensor push as Node does", async () => {
		const { steam, one } = await call<{ steam: string; one: string }>("bundles.codec.pushes(4, 0xbeef, 1795245718363)");
		assert.equal(one, clean(SECTION_10[7]![1]));
		const w = new ByteWriter(new Uint8Array(2048));
		const length = new SteamPush().write(w, 4, 0xbeef, 1795245718363);
		assert.equal(steam, toHex(w.buffer.subarray(0, length)));
	});

	test("every base type round-trips under XS with Node's bytes; §10.12 snippets are exact", async () => {
		const results = await call<Outcome[]>(`bundles.codec.roundTripValues(${JSON.stringify(VALUES.map(canonical))})`);
		results.forEach((outcome, i) => {
			const w = new ByteWriter(new Uint8Array(65536));
			encodeTypedValue(w, VALUES[i]!);
			assert.deepEqual(outcome, json({ value: canonical(VALUES[i]), hex: toHex(w.buffer.subarray(0, w.position)) }), `${VALUES[i]!.type} #${i}`);
		});
		const snippets = await call<Outcome[]>(`bundles.codec.roundTripValues(${JSON.stringify(SNIPPETS.map(([v]) => canonical(v)))})`);
		snippets.forEach((outcome, i) => assert.equal((outcome as { hex: string }).hex, clean(SNIPPETS[i]![1]), JSON.stringify(SNIPPETS[i]![0])));
		const rejected = await call<Outcome[]>(`bundles.codec.roundTripValues([{ type: "TIMESPAN", value: 1 }, { type: "SCHEDULE", value: "x" }])`);
		for (const outcome of rejected) assert.equal("error" in outcome && outcome.error.name, "EncodeError");
	});

	test("malformed input: XS gives Node's typed error (offset and reason) and nothing else", async () => {
		const inputs = malformed(frames);
		const results = await call<Outcome[]>(`bundles.codec.decodeFrames(${JSON.stringify(inputs)})`);
		let errors = 0;
		results.forEach((outcome, i) => {
			assert.deepEqual(outcome, json(nodeDecode(inputs[i]!)), `malformed input ${i}: ${inputs[i]!.slice(0, 60)}`);
			if ("error" in outcome) {
				assert.equal(outcome.error.name, "DecodeError", `input ${i}: ${outcome.error.message}`);
				assert.ok(Number.isInteger(outcome.error.offset) && outcome.error.reason, `input ${i} has offset and reason`);
				errors++;
			}
		});
		// Cuts inside the 15-byte header and the hand-made cases above must all fail.
		const mustFail = inputs.map((text, i) => [text, i] as const).filter(([text, i]) => text.length / 2 < 15 || i >= inputs.length - 5);
		for (const [, i] of mustFail) assert.ok("error" in results[i]!, `input ${i} must be a DecodeError`);
		assert.ok(errors >= mustFail.length && errors > results.length / 2, `${errors} of ${results.length} rejected`);
		const values = await call<Outcome[]>(`bundles.codec.decodeValues(["63", "00 05 41", "15 ffffffff 00", "06 00"].map((t) => t.replace(/ /g, "")))`);
		for (const outcome of values) assert.equal("error" in outcome && outcome.error.name, "DecodeError", JSON.stringify(outcome));
	});

	test("readRequestHead under XS: the §10.4 PUT's head without decoding it", async () => {
		const put = clean(SECTION_10[4]![1]);
		const outcome = await call<Outcome>(`bundles.codec.requestHead(${JSON.stringify(put)}, "SteamSensor", "Temperature")`);
		assert.ok("value" in outcome, JSON.stringify(outcome));
		const head = outcome.value as Record<string, number | boolean>;
		assert.deepEqual(
			[head.code, head.requestId, head.endpointId, head.sessionId, head.entityType, head.characteristicType, head.entityIs, head.characteristicIs],
			[2, 3, 0, 0xbeef, 0x0a, 1, true, true],
		);
		assert.equal(put.slice(2 * (head.paramsOffset as number), 2 * (head.paramsOffset as number) + 2), "05", "params offset at the INFOTABLE byte");
		const other = await call<Outcome>(`bundles.codec.requestHead(${JSON.stringify(put)}, "SteamSensor", "Pressure")`);
		assert.equal((other as { value: { characteristicIs: boolean } }).value.characteristicIs, false);
		const truncated = await call<Outcome>(`bundles.codec.requestHead(${JSON.stringify(put.slice(0, 40))}, "a", "b")`);
		assert.equal("error" in truncated && truncated.error.name, "DecodeError");
	});

	test("multipart: XS splits a 10 000-character response like Node and reassembles it in any order", async () => {
		const message = encodeMessageToBytes({
			kind: "response", version: 1, code: 0x40, requestId: 77, endpointId: 0, sessionId: 0xbeef, reason: null, contentType: 5, trailing: 0,
			content: { fields: [{ name: "result", description: "", baseType: "STRING", aspects: [] }], rows: [[{ type: "STRING", value: "The quick brown fox. ".repeat(476) }]] },
		});
		const size = 8192;
		const nodeChunks: string[] = [];
		const into = new Uint8Array(size);
		for (let k = 1; k <= chunkCount(message, message.length, size); k++) nodeChunks.push(toHex(into.subarray(0, encodeChunk(message, message.length, k, size, into, 0))));
		assert.equal(nodeChunks.length, 2);
		const result = await call<{ chunks: string[]; reassembled: string; pending: number }>(`bundles.codec.multipart(${JSON.stringify(toHex(message))}, ${size}, [1, 0])`);
		assert.deepEqual(result.chunks, nodeChunks);
		assert.equal(result.reassembled, toHex(message));
		assert.equal(result.pending, 0);
	});

	test("no allocation per push or per request head under XS", async (t) => {
		await worker.loadBundle({ name: "bench", source: await xsBundle("xs-codec-bench") });
		if (!meterWorker()) t.diagnostic(`chunk meter unavailable (${meterWorkerProblem()}): slots only`);
		const push = await costPerUnit(worker, "bundles.bench.encodePushes(N)", 500);
		const head = await costPerUnit(worker, "bundles.bench.readPutHeads(N)", 500);
		t.diagnostic(`push: ${describeCost(push)}`);
		t.diagnostic(`PUT head: ${describeCost(head)}`);
		for (const [what, cost] of [["push", push], ["PUT head", head]] as const) {
			assert.equal(cost.gcDuringRun, false, `${what}: no collection inside the loop, so the counts are exact`);
			assert.equal(cost.slots, 0, `${what}: slots per message`);
			if (cost.chunks !== null) assert.equal(cost.chunks, 0, `${what}: chunk bytes per message`);
			assert.equal(cost.allocate, 0, `${what}: xsnap allocate meter per message`);
			assert.ok(cost.compute > 0);
		}
		// The meters do see allocation: decoding the PUT's params into the model allocates every time.
		const params = await costPerUnit(worker, "bundles.bench.decodePutParams(N)", 100);
		t.diagnostic(`PUT params to the model: ${describeCost(params)}`);
		assert.ok(params.slots > 0);
	});
});
