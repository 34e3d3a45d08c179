/*
 * The dashboard in real headless Chromium: open the printed URL (one-time token), watch a scripted
 * SteamSensor edge connect and synchronize, see a pushed value change the chart, invoke AddNumbers
 * and write a property through the forms, see an event and the protocol log. Skipped, saying so,
 * when /usr/bin/chromium is not installed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { Code } from "../../src/protocol";
import { startEmulator } from "../../emulator";
import { loadCapture } from "../emulator/capture";
import { param, resultTable } from "../emulator/fixtures";
import { ScriptedEdge } from "../emulator/scripted-edge";
import { DEADLINE_MS } from "../support/deadline";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const KEY = "dashboard-test-key-4c1e9b";
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium): dashboard test not run`;

/** The SteamSensor's own GetMetadata JSON, from the C SDK capture. */
function steamSensorMetadata(): string {
	const reply = loadCapture().find((l) => l.from === "edge" && l.decoded?.reqId === 1005);
	return (reply?.decoded?.content?.rows[0][0] as [number, string])[1];
}

async function browser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
	const profile = mkdtempSync(join(tmpdir(), "twx-dashboard-"));
	const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
	return {
		context,
		close: async () => {
			await context.close();
			rmSync(profile, { recursive: true, force: true });
		},
	};
}

async function steamSensor(url: string): Promise<ScriptedEdge> {
	const metadata = steamSensorMetadata();
	const edge = await ScriptedEdge.connect(url, { deflate: true });
	edge.responder = (request) => {
		switch (request.characteristicName) {
			case "GetMetadata":
				return { code: Code.SUCCESS, content: resultTable("JSON", { type: "JSON", value: metadata }) };
			case "NotifyPropertyUpdate":
				setTimeout(() => edge.post("SteamSensor", 2, "GetPropertySubscriptions", null), 10);
				return { code: Code.SUCCESS };
			case "AddNumbers": {
				const [a, b] = [param(request, "a"), param(request, "b")];
				if (a?.type !== "NUMBER" || b?.type !== "NUMBER") return { code: Code.BAD_REQUEST };
				return { code: Code.SUCCESS, content: resultTable("NUMBER", { type: "NUMBER", value: a.value + b.value }) };
			}
			case "TemperatureLimit":
				return { code: Code.SUCCESS };
		}
		return { code: Code.NOT_FOUND };
	};
	assert.equal((await edge.auth(KEY)).code, Code.SUCCESS);
	assert.equal((await edge.bind(["SteamSensor"])).code, Code.SUCCESS);
	return edge;
}

async function chartLast(page: Page, value: string): Promise<void> {
	await page.waitForSelector(`#chart[data-last="${value}"]`, { timeout: DEADLINE_MS });
}

test("dashboard: a device connects, its value moves the chart, AddNumbers runs", { skip }, async (t) => {
	const emulator = await startEmulator({ appKeys: [KEY], requestTimeoutMs: 2000 });
	t.after(() => emulator.close());
	const { context, close } = await browser();
	t.after(close);
	const page = await context.newPage();
	const errors: string[] = [];
	page.on("pageerror", (error) => errors.push(error.message));

	await page.goto(emulator.dashboardUrl);
	await page.waitForSelector("#app:not([hidden])");
	await page.waitForSelector('#link[data-state="live"]');
	assert.equal(await page.isVisible("#login"), false, "no key asked for with the URL's token");
	assert.ok(!page.url().includes("token="), "the token leaves the address bar");
	assert.equal(await page.isVisible("#no-things"), true);

	// A device connects and synchronizes.
	const edge = await steamSensor(emulator.url);
	t.after(() => edge.ws.terminate());
	await page.waitForSelector('#things li[data-thing="SteamSensor"][data-connected="true"][data-synchronized="true"]', { timeout: DEADLINE_MS });
	await page.waitForSelector('#thing-state[data-connected="true"][data-synchronized="true"]');
	assert.equal(await page.textContent("#thing-name"), "SteamSensor");

	// A pushed value shows in the table and on the chart; a second one moves it.
	await edge.push("SteamSensor", [["Temperature", { type: "NUMBER", value: 400 }, Date.now() - 1000], ["Pressure", { type: "NUMBER", value: 18.5 }, Date.now() - 1000]]);
	await page.waitForSelector('#chart-property option[value="Temperature"]', { state: "attached" });
	await page.selectOption("#chart-property", "Temperature");
	await chartLast(page, "400");
	await edge.push("SteamSensor", [["Temperature", { type: "NUMBER", value: 433 }, Date.now()]]);
	await chartLast(page, "433");
	assert.equal(await page.getAttribute("#chart", "data-points"), "2");
	assert.equal(await page.textContent('#properties tr[data-property="Temperature"] .value'), "433");
	assert.ok((await page.getAttribute("#chart polyline", "points"))?.split(" ").length === 2);

	// AddNumbers through the service form, inputs built from the edge's metadata.
	await page.selectOption("#service-name", "AddNumbers");
	await page.fill('#service-inputs input[name="a"]', "1.5");
	await page.fill('#service-inputs input[name="b"]', "2");
	await page.click('#service-form button[type="submit"]');
	await page.waitForSelector("#service-result td");
	assert.equal(await page.textContent("#service-result td"), "3.5");
	assert.equal(await page.textContent("#service-result th"), "result (NUMBER)");

	// Writing a property goes to the edge.
	await page.selectOption("#write-property", "TemperatureLimit");
	await page.fill("#write-value", "435");
	await page.click('#write-form button[type="submit"]');
	await page.waitForSelector("#write-result.ok");
	const put = (await edge.nextRequest("TemperatureLimit")).message;
	assert.equal(put.kind === "request" && put.code, Code.PUT);
	assert.deepEqual(put.kind === "request" && put.params?.rows[0][0], { type: "NUMBER", value: 435 });

	// An event, and the protocol log.
	await edge.post("SteamSensor", 3, "SteamSensorFault", { fields: [{ name: "message", description: "", baseType: "STRING", aspects: [] }], rows: [[{ type: "STRING", value: "Temperature 433 exceeds 420" }]] });
	await page.waitForSelector('#events li[data-event="SteamSensorFault"]');
	assert.match((await page.textContent("#events li")) ?? "", /Temperature 433 exceeds 420/);
	const log = (await page.locator("#frames li").allTextContents()).join("\n");
	assert.match(log, /BIND SteamSensor/);
	assert.match(log, /POST SteamSensor\/Services\/AddNumbers/);
	assert.ok(!(await page.content()).includes(KEY), "the key is nowhere in the page");

	// The device goes away.
	await edge.close();
	await page.waitForSelector('#things li[data-thing="SteamSensor"][data-connected="false"]', { timeout: DEADLINE_MS });
	assert.deepEqual(errors, []);
});

