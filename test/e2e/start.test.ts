/* `npm start` (bin/start.ts) as a user runs it: steps printed, Ctrl-C stops cleanly, the key never shown. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { test } from "node:test";
import { parseArgs } from "../../bin/commands/start";
import { DEADLINE_MS } from "../support/deadline";
import { emulator, KEY } from "./helpers";

/** Runs bin/start.ts until stdout matches every pattern, then sends SIGINT; resolves with the output and exit code. */
function run(args: string[], until: RegExp[], env: NodeJS.ProcessEnv = {}): Promise<{ out: string; err: string; code: number | null }> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ["--import", "tsx", "bin/start.ts", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
		let out = "";
		let err = "";
		let interrupted = false;
		const timer = setTimeout(() => {
			child.kill("SIGKILL");
			reject(new Error("bin/start.ts did not get there in time:\n" + out + err));
		}, DEADLINE_MS);
		child.stdout.on("data", (d) => {
			out += d;
			if (!interrupted && until.every((re) => re.test(out))) {
				interrupted = true;
				child.kill("SIGINT");
			}
		});
		child.stderr.on("data", (d) => (err += d));
		child.on("exit", (code) => {
			clearTimeout(timer);
			resolve({ out, err, code });
		});
	});
}

test("npm start: emulator + SteamSensor, each step printed with the dashboard URL; Ctrl-C unbinds and exits 0", async () => {
	// One scan a day: the scan at start-up is the only one, so the first push carries exactly its values
	// (7, or 8 when the first temperature is over the limit and FaultStatus is set too), however slow the machine.
	const { out, code } = await run(["--emulator-port=0", "--scan-rate=86400000"], [/pushing \d+ values? of SteamSensor/]);
	assert.equal(code, 0, out);
	const order = [/emulator listening/, /dashboard: http:\/\/127\.0\.0\.1:\d+\/dashboard\/#token=/, /connected \(WebSocket open\)/, /authenticated \(appKey\)/, /bound SteamSensor/, /synchronized SteamSensor/, /pushing [78] values of SteamSensor/, /stopping: UNBIND and close/, /unbound SteamSensor/, /stopped/];
	let at = 0;
	for (const re of order) {
		const m = re.exec(out.slice(at));
		assert.ok(m, "missing or out of order: " + re + "\n" + out);
		at += m.index + m[0].length;
	}
});

test("npm start -- <host> <port> <appKey> <thingName>: a real platform (here an emulator), key never printed", async () => {
	const emu = await emulator();
	try {
		const { out, err, code } = await run(["127.0.0.1", String(emu.port), KEY, "Boiler7", "--scan-rate=100"], [/synchronized Boiler7/, /pushing/]);
		assert.equal(code, 0, out + err);
		assert.ok(!out.includes("emulator listening"));
		assert.ok(!(out + err).includes(KEY));
		assert.ok(emu.store.get("Boiler7")!.properties.get("Temperature")!.history.size > 0);
		const viaEnv = await run(["127.0.0.1", String(emu.port), "-", "Boiler8", "--scan-rate=100"], [/synchronized Boiler8/], { TWX_APP_KEY: KEY });
		assert.equal(viaEnv.code, 0);
		const wrong = await run(["127.0.0.1", String(emu.port), "not-the-key", "Boiler9", "--verbose"], [/error: UNAUTHORIZED/, /retrying with back-off/]);
		assert.equal(wrong.code, 0);
		assert.ok(!(wrong.out + wrong.err).includes("not-the-key"), "the wrong key is a key too");
	} finally {
		await emu.close();
	}
});

test("--help explains; bad arguments exit 2", () => {
	const help = spawnSync(process.execPath, ["--import", "tsx", "bin/start.ts", "--help"], { encoding: "utf8" });
	assert.equal(help.status, 0);
	for (const word of ["<host> <port> <appKey>", "--tls", "--insecure", "--path", "dashboard", "TWX_APP_KEY"]) assert.ok(help.stdout.includes(word), word);
	assert.throws(() => parseArgs(["host", "99999", "k"]), /port/);
	assert.throws(() => parseArgs(["host", "443"]), /<host> <port> <appKey>/);
	assert.throws(() => parseArgs(["--bogus"]), /unknown option/);
	assert.throws(() => parseArgs(["h", "1", "-"], {}), /TWX_APP_KEY/);
	const o = parseArgs(["--insecure", "--path=/x/WS", "tw.example.com", "443", "k", "T"]);
	assert.ok(o !== "help");
	assert.deepEqual([o.tls, o.insecure, o.path, o.remote], [true, true, "/x/WS", { host: "tw.example.com", port: 443, appKey: "k", thingName: "T" }]);
	const bad = spawnSync(process.execPath, ["--import", "tsx", "bin/start.ts", "onlyhost"], { encoding: "utf8" });
	assert.equal(bad.status, 2);
	assert.match(bad.stderr, /usage:/);
});
