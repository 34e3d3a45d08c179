/*
 * The gateway as a user runs it: `npm start -- --ems` (emulator + gateway, curl lines printed and then
 * pasted here as a user would, through sh and curl) and `twx ems --config config.json` (an EMS-shaped
 * config against a running platform). The key is never printed; Ctrl-C unbinds and exits 0.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { DEADLINE_MS } from "../support/deadline";
import { emulator, KEY, waitFor } from "./helpers";

const sh = promisify(execFile);

function hasCurl(): boolean {
	try {
		execFileSync("sh", ["-c", "command -v curl"]);
		return true;
	} catch {
		return false;
	}
}

/** A child process whose output the test reads as it comes. */
function launch(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
	const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
	let out = "";
	child.stdout!.on("data", (d) => (out += d));
	child.stderr!.on("data", (d) => (out += d));
	const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
	const guard = setTimeout(() => child.kill("SIGKILL"), 4 * DEADLINE_MS);
	exited.then(() => clearTimeout(guard));
	return { child, out: () => out, exited };
}

test("npm start -- --ems: emulator + gateway; the printed curl lines, pasted, register, push, read, list and remove a thing", { skip: hasCurl() ? false : "curl is not installed (apt-get install curl)" }, async () => {
	const run = launch(["--import", "tsx", "bin/start.ts", "--ems", "--emulator-port=0", "--ems-port=0"]);
	try {
		await waitFor("the curl lines", () => /RemoveEdgeThing/.test(run.out()));
		const lines = run.out().split("\n").filter((l) => l.trim().startsWith("curl ")).map((l) => l.trim());
		assert.equal(lines.length, 5, run.out());
		const paste = async (line: string) => (await sh("sh", ["-c", line])).stdout;
		assert.equal(await paste(lines[0]), "", "AddEdgeThing answers 200 with no body");
		await waitFor("bound and synchronized", () => /synchronized MyEdgeThing/.test(run.out()));
		assert.equal(await paste(lines[1]), "");
		await waitFor("the value pushed", () => /pushing 1 value of MyEdgeThing/.test(run.out()));
		assert.deepEqual(JSON.parse(await paste(lines[2])).rows, [{ Temperature: 21.5 }]);
		assert.deepEqual(JSON.parse(await paste(lines[3])).rows.map((r: { name: string; isBound: boolean }) => [r.name, r.isBound]), [["MyEdgeThing", true]]);
		assert.equal(await paste(lines[4]), "");
		await waitFor("unbound", () => /unbound MyEdgeThing/.test(run.out()));
	} finally {
		run.child.kill("SIGINT");
	}
	assert.equal(await run.exited, 0, run.out());
	assert.match(run.out(), /stopped/);
});

test("twx ems --config: an EMS-shaped config, the key from TWX_APP_KEY (never printed); a bad config exits 2 naming the closest key", async () => {
	const emu = await emulator();
	const dir = mkdtempSync(join(tmpdir(), "ems-cli-"));
	const config = join(dir, "config.json");
	writeFileSync(config, JSON.stringify({
		ws_servers: [{ host: "127.0.0.1", port: emu.port }],
		ws_connection: { encryption: "none", compression: true },
		http_server: { host: "127.0.0.1", port: 0 },
		auto_bind: [{ name: "AutoThing1" }],
		logger: { level: "info" },
	}));
	const run = launch(["bin/twx.mjs", "ems", "--config", config], { TWX_APP_KEY: KEY });
	try {
		await waitFor("listening", () => /gateway listening on http:\/\/127\.0\.0\.1:\d+/.test(run.out()));
		const port = Number(/gateway listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(run.out())![1]);
		await waitFor("auto_bind thing bound", () => emu.store.get("AutoThing1")?.isConnected === true);
		const base = `http://127.0.0.1:${port}/Thingworx/Things/`;
		const add = await fetch(base + "LocalEms/Services/AddEdgeThing", { method: "POST", body: JSON.stringify({ name: "CliThing1" }) });
		assert.equal(add.status, 200);
		await fetch(base + "CliThing1/Properties/Level", { method: "PUT", body: JSON.stringify({ Level: 3 }) });
		await waitFor("stored", () => emu.store.get("CliThing1")?.properties.get("Level")?.history.size === 1);
	} finally {
		run.child.kill("SIGINT");
	}
	assert.equal(await run.exited, 0, run.out());
	await waitFor("unbound at stop", () => emu.store.get("CliThing1")!.isConnected === false);
	assert.ok(!run.out().includes(KEY), "the key is never printed");

	writeFileSync(config, JSON.stringify({ ws_servers: [{ host: "127.0.0.1", port: emu.port }], http_server: { prot: 1 } }));
	const bad = launch(["bin/twx.mjs", "ems", "--config", config], { TWX_APP_KEY: KEY });
	assert.equal(await bad.exited, 2);
	assert.match(bad.out(), /unknown key http_server\.prot \(did you mean http_server\.port\?\)/);
	writeFileSync(config, JSON.stringify({ ws_servers: [{ host: "127.0.0.1", port: emu.port }], http_server: { host: "0.0.0.0", port: 0 } }));
	const open = launch(["bin/twx.mjs", "ems", "--config", config], { TWX_APP_KEY: KEY });
	assert.equal(await open.exited, 1);
	assert.match(open.out(), /will not start: http_server\.host is 0\.0\.0\.0, not loopback, and http_server\.authenticate is off/);
	const noKey = launch(["bin/twx.mjs", "ems", "--config", config], { TWX_APP_KEY: "" });
	assert.equal(await noKey.exited, 2);
	assert.match(noKey.out(), /no application key/);
	rmSync(dir, { recursive: true, force: true });
	await emu.close();
});