test("dashboard: the token works once; afterwards the key is typed into the page", { skip }, async (t) => {
	const emulator = await startEmulator({ appKeys: [KEY] });
	t.after(() => emulator.close());
	const first = await browser();
	t.after(first.close);
	const page = await first.context.newPage();
	await page.goto(emulator.dashboardUrl);
	await page.waitForSelector("#app:not([hidden])");

	const second = await browser();
	t.after(second.close);
	const other = await second.context.newPage();
	await other.goto(emulator.dashboardUrl);
	await other.waitForSelector("#login:not([hidden])");
	await other.fill("#login-key", "wrong");
	await other.click('#login-form button[type="submit"]');
	await other.waitForSelector("#login-error:has-text('not accepted')");
	await other.fill("#login-key", KEY);
	await other.click('#login-form button[type="submit"]');
	await other.waitForSelector('#link[data-state="live"]');
	assert.equal(await other.isVisible("#login"), false);
	assert.equal(await other.isVisible("#app"), true);
	assert.equal(await other.inputValue("#login-key"), "");
});

/** Starts `npm start` (bin/start.ts, its throw-away emulator on loopback); resolves with its dashboard link. */
async function npmStart(t: import("node:test").TestContext): Promise<string> {
	const child = spawn(process.execPath, ["--import", "tsx", "bin/start.ts", "--emulator-port=0", "--scan-rate=1000"], { stdio: ["ignore", "pipe", "pipe"] });
	let out = "";
	child.stdout.on("data", (d) => (out += d));
	child.stderr.on("data", (d) => (out += d));
	t.after(() => {
		child.kill("SIGINT");
		return once(child, "exit");
	});
	const end = Date.now() + DEADLINE_MS;
	for (;;) {
		const link = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/dashboard\/#token=\S+)/.exec(out);
		if (link && /synchronized SteamSensor/.test(out)) return link[1];
		if (child.exitCode !== null || Date.now() > end) throw new Error("npm start did not print its dashboard link:\n" + out);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

/** The page logged in (no key asked) and showing the SteamSensor connected. */
async function loggedIn(page: Page): Promise<void> {
	await page.waitForSelector("#app:not([hidden])", { timeout: DEADLINE_MS });
	await page.waitForSelector('#things li[data-thing="SteamSensor"][data-connected="true"]', { timeout: DEADLINE_MS });
	assert.equal(await page.isVisible("#login"), false, "no key asked");
}

test("npm start: its dashboard link keeps working: opened twice, reloaded, and from a second browser", { skip }, async (t) => {
	const link = await npmStart(t);
	const first = await browser();
	t.after(first.close);
	const page = await first.context.newPage();
	await page.goto(link);
	await loggedIn(page);
	// the same link again in a fresh page of the same browser, then a reload
	const again = await first.context.newPage();
	await again.goto(link);
	await loggedIn(again);
	await again.reload();
	await loggedIn(again);
	// another browser (no cookie), as a link preview or a second person on this machine would
	const second = await browser();
	t.after(second.close);
	const other = await second.context.newPage();
	await other.goto(link);
	await loggedIn(other);
});

test("a reusable dashboard link is for a loopback emulator only; the default link still works once", async () => {
	await assert.rejects(startEmulator({ appKeys: [KEY], host: "0.0.0.0", dashboardLink: "reusable" }), /loopback only/);
	const once = await startEmulator({ appKeys: [KEY] });
	const reusable = await startEmulator({ appKeys: [KEY], dashboardLink: "reusable" });
	try {
		const open = (emulator: typeof once) => {
			const token = new URL(emulator.dashboardUrl).hash.slice("#token=".length);
			return fetch(`${emulator.restUrl.replace("/Thingworx", "")}/Emulator/Session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }) });
		};
		assert.equal((await open(once)).status, 204);
		assert.equal((await open(once)).status, 401, "the default token works once");
		for (let i = 0; i < 3; i++) assert.equal((await open(reusable)).status, 204, "the reusable token keeps working");
	} finally {
		await once.close();
		await reusable.close();
	}
});
