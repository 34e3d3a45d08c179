/*
 * The real ThingWorx C SDK 2.2.1 SteamSensor against the emulator, in the mode its build speaks:
 * - a TLS build (TWX_CSDK_STEAMSENSOR): wss:// (the example encrypts on any port but 80/8080, with
 *   certificate validation off), checked with a throw-away self-signed certificate;
 * - a build without TLS (TWX_CSDK_STEAMSENSOR_NOTLS; the SDK's simplest build, its example compiled
 *   with NO_TLS): ws://.
 * Either way with permessage-deflate: it connects, synchronizes, pushes and fires events; AddNumbers,
 * GetBigString (a multipart reply), a 20 KB PUT (multipart to the edge) and a binding edit
 * (re-synchronization) go through REST, and its split bug near the chunk limit (§1.3) is provoked and
 * answered as designed. The binaries are built outside this repository (no C SDK code or build recipe
 * is kept here); each test says in one line which mode it ran, and is skipped, saying why, without one.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Code } from "../../src/protocol";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../emulator";
import { until } from "./scripted-edge";

export type CsdkMode = "wss" | "ws";

/** Which binary runs in which mode: the environment variable that names it. */
export const CSDK_BINARIES: Readonly<Record<CsdkMode, string>> = { wss: "TWX_CSDK_STEAMSENSOR", ws: "TWX_CSDK_STEAMSENSOR_NOTLS" };

/** Why the interop test in `mode` cannot run here (and how to enable it), or false. */
export function whyNot(mode: CsdkMode, env: NodeJS.ProcessEnv = process.env, hasOpenssl = () => spawnSync("openssl", ["version"]).status === 0): string | false {
	const variable = CSDK_BINARIES[mode];
	const binary = env[variable] ?? "";
	const build = mode === "wss" ? "a C SDK SteamSensor binary built with TLS" : "a C SDK SteamSensor binary built without TLS";
	if (!binary) return `${variable} is not set: set it to the path of ${build} (outside this repository) to run the ${mode}:// interop test`;
	try {
		accessSync(binary, constants.X_OK);
	} catch {
		return `${variable}=${binary} is not an executable: point it at ${build}`;
	}
	if (mode === "wss" && !hasOpenssl()) return "openssl is not installed (apt-get install openssl): the wss:// interop test needs it for a test certificate";
	return false;
}

/**
 * How one run is set up: the emulator's TLS (wss only), the SDK's arguments in its example's order
 * (<host> <port> <appKey> <thingName>), and the one line that says which mode ran.
 */
export function csdkRun(mode: CsdkMode, port: number, appKey: string, tls: { cert: Buffer; key: Buffer } | null): { emulatorTls: { cert: Buffer; key: Buffer } | undefined; args: string[]; line: string } {
	if (mode === "wss" && !tls) throw new Error("the wss:// run needs a certificate");
	// The TLS build of the example turns encryption off on 80 and 8080: the wss:// run must avoid them.
	if (mode === "wss" && (port === 80 || port === 8080)) throw new Error(`port ${port} makes the TLS build speak ws://`);
	return {
		emulatorTls: mode === "wss" ? tls! : undefined,
		args: ["127.0.0.1", String(port), appKey, "SteamSensor"],
		line: `C SDK interop ran in ${mode}:// mode (${mode === "wss" ? "TLS build, self-signed certificate" : "build without TLS"}) against ${mode}://127.0.0.1:${port}/Thingworx/WS`,
	};
}

