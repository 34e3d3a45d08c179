// hal/moddable under real XS (xsnap, XS 13.3), with the fakes of test/drivers/moddable for the SDK's
// modules: a TLS handshake that fails part way is a typed error and a reconnect, never an exception,
// and no socket is closed from inside its own callback (mcsim crashed when the HAL did that).
// test/xs/suites/moddable-tls.ts is the XS side.
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { XsWorker } from "../../hal/xs/host";
import { xsBundle } from "../xs/bundles";

interface Report {
	sockets: number;
	closed: boolean[];
	closedInOwnCallback: string[];
	errors: Array<{ name: string; kind: string; message: string }>;
	states: string[];
	lines: string[];
}

test("under XS: a TLS handshake failing part way is a typed error and a reconnect; the socket is closed outside its callback", async () => {
	const source = await xsBundle("xs-moddable-tls");
	const worker = new XsWorker({ name: "moddable-tls" });
	const report = async () => (await worker.evaluateJson<Report>("bundles.tls.report()")).value;
	try {
		await worker.loadBundle({ name: "tls", source });
		await worker.evaluate("bundles.tls.start()");
		assert.equal((await report()).sockets, 1, "the first attempt opens a SecureSocket");

		// -2: what SecureSocket reports for a certificate it does not trust, a protocol mismatch or a refusal.
		await worker.evaluate("bundles.tls.failHandshake(-2)");
		let r = await report();
		assert.deepEqual(r.closedInOwnCallback, []);
		assert.deepEqual(r.closed, [true], "released on the next turn");
		assert.equal(r.errors.length, 1, JSON.stringify(r.errors));
		// The WebSocket layer's typed error for a lost connection, carrying the HAL's SocketError text.
		assert.deepEqual([r.errors[0]!.name, r.errors[0]!.kind], ["WebSocketError", "socket"]);
		assert.match(r.errors[0]!.message, /TLS handshake with twx\.example:443 failed/);
		assert.ok(r.lines.some((line) => /TLS handshake with twx\.example:443 failed/.test(line)), "logged");

		// Back-off 100..400 ms (full jitter): a new attempt within the cap plus a step.
		assert.notEqual((await worker.evaluateJson<number>("bundles.tls.untilReconnect(1000)")).value, -1, "no reconnect");
		assert.equal((await report()).sockets, 2);

		// -1 before the handshake completed: the peer hung up.
		await worker.evaluate("bundles.tls.failHandshake(-1)");
		r = await report();
		assert.deepEqual(r.closedInOwnCallback, []);
		assert.equal(r.errors.length, 2);
		assert.deepEqual([r.errors[1]!.name, r.errors[1]!.kind], ["WebSocketError", "socket"]);
		assert.match(r.errors[1]!.message, /closed the connection during the TLS handshake/);
		assert.notEqual((await worker.evaluateJson<number>("bundles.tls.untilReconnect(1000)")).value, -1, "no second reconnect");
		r = await report();
		assert.equal(r.sockets, 3);
		assert.deepEqual(r.closed, [true, true, false]);
		assert.deepEqual([...new Set(r.states)], ["connecting", "waiting"], "never stopped by the failures");
	} finally {
		await worker.close();
	}
});
