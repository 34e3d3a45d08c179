// The EMS-shaped configuration: the defaults an EMS user expects (loopback, port 8000, compression on),
// our own groups (proxy, things) checked key by key, and the secure-default check that refuses to start.
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, gatewayConfig, insecurity } from "../../src/gateway/config";

test("defaults: loopback on 8000, TLS to the platform with verification, compression on, no proxy, the things' limits", () => {
	const c = gatewayConfig({ ws_servers: [{ host: "twx.example.com" }] });
	assert.deepEqual([c.ws_servers, c.http_server.host, c.http_server.port], [[{ host: "twx.example.com", port: 443 }], "127.0.0.1", 8000]);
	assert.deepEqual(c.ws_connection, { encryption: "ssl", verify: true, compression: true });
	assert.equal(c.proxy, null);
	assert.deepEqual(c.things, { max_things: 100, max_properties: 64, queue_bytes: 4096, callback_timeout: 10000, max_callbacks: 8, max_callback_bytes: 65536 });
	assert.equal(insecurity(c.http_server), null);
});

test("proxy and things: read whole, or refused naming the problem (never echoing a password)", () => {
	const c = gatewayConfig({ proxy: { host: "proxy.corp", port: 3128, user: "edge", password: "S3cret-proxy" }, ws_connection: { compression: false }, things: { max_things: 5 } });
	assert.deepEqual(c.proxy, { host: "proxy.corp", port: 3128, user: "edge", password: "S3cret-proxy" });
	assert.equal(c.ws_connection.compression, false);
	assert.equal(c.things.max_things, 5);
	const cases: Array<[unknown, RegExp]> = [
		[{ proxy: { host: "p" } }, /proxy needs host and port/],
		[{ proxy: { host: "p", port: 1, user: "u" } }, /both user and password, or neither/],
		[{ proxy: { host: "p", port: 1, usr: "u" } }, /unknown key proxy\.usr \(did you mean proxy\.user\?\)/],
		[{ things: { max_thing: 3 } }, /unknown key things\.max_thing \(did you mean things\.max_things\?\)/],
		[{ things: { max_things: 0 } }, /things\.max_things must be an integer from 1 to 65535/],
		[{ ws_connection: { compression: "yes" } }, /ws_connection\.compression must be true or false/],
	];
	for (const [input, reason] of cases) {
		assert.throws(() => gatewayConfig(input), (e: Error) => e instanceof ConfigError && reason.test(e.message) && !e.message.includes("S3cret"), String(reason));
	}
});

test("off loopback: refused without authentication, then without TLS, unless allow_insecure says so", () => {
	const open = gatewayConfig({ http_server: { host: "0.0.0.0" } }).http_server;
	assert.match(insecurity(open)!, /authenticate is off/);
	const noTls = gatewayConfig({ http_server: { host: "0.0.0.0", authenticate: true, user: "u", password: "p" } }).http_server;
	assert.match(insecurity(noTls)!, /ssl is off/);
	assert.equal(insecurity(gatewayConfig({ http_server: { host: "0.0.0.0", allow_insecure: true } }).http_server), null);
});