/** A REST call, trusting the test's self-signed certificate over https (fetch cannot be given a CA). */
function rest(method: string, url: string, body: unknown, key: string, ca: Buffer | null): Promise<{ status: number; json: any }> {
	return new Promise((resolve, reject) => {
		const request = ca ? httpsRequest : httpRequest;
		const req = request(url, { method, ...(ca ? { ca } : {}), headers: { appKey: key, Accept: "application/json", "Content-Type": "application/json" } }, (res) => {
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

async function interop(t: import("node:test").TestContext, mode: CsdkMode): Promise<void> {
	const dir = mkdtempSync(join(tmpdir(), "twx-csdk-"));
	t.after(() => rmSync(dir, { recursive: true, force: true }));
	let certificate: { cert: Buffer; key: Buffer } | null = null;
	if (mode === "wss") {
		const [certFile, keyFile] = [join(dir, "cert.pem"), join(dir, "key.pem")];
		assert.equal(spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]).status, 0);
		certificate = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
	}
	const key = "csdk-interop-key";
	const emulator = await emulatorBelow32768({ appKeys: [key], tls: certificate ?? undefined });
	t.after(() => emulator.close());
	const run = csdkRun(mode, emulator.port, key, certificate);
	assert.equal(emulator.url.startsWith(mode + "://"), true, emulator.url);
	console.log(run.line);
	t.diagnostic(run.line);
	const log = openSync(join(dir, "sdk.log"), "w");
	const sdk = spawn(process.env[CSDK_BINARIES[mode]]!, run.args, { cwd: dir, stdio: ["ignore", log, log] });
	t.after(() => sdk.kill("SIGKILL"));

	// connect (after the SDK's random 0-10 s delay), AUTH, BIND, NotifyPropertyUpdate, GetMetadata, GetPropertySubscriptions, pushes
	await until(() => emulator.store.get("SteamSensor")?.synchronized === true && emulator.store.get("SteamSensor")?.properties.get("Temperature")?.current !== null, undefined, "the C SDK to synchronize and push");
	const thing = emulator.store.get("SteamSensor");
	assert.ok(thing?.isConnected);
	assert.equal(emulator.platform.connectionOf("SteamSensor")?.deflate, true, "permessage-deflate negotiated");
	assert.ok(thing?.metadata?.services.has("AddNumbers"));
	assert.deepEqual(thing?.boundProperties().map((p) => p.name), ["FaultStatus", "InletValve", "Location", "Logfile", "Pressure", "Temperature", "TemperatureLimit", "TotalFlow"]);
	assert.equal(thing?.properties.get("TemperatureLimit")?.current?.value.value, 435);

	const ca = certificate ? certificate.cert : null;
	const base = `${emulator.restUrl}/Things/SteamSensor`;
	const post = (service: string, body: unknown) => rest("POST", `${base}/Services/${service}`, body, key, ca);
	const put = (property: string, value: unknown) => rest("PUT", `${base}/Properties/${property}`, { [property]: value }, key, ca);

	assert.deepEqual((await post("AddNumbers", { a: 1.5, b: 2 })).json.rows, [{ result: 3.5 }]);
	const big = await post("GetBigString", {});
	assert.ok(big.json.rows[0].result.length > 8192, "a multipart reply, reassembled");
	assert.ok(emulator.counters().multipartReassembled >= 1);
	assert.equal((await post("GetSteamSensorReadings", {})).json.rows.length, 3);
	assert.equal((await post("NoSuchService", {})).status, 404);

	// Faults against the start-up limit (435) may be there too: select one fired against the new limit.
	assert.equal((await put("TemperatureLimit", 42.5)).status, 200);
	const faults = () => thing!.events.toArray().map((e) => String(e.data?.rows[0][0].value));
	await until(() => faults().some((m) => m.endsWith("threshold of 42.50")), undefined, "SteamSensorFault events once Temperature exceeds the new limit");
	assert.match(faults().find((m) => m.endsWith("threshold of 42.50"))!, /^SteamSensor Temperature 4\d\d\.\d\d exceeds threshold of 42\.50$/);

	assert.equal((await put("Logfile", "L".repeat(20000))).status, 200, "a 20 KB PUT, chunked to the edge, accepted");
	assert.ok(emulator.counters().multipartSent >= 1);

	// The SDK pushes the written Logfile back. With deflate its push body lands in the split window
	// (8154..8171 bytes for an 11-character thing name, docs/protocol.md §1.3) for 8010..8027 characters:
	// two non-multipart messages with one request id, the first truncated.
	assert.equal((await put("Logfile", "L".repeat(8016))).status, 200);
	await until(() => emulator.counters().splitBugTails === 1, undefined, "the SDK's mis-split push");
	assert.equal(emulator.counters().malformedMessages, 1, "the truncated first part, answered BAD_REQUEST");

	const transitions: boolean[] = [];
	emulator.store.on((change) => {
		if (change.kind === "thing" && change.thing === thing && transitions[transitions.length - 1] !== thing.synchronized) transitions.push(thing.synchronized);
	});
	assert.equal((await post("SetRemotePropertyBinding", { propertyName: "Temperature", pushType: "VALUE", pushThreshold: 5 })).status, 200);
	await until(() => transitions.join() === "false,true", undefined, "re-synchronization after the binding edit");

	const read = await emulator.edge.get("SteamSensor", "Temperature");
	assert.equal(read.code, Code.SUCCESS);
	assert.equal(read.content?.fields[0].name, "Temperature");

	const counters = emulator.counters();
	assert.equal(counters.malformedResponses + counters.internalErrors + counters.rowsUnbound, 0);
	assert.equal(counters.malformedMessages, counters.splitBugTails, "nothing malformed but the split pushes");
	sdk.kill("SIGTERM");
	await until(() => thing?.isConnected === false, undefined, "the thing to disconnect");
}

for (const mode of ["wss", "ws"] as const) {
	test(`the C SDK's SteamSensor works against the emulator (${mode}://, deflate)`, { skip: whyNot(mode) }, (t) => interop(t, mode));
}

test("the interop run's mode: wss:// for the TLS build, ws:// for the build without TLS, each named by its own variable", () => {
	const tls = { cert: Buffer.from("c"), key: Buffer.from("k") };
	const wss = csdkRun("wss", 23456, "k1", tls);
	assert.equal(wss.emulatorTls, tls);
	assert.deepEqual(wss.args, ["127.0.0.1", "23456", "k1", "SteamSensor"]);
	assert.match(wss.line, /^C SDK interop ran in wss:\/\/ mode \(TLS build/);
	const ws = csdkRun("ws", 23456, "k1", null);
	assert.equal(ws.emulatorTls, undefined);
	assert.deepEqual(ws.args, wss.args);
	assert.match(ws.line, /^C SDK interop ran in ws:\/\/ mode \(build without TLS\) against ws:\/\/127\.0\.0\.1:23456\//);
	assert.throws(() => csdkRun("wss", 23456, "k1", null), /certificate/);
	assert.throws(() => csdkRun("wss", 8080, "k1", tls), /ws:\/\//);

	const executable = process.execPath;
	const noOpenssl = () => false;
	assert.match(whyNot("ws", {}) as string, /^TWX_CSDK_STEAMSENSOR_NOTLS is not set: .*without TLS/);
	assert.match(whyNot("wss", {}) as string, /^TWX_CSDK_STEAMSENSOR is not set: .*with TLS/);
	assert.equal(whyNot("ws", { TWX_CSDK_STEAMSENSOR_NOTLS: executable }, noOpenssl), false, "ws:// needs no openssl");
	assert.match(whyNot("wss", { TWX_CSDK_STEAMSENSOR: executable }, noOpenssl) as string, /openssl/);
	assert.equal(whyNot("wss", { TWX_CSDK_STEAMSENSOR: executable }, () => true), false);
	assert.match(whyNot("ws", { TWX_CSDK_STEAMSENSOR_NOTLS: "/nonexistent/steam" }) as string, /not an executable/);
});
