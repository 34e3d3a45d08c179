// examples/gateway/main.ts (an ESP32 as the edge gateway) on Node with the fake Moddable modules: with
// what it is built with and what is provisioned it listens where httpHost says and connects to the
// platform; short of any of it, nothing listens and nothing connects, and one log line says why and
// what to set. Neither the application key nor the HTTP password reaches a log line.
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { register } from "node:module";
import { runtime } from "./moddable/runtime";
import "./moddable/base64";

register("./moddable/loader.mjs", import.meta.url);

const traced: string[] = [];
(globalThis as unknown as { trace: (text: string) => void }).trace = (text) => void traced.push(text);
const KEY = "6ba5e9a1-0000-4c53-9d4f-key-never-logged";
const PASSWORD = "password-never-logged";
const LAN = Object.freeze({ host: "twx.example.com", port: 443, tls: true, httpHost: "0.0.0.0", httpPort: 8000, httpUser: "lan", insecure: "true" });

let instance = 0;
async function boot(config: Record<string, unknown>, secrets: { appKey?: string; httpPassword?: string } = { appKey: KEY, httpPassword: PASSWORD }): Promise<void> {
	Object.assign(runtime.config, config);
	for (const [name, value] of Object.entries(secrets)) runtime.preferences.set("twx/" + name, value);
	await import(new URL(`../../examples/gateway/main.ts?boot=${++instance}`, import.meta.url).href);
	runtime.runZeroDelay();
	await new Promise((resolve) => setImmediate(resolve));
	for (const line of traced) assert.doesNotMatch(line, /never-logged/);
}

beforeEach(() => {
	runtime.reset();
	traced.length = 0;
});

test("built for the LAN with insecure=true and provisioned: listens on httpHost:httpPort, connects to the platform", async () => {
	await boot({ ...LAN, httpPort: "8080" });
	assert.equal(runtime.listeners.length, 1, traced.join(""));
	assert.equal(runtime.listeners[0].options.port, 8080);
	assert.deepEqual(runtime.tls.map((s) => [s.dict.host, s.dict.port]), [["twx.example.com", 443]], "TLS to the platform by default");
	assert.ok(traced.some((line) => /^info gateway: serving http:\/\/0\.0\.0\.0:8080\/Thingworx \(Basic authentication\)/.test(line)), traced.join(""));
});

test("tls=false: the platform connection is plain TCP to host:port", async () => {
	await boot({ ...LAN, port: "8080", tls: "false" });
	assert.deepEqual([runtime.tls.length, runtime.resolves.map((r) => r.host)], [0, ["twx.example.com"]], traced.join(""));
});

test("missing build options or secrets: nothing listens, nothing connects, one line says what to set", async () => {
	const cases: Array<[Record<string, unknown>, { appKey?: string; httpPassword?: string }, RegExp]> = [
		[{ ...LAN, httpHost: "" }, { appKey: KEY, httpPassword: PASSWORD }, /build with httpHost=/],
		[{ ...LAN, httpUser: "" }, { appKey: KEY, httpPassword: PASSWORD }, /build with httpUser=.*authentication is mandatory/],
		[{ ...LAN }, { appKey: KEY }, /no HTTP password in Preference.*httpPassword=/],
		[{ ...LAN }, { httpPassword: PASSWORD }, /no application key in Preference/],
		[{ ...LAN, insecure: false }, { appKey: KEY, httpPassword: PASSWORD }, /0\.0\.0\.0 is not loopback.*build with insecure=true/],
		[{ ...LAN, host: "" }, { appKey: KEY, httpPassword: PASSWORD }, /build with host=/],
	];
	for (const [config, secrets, why] of cases) {
		runtime.reset();
		traced.length = 0;
		await boot(config, secrets);
		assert.deepEqual([runtime.listeners.length, runtime.resolves.length, runtime.tcp.length, runtime.tls.length], [0, 0, 0, 0], String(why));
		assert.equal(traced.length, 1, traced.join(""));
		assert.match(traced[0], /^error gateway not started: /);
		assert.match(traced[0], why);
	}
});
