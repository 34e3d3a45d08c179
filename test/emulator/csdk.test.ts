/*
 * The real ThingWorx C SDK 2.2.1 SteamSensor against the emulator over wss:// (the SDK encrypts on
 * any port but 80/8080, with certificate validation off in the example) with permessage-deflate:
 * it connects, synchronizes, pushes and fires events; AddNumbers, GetBigString (a multipart reply),
 * a 20 KB PUT (multipart to the edge) and a binding edit (re-synchronization) go through REST, and
 * its split bug near the chunk limit (§1.3) is provoked and answered as designed.
 * Needs a C SDK SteamSensor binary, built outside this repository (no C SDK code or build recipe is kept here), named by TWX_CSDK_STEAMSENSOR;
 * skipped, saying so, otherwise.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Code } from "../../src/protocol";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../emulator";
import { until } from "./scripted-edge";

const BINARY = process.env.TWX_CSDK_STEAMSENSOR ?? "";
function why(): string | false {
	if (!BINARY) return "TWX_CSDK_STEAMSENSOR is not set (path of a C SDK SteamSensor binary built outside this repository): C SDK interop test not run";
	try {
		accessSync(BINARY, constants.X_OK);
	} catch {
		return `${BINARY} is not an executable: C SDK interop test not run`;
	}
	return spawnSync("openssl", ["version"]).status === 0 ? false : "openssl is not installed: C SDK interop test not run";
}

/** A REST call trusting the test's self-signed certificate (fetch cannot be given a CA). */
function rest(method: string, url: string, body: unknown, key: string, ca: Buffer): Promise<{ status: number; json: any }> {
	return new Promise((resolve, reject) => {
		const req = request(url, { method, ca, headers: { appKey: key, Accept: "application/json", "Content-Type": "application/json" } }, (res) => {
			let text = "";
			res.on("data", (chunk) => (text += chunk));
			res.on("end", () => resolve({ status: res.statusCode ?? 0, json: text.startsWith("{") ? JSON.parse(text) : null }));
		});
		req.on("error", reject);
		req.end(JSON.stringify(body));
	});
}

/** The SteamSensor parses its port into an int16_t: stay below 32768. */
async function emulatorBelow32768(options: EmulatorOptions): Promise<Emulator> {
	for (let attempt = 0; ; attempt++) {
		try {
			return await startEmulator({ ...options, port: 20000 + Math.floor(Math.random() * 12000) });
		} catch (error) {
			if ((error as { code?: string }).code !== "EADDRINUSE" || attempt > 10) throw error;
		}
	}
}

test("the C SDK's SteamSensor works against the emulator (wss, deflate)", { skip: why() }, async (t) => {
	const dir = mkdtempSync(join(tmpdir(), "twx-csdk-"));
	t.after(() => rmSync(dir, { recursive: true, force: true }));
	const [certFile, keyFile] = [join(dir, "cert.pem"), join(dir, "key.pem")];
	assert.equal(spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]).status, 0);
	const key = "csdk-interop-key";
	const emulator = await emulatorBelow32768({ appKeys: [key], tls: { cert: readFileSync(certFile), key: readFileSync(keyFile) }, requestTimeoutMs: 5000 });
	t.after(() => emulator.close());
	const log = openSync(join(dir, "sdk.log"), "w");
	const sdk = spawn(BINARY, ["127.0.0.1", String(emulator.port), key, "SteamSensor"], { cwd: dir, stdio: ["ignore", log, log] });
	t.after(() => sdk.kill("SIGKILL"));

	// connect (after the SDK's random 0-10 s delay), AUTH, BIND, NotifyPropertyUpdate, GetMetadata, GetPropertySubscriptions, pushes
	await until(() => emulator.store.get("SteamSensor")?.synchronized === true && emulator.store.get("SteamSensor")?.properties.get("Temperature")?.current !== null, 30000, "the C SDK to synchronize and push");
	const thing = emulator.store.get("SteamSensor");
	assert.ok(thing?.isConnected);
	assert.equal(emulator.platform.connectionOf("SteamSensor")?.deflate, true, "permessage-deflate negotiated");
	assert.ok(thing?.metadata?.services.has("AddNumbers"));
	assert.deepEqual(thing?.boundProperties().map((p) => p.name), ["FaultStatus", "InletValve", "Location", "Logfile", "Pressure", "Temperature", "TemperatureLimit", "TotalFlow"]);
	assert.equal(thing?.properties.get("TemperatureLimit")?.current?.value.value, 435);

	const ca = readFileSync(certFile);
	const base = `${emulator.restUrl}/Things/SteamSensor`;
	const post = (service: string, body: unknown) => rest("POST", `${base}/Services/${service}`, body, key, ca);
	const put = (property: string, value: unknown) => rest("PUT", `${base}/Properties/${property}`, { [property]: value }, key, ca);

	assert.deepEqual((await post("AddNumbers", { a: 1.5, b: 2 })).json.rows, [{ result: 3.5 }]);
	const big = await post("GetBigString", {});
	assert.ok(big.json.rows[0].result.length > 8192, "a multipart reply, reassembled");
	assert.ok(emulator.counters().multipartReassembled >= 1);
	assert.equal((await post("GetSteamSensorReadings", {})).json.rows.length, 3);
	assert.equal((await post("NoSuchService", {})).status, 404);

	assert.equal((await put("TemperatureLimit", 42.5)).status, 200);
	await until(() => thing?.events.size > 0, 15000, "SteamSensorFault events once Temperature exceeds the new limit");
	assert.match(String(thing?.events.last()?.data?.rows[0][0].value), /exceeds threshold of 42.50/);

	assert.equal((await put("Logfile", "L".repeat(20000))).status, 200, "a 20 KB PUT, chunked to the edge, accepted");
	assert.ok(emulator.counters().multipartSent >= 1);

	// The SDK pushes the written Logfile back. With deflate its push body lands in the split window
	// (8154..8171 bytes for an 11-character thing name, docs/protocol.md §1.3) for 8010..8027 characters:
	// two non-multipart messages with one request id, the first truncated.
	assert.equal((await put("Logfile", "L".repeat(8016))).status, 200);
	await until(() => emulator.counters().splitBugTails === 1, 10000, "the SDK's mis-split push");
	assert.equal(emulator.counters().malformedMessages, 1, "the truncated first part, answered BAD_REQUEST");

	const transitions: boolean[] = [];
	emulator.store.on((change) => {
		if (change.kind === "thing" && change.thing === thing && transitions[transitions.length - 1] !== thing.synchronized) transitions.push(thing.synchronized);
	});
	assert.equal((await post("SetRemotePropertyBinding", { propertyName: "Temperature", pushType: "VALUE", pushThreshold: 5 })).status, 200);
	await until(() => transitions.join() === "false,true", 10000, "re-synchronization after the binding edit");

	const read = await emulator.edge.get("SteamSensor", "Temperature");
	assert.equal(read.code, Code.SUCCESS);
	assert.equal(read.content?.fields[0].name, "Temperature");

	const counters = emulator.counters();
	assert.equal(counters.malformedResponses + counters.internalErrors + counters.rowsUnbound, 0);
	assert.equal(counters.malformedMessages, counters.splitBugTails, "nothing malformed but the split pushes");
	sdk.kill("SIGTERM");
	await until(() => thing?.isConnected === false, 5000, "the thing to disconnect");
});
