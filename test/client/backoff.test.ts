import assert from "node:assert/strict";
import { test } from "node:test";
import { Backoff } from "../../src/client/backoff";
import { settings } from "../../src/client/config";
import { Thing } from "../../src/thing/index";
import { FakeHal } from "./fakes";

test("full jitter: each delay is uniform in [0, min(cap, base * 2^attempt)], reset starts over", () => {
	const hal = new FakeHal();
	const b = new Backoff(hal, 500, 30000);
	const ceilings = [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000];
	hal.randomByte = 0xff;
	assert.deepEqual(ceilings.map(() => b.next()), ceilings.map((c) => Math.floor(c * (0xffffffff / 2 ** 32))));
	b.reset();
	hal.randomByte = 0;
	assert.deepEqual([b.next(), b.next()], [0, 0]);
	hal.randomByte = null;
	b.reset();
	for (let i = 0; i < 200; i++) {
		const ceiling = b.ceiling;
		const d = b.next();
		assert.ok(d >= 0 && d <= ceiling && Number.isInteger(d));
	}
	assert.throws(() => new Backoff(hal, 0, 10), RangeError);
	assert.throws(() => new Backoff(hal, 100, 50), RangeError);
});

test("settings: the C SDK's defaults, and clear errors for impossible ones", () => {
	const thing = new Thing({ name: "T" });
	const s = settings({ host: "h", port: 443, appKey: () => "k", things: [thing] });
	assert.deepEqual([s.chunkSize, s.maxMessageSize, s.authTimeoutMs, s.requestTimeoutMs, s.backoffBaseMs, s.backoffCapMs], [8192, 1048576, 10000, 10000, 500, 30000]);
	assert.deepEqual([s.transport.path, s.transport.tls, s.transport.pingIntervalMs, s.transport.pongTimeoutMs, s.transport.headers], ["/Thingworx/WS", true, 55000, 10000, [["Max-Frame-Size", "8192"]]]);
	assert.deepEqual([s.dutyOnMs, s.dutyOffMs], [0, 0]);
	const d = settings({ host: "h", port: 80, tls: false, appKey: () => "k", things: [thing], dutyCycle: { percent: 20, periodMs: 10000 } });
	assert.deepEqual([d.dutyOnMs, d.dutyOffMs, d.transport.tls], [2000, 8000, false]);
	assert.throws(() => settings({ host: "", port: 1, appKey: () => "k", things: [thing] }), /host/);
	assert.throws(() => settings({ host: "h", port: 1, appKey: "k" as never, things: [thing] }), /appKey/);
	assert.throws(() => settings({ host: "h", port: 1, appKey: () => "k", things: [] }), /things/);
	assert.throws(() => settings({ host: "h", port: 1, appKey: () => "k", things: [thing], chunkSize: 70000 }), /chunkSize/);
	assert.throws(() => settings({ host: "h", port: 1, appKey: () => "k", things: [thing], chunkSize: 8192, maxMessageSize: 4096 }), /maxMessageSize/);
	assert.throws(() => settings({ host: "h", port: 1, appKey: () => "k", things: [thing], backoffBaseMs: 1000, backoffCapMs: 10 }), /backoffCapMs/);
});
