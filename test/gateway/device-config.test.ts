// The gateway's device configuration (src/gateway/device-config.ts): what examples/gateway refuses to
// start with, and why, and what it runs with otherwise, from the strings mcconfig passes.
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, insecurity } from "../../src/gateway/config";
import { deviceGatewayConfig } from "../../src/gateway/device-config";

const PASSWORD = "Lan-S3cret";
const LAN = Object.freeze({ host: "twx.example.com", httpHost: "0.0.0.0", httpUser: "lan", insecure: "true" });

function refusal(build: Record<string, unknown>, password: string | undefined): string {
	try {
		deviceGatewayConfig(build, password);
	}
	catch (error) {
		assert.ok(error instanceof ConfigError, String(error));
		assert.ok(!error.message.includes(PASSWORD), "the password is never echoed");
		return error.message;
	}
	assert.fail("started with " + JSON.stringify(build));
}

test("refuses without a platform host, an HTTP host, a user or a stored password, naming what to set", () => {
	assert.match(refusal({ ...LAN, host: "" }, PASSWORD), /build with host=/);
	assert.match(refusal({ ...LAN, httpHost: "" }, PASSWORD), /build with httpHost=/);
	assert.match(refusal({ ...LAN, httpHost: "  " }, PASSWORD), /build with httpHost=/);
	assert.match(refusal({ host: "twx.example.com", httpHost: "0.0.0.0", insecure: true }, PASSWORD), /build with httpUser=.*authentication is mandatory/);
	assert.match(refusal({ ...LAN }, undefined), /no HTTP password in Preference.*httpPassword=/);
	assert.match(refusal({ ...LAN }, ""), /no HTTP password/);
});

test("off loopback the device serves cleartext only with insecure set explicitly, and says how to set it", () => {
	for (const insecure of [undefined, false, "false", "", "yes"]) {
		assert.match(refusal({ ...LAN, httpHost: "192.168.1.20", insecure }, PASSWORD), /192\.168\.1\.20 is not loopback.*cannot serve TLS.*build with insecure=true/, String(insecure));
	}
	for (const insecure of [true, "true"]) {
		const c = deviceGatewayConfig({ ...LAN, httpHost: "192.168.1.20", insecure }, PASSWORD);
		assert.equal(c.http_server.allow_insecure, true);
		assert.equal(c.http_server.authenticate, true, "insecure never turns authentication off");
		assert.equal(c.http_server.ssl, false);
	}
	// loopback (the simulator) needs no flag, and still authenticates
	const local = deviceGatewayConfig({ host: "127.0.0.1", httpHost: "127.0.0.1", httpUser: "lan" }, PASSWORD);
	assert.deepEqual([local.http_server.authenticate, local.http_server.allow_insecure, insecurity(local.http_server)], [true, false, null]);
});

test("runs with the platform and HTTP settings given, as strings or values, authenticated, with device-sized bounds", () => {
	const c = deviceGatewayConfig({ ...LAN, port: "8443", tls: "false", httpPort: "8080", maxClients: "2", maxThings: 3, queueBytes: "512" }, PASSWORD);
	assert.deepEqual(c.ws_servers, [{ host: "twx.example.com", port: 8443 }]);
	assert.deepEqual(c.ws_connection, { encryption: "none", verify: true, compression: false });
	assert.equal(c.proxy, null);
	assert.deepEqual([c.http_server.host, c.http_server.port, c.http_server.user, c.http_server.password], ["0.0.0.0", 8080, "lan", PASSWORD]);
	assert.deepEqual([c.http_server.max_clients, c.things.max_things, c.things.queue_bytes], [2, 3, 512]);
	assert.equal(c.appKey, "", "the key is asked at AUTH, never part of the configuration");
	const d = deviceGatewayConfig({ ...LAN }, PASSWORD);
	assert.deepEqual([d.ws_servers[0].port, d.ws_connection.encryption, d.http_server.port], [443, "ssl", 8000]);
	// what the device holds at most: every client's head + body buffer, every thing's queue (ESP32: ~160 KB of XS heap)
	const held = d.http_server.max_clients * (d.http_server.max_header_bytes + d.http_server.max_body_bytes) + d.things.max_things * d.things.queue_bytes;
	assert.ok(held <= 24 * 1024, String(held));
});

test("a value out of range is refused by the EMS-shaped checks, naming the key", () => {
	assert.match(refusal({ ...LAN, httpPort: "70000" }, PASSWORD), /http_server\.port must be an integer/);
	assert.match(refusal({ ...LAN, maxThings: "many" }, PASSWORD), /things\.max_things must be an integer/);
});
