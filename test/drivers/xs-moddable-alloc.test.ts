// hal/moddable over TLS under real XS (xsnap, XS 13.3), the SDK's modules replaced by the fakes of
// test/drivers/moddable: the SteamSensor app as shipped (the client's defaults, pings on; log level
// info) allocates nothing per scan cycle, per platform GET and per platform PUT of a NUMBER and of a
// BOOLEAN, TLS chunks read as SecureSocket hands them over. The platform is played inside XS by the
// stand-in's peer, which allocates nothing per message (test/xs/suites/moddable-steady.ts), so the
// meters see hal/moddable, the client and the app alone. Runs of N, 2N, N units (test/xs/measure.ts).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { XsWorker } from "../../hal/xs/host";
import { meterWorker, meterWorkerProblem } from "../../hal/xs/meter-worker";
import { decodeMessage, encodeMessageToBytes } from "../../src/protocol/index";
import type { RequestMessage } from "../../src/protocol/model";
import { platformFrame } from "../thing/capture";
import { xsBundle } from "../xs/bundles";
import { costPerUnit, describeCost } from "../xs/measure";

/** The SUCCESS the C SDK's platform answers with (test/fixtures/steamsensor-session.jsonl), its request id patched per answer. */
const SUCCESS = "014000000000000000000000beef0000ff";
/** Scan cycles per unit: a minute of them holds at least one of the client's pings (its default interval is under a minute). */
const CYCLES_PER_UNIT = 12;

interface Report {
	requests: number;
	pings: number;
	answers: number;
	lastAnswerCode: number;
	pushes: number;
	pushesAcknowledged: number;
	pushFailures: number;
	state: string;
	temperatureLimit: unknown;
	faultStatus: unknown;
}

/** The captured PUT of TemperatureLimit made a PUT of FaultStatus = false (no capture has a BOOLEAN PUT). */
function booleanPut(): string {
	const put = decodeMessage(new Uint8Array(Buffer.from(platformFrame("PUT property TemperatureLimit"), "hex"))) as RequestMessage;
	const message: RequestMessage = {
		...put,
		characteristicName: "FaultStatus",
		params: { fields: [{ name: "FaultStatus", description: "", baseType: "BOOLEAN", aspects: [] }], rows: [[{ type: "BOOLEAN", value: false }]] },
	};
	return Buffer.from(encodeMessageToBytes(message)).toString("hex");
}

let worker: XsWorker;
const report = async () => JSON.parse((await worker.evaluateJson<string>("bundles.steady.report()")).value) as Report;

before(async () => {
	const binary = meterWorker();
	worker = new XsWorker({ name: "moddable-steady", binary: binary ?? undefined });
	await worker.loadBundle({ name: "steady", source: await xsBundle("xs-moddable-steady") });
	const messages = [SUCCESS, platformFrame("POST NotifyPropertyUpdate"), platformFrame("GET property Temperature"), platformFrame("PUT property TemperatureLimit"), booleanPut()];
	const { value } = await worker.evaluateJson<string>(`bundles.steady.setup(${messages.map((m) => JSON.stringify(m)).join(", ")})`);
	assert.equal(value, "connected synchronized, pushes answered: 1");
});

after(async () => {
	await worker?.close();
});

test("under XS: hal/moddable over TLS, the app as shipped: a minute of scan cycles (pings on) allocates nothing", async (t) => {
	if (!meterWorker()) t.diagnostic(`chunk bytes not measured: ${meterWorkerProblem()}`);
	const before = await report();
	const units = 3;
	const cost = await costPerUnit(worker, `bundles.steady.cycles(N * ${CYCLES_PER_UNIT})`, units);
	t.diagnostic(`per minute of cycles: ${describeCost(cost)}`);
	const after = await report();
	const cycles = 5 * units * CYCLES_PER_UNIT; // warm-up, N, 2N, N
	assert.equal(after.pushesAcknowledged - before.pushesAcknowledged, cycles, "one push per cycle, each answered");
	assert.equal(after.pushFailures, 0);
	assert.ok(after.pings - before.pings >= 5 * units, `the client pinged at least once a minute (${after.pings - before.pings} pings)`);
	assert.equal(after.state, "connected");
	assert.equal(cost.gcDuringRun, false, "no collection inside the runs: the counts are exact");
	assert.equal(cost.slots, 0, "slots per minute of cycles");
	if (cost.chunks !== null) assert.equal(cost.chunks, 0, "chunk bytes per minute of cycles");
});

for (const [which, what] of [[0, "a platform GET of Temperature"], [1, "a platform PUT of a NUMBER (TemperatureLimit)"], [2, "a platform PUT of a BOOLEAN (FaultStatus)"]] as const) {
	test(`under XS: hal/moddable over TLS: ${what} allocates nothing`, async (t) => {
		const before = await report();
		const units = 50;
		const cost = await costPerUnit(worker, `bundles.steady.asks(${which}, N)`, units);
		t.diagnostic(describeCost(cost));
		const after = await report();
		assert.equal(after.answers - before.answers, 5 * units, "every request answered");
		assert.equal(after.lastAnswerCode, 0x40, "SUCCESS");
		if (which === 1) assert.equal(after.temperatureLimit, 42.5, "the PUT set the property");
		if (which === 2) assert.equal(after.faultStatus, false);
		assert.equal(cost.gcDuringRun, false, "no collection inside the runs: the counts are exact");
		assert.equal(cost.slots, 0, "slots per request");
		if (cost.chunks !== null) assert.equal(cost.chunks, 0, "chunk bytes per request");
	});
}
