/*
 * `twx emulator` as a person runs it: the URLs and the key printed once on stdout, the log on stderr
 * never showing the key, a generated key when none is given, TLS with --tls CERT,KEY, a clean stop
 * on SIGINT.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Code } from "../../src/protocol";
import { json, ScriptedEdge, vtqTable } from "./scripted-edge";

interface Running {
	child: ChildProcess;
	lines: Record<string, string>;
	stdout: () => string;
	stderr: () => string;
}

/** Starts `twx emulator` and waits for its banner. */
async function run(args: string[]): Promise<Running> {
	const child = spawn(process.execPath, ["bin/twx.mjs", "emulator", "--port", "0", "--log-level", "debug", ...args], { stdio: ["ignore", "pipe", "pipe"] });
	let out = "";
	let err = "";
	child.stderr?.on("data", (chunk) => (err += chunk));
	await new Promise<void>((resolve, reject) => {
		child.stdout?.on("data", (chunk) => {
			out += chunk;
			if (out.includes("App key")) resolve();
		});
		child.once("exit", (code) => reject(new Error(`exited ${code}: ${err}`)));
	});
	const lines = Object.fromEntries(out.split("\n").filter((l) => l.startsWith("  ")).map((l) => [l.trim().split(/\s{2,}/)[0], l.trim().split(/\s{2,}/)[1]]));
	return { child, lines, stdout: () => out, stderr: () => err };
}

async function stop(running: Running): Promise<number | null> {
	running.child.kill("SIGINT");
	return new Promise((resolve) => running.child.once("exit", (code) => resolve(code)));
}

test("twx emulator: given key printed once, never logged; edges and REST work; SIGINT stops it cleanly", async () => {
	const key = "cli-given-key-93a1";
	const running = await run(["--app-key", key]);
	assert.match(running.lines.AlwaysOn, /^ws:\/\/127\.0\.0\.1:\d+\/Thingworx\/WS$/);
	assert.match(running.lines.Dashboard, /\/dashboard\/#token=/);
	assert.equal(running.lines["App key"], key);
	const edge = await ScriptedEdge.connect(running.lines.AlwaysOn);
	edge.responder = () => ({ code: Code.SUCCESS });
	assert.equal((await edge.auth(key)).code, Code.SUCCESS);
	await edge.bind(["CliThing"]);
	await edge.push("CliThing", [["Level", { type: "NUMBER", value: 5 }, 1]]);
	const level = await json(fetch(`${running.lines.REST}/Things/CliThing/Properties/Level`, { headers: { appKey: key } }));
	assert.deepEqual(level.rows, [{ Level: 5 }]);
	await edge.close();
	assert.equal(await stop(running), 0);
	assert.equal(running.stdout().split(key).length - 1, 1, "the key is printed exactly once");
	assert.ok(running.stderr().includes("authenticated"), "the log is on stderr");
	assert.ok(!running.stderr().includes(key), "the log never shows the key");
});

test("twx emulator: without --app-key a random key is generated; bad options exit 2", async () => {
	const running = await run([]);
	const key = running.lines["App key"];
	assert.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
	assert.equal((await fetch(`${running.lines.REST}/Things`, { headers: { appKey: key } })).status, 200);
	assert.equal(await stop(running), 0);
	const bad = spawnSync(process.execPath, ["bin/twx.mjs", "emulator", "--bind-policy", "sometimes"], { encoding: "utf8" });
	assert.equal(bad.status, 2);
	assert.match(bad.stderr, /--bind-policy must be/);
});

const openssl = spawnSync("openssl", ["version"]).status === 0;

test("twx emulator --tls CERT,KEY serves wss:// and https://", { skip: openssl ? false : "openssl is not installed (apt-get install openssl): TLS test not run" }, async (t) => {
	const dir = mkdtempSync(join(tmpdir(), "twx-tls-"));
	t.after(() => rmSync(dir, { recursive: true, force: true }));
	const [cert, keyFile] = [join(dir, "cert.pem"), join(dir, "key.pem")];
	const made = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]);
	assert.equal(made.status, 0, made.stderr?.toString());
	const key = "tls-key-1";
	const running = await run(["--app-key", key, "--tls", `${cert},${keyFile}`]);
	t.after(() => running.child.kill("SIGKILL"));
	assert.match(running.lines.AlwaysOn, /^wss:\/\//);
	const ca = readFileSync(cert);
	const edge = await ScriptedEdge.connect(running.lines.AlwaysOn, { ca, deflate: true });
	assert.equal((await edge.auth(key)).code, Code.SUCCESS);
	await edge.close();
	const status = await new Promise<number | undefined>((resolve, reject) => {
		request(`${running.lines.REST}/Things`, { ca, headers: { appKey: key } }, (res) => {
			res.resume();
			resolve(res.statusCode);
		}).on("error", reject).end();
	});
	assert.equal(status, 200);
	assert.equal(await stop(running), 0);
});

test("twx emulator --wedge THING=MODE wedges every connection that binds THING; a bad --wedge exits 2", async () => {
	const key = "cli-wedge-key-71c2";
	const running = await run(["--app-key", key, "--wedge", "Stuck=silent"]);
	const edge = await ScriptedEdge.connect(running.lines.AlwaysOn);
	edge.responder = () => ({ code: Code.SUCCESS });
	assert.equal((await edge.auth(key)).code, Code.SUCCESS);
	assert.equal((await edge.bind(["Stuck", "Free"])).code, Code.SUCCESS, "BIND is answered");
	edge.send({
		kind: "request", version: 1, code: Code.POST, requestId: 900, endpointId: 0, sessionId: edge.sessionId, entityType: 0x0a, entityName: "Stuck",
		characteristicType: 2, characteristicName: "UpdateSubscribedPropertyValues", headers: [], params: vtqTable([["Level", { type: "NUMBER", value: 5 }, 1]]),
	});
	assert.equal((await edge.push("Free", [["Level", { type: "NUMBER", value: 6 }, 2]])).code, Code.SUCCESS, "the other thing is served");
	assert.ok(!edge.received.some((r) => r.message.kind === "response" && r.message.requestId === 900), "the push for Stuck, sent first, is not answered");
	await edge.close();
	assert.equal(await stop(running), 0);
	const bad = spawnSync(process.execPath, ["bin/twx.mjs", "emulator", "--wedge", "Stuck=sometimes"], { encoding: "utf8" });
	assert.equal(bad.status, 2);
	assert.match(bad.stderr, /--wedge takes THING=MODE \(MODE silent, fragment or chunk\), got "Stuck=sometimes"/);
});
