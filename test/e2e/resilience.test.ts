/*
 * The client against the real emulator when things go wrong: a refused key, cut connections in the
 * middle of pushes, an emulator restart, a queue that overflows while offline.
 *
 * "No value lost" means: every value the application set (a distinct number with its own timestamp)
 * is in the platform's property history at least once, with the timestamp it was set with. Values
 * may be stored twice (a push whose answer was cut off is pushed again); none may be missing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { EdgeClient, RequestError, type EdgeClientConfig } from "../../src/client/index";
import { Thing } from "../../src/thing/index";
import type { Emulator } from "../../emulator/index";
import { DEADLINE_MS } from "../support/deadline";
import { CuttingProxy, deviceHal, emulator, freePort, KEY, sleep, waitFor } from "./helpers";

function counterThing(): Thing {
	return new Thing({ name: "Counter", properties: [{ name: "n", baseType: "NUMBER" }] });
}

function device(port: number, config: Partial<EdgeClientConfig> = {}) {
	const d = deviceHal();
	const thing = counterThing();
	const client = new EdgeClient(d.hal, {
		host: "127.0.0.1", port, tls: false, appKey: () => KEY, things: [thing],
		backoffBaseMs: 50, backoffCapMs: 400, requestTimeoutMs: DEADLINE_MS, queueBytes: 65536, ...config,
	});
	const errors: Error[] = [];
	client.onError = (e) => errors.push(e);
	return { ...d, thing, client, errors };
}

/** Stored values of Counter.n with their times. */
function stored(emu: Emulator): Array<[number, number]> {
	const p = emu.store.get("Counter")?.properties.get("n");
	if (!p) return [];
	return p.history.toArray().map((v) => [(v.value.type === "VARIANT" ? v.value.value.value : v.value.value) as number, v.time]);
}

test("auth failure: a clear UNAUTHORIZED error and a growing back-off (no hot loop); the key is never shown", async () => {
	const emu = await emulator();
	const wrongKey = "wrong-key-5d1e8b";
	const d = device(emu.port, { appKey: () => wrongKey, backoffBaseMs: 50, backoffCapMs: 1000 });
	d.hal.randomBytes = (into, offset, length) => into.fill(0x80, offset, offset + length); // delays at half their ceiling
	const attempts: number[] = [];
	d.client.onStateChange = (s) => {
		if (s === "connecting") attempts.push(d.hal.ticks());
	};
	d.client.start();
	await waitFor("six attempts", () => attempts.length >= 6);
	await d.client.stop();
	await emu.close();
	const auth = d.errors.find((e) => e instanceof RequestError) as RequestError;
	assert.equal(auth.codeName, "UNAUTHORIZED");
	assert.match(auth.message, /^UNAUTHORIZED: authentication refused/);
	// full jitter: delay k is uniform in [0, min(cap, base * 2^k)]; with every random byte 0x80 it is that ceiling * 0x80808080 / 2^32
	const scheduled = d.logs.map(([, m]) => /reconnecting in (\d+) ms/.exec(m)).filter((m) => m !== null).map((m) => Number(m![1]));
	assert.ok(scheduled.length >= 5, scheduled.length + " back-off delays logged");
	const expected = scheduled.map((_, k) => Math.floor((0x80808080 / 2 ** 32) * Math.min(1000, 50 * 2 ** k)));
	assert.deepEqual(scheduled, expected);
	// No hot loop: no attempt comes before its delay is over (1 ms: Node's timers count whole milliseconds).
	const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
	for (let i = 0; i < gaps.length; i++) assert.ok(gaps[i] >= scheduled[i] - 1, "an attempt came before its back-off delay: " + gaps.join(", "));
	assert.ok(emu.counters().authFailures >= 5);
	const shown = [...d.logs.map(([, m]) => m), ...d.errors.map((e) => e.message)].join("\n");
	assert.ok(!shown.includes(wrongKey) && !shown.includes(KEY));
});

test("cut connections mid-push and an emulator restart: reconnect, re-sync, no value lost; reconnect time", async () => {
	let emu = await emulator();
	const proxy = new CuttingProxy(() => emu.port);
	await proxy.listen();
	const d = device(proxy.port);
	const syncs: number[] = [];
	const connecting: number[] = [];
	d.client.onSynchronized = () => syncs.push(performance.now());
	d.client.onStateChange = (s) => {
		if (s === "connecting") connecting.push(performance.now());
	};
	let cutAtNextPush = false;
	let cuts = 0;
	d.client.onPush = () => {
		// the push just left and is not acknowledged yet: cut it in flight
		if (!cutAtNextPush) return;
		cutAtNextPush = false;
		cuts += proxy.cut();
	};
	d.client.start();
	await waitFor("synchronized", () => syncs.length >= 1);

	const setAt = new Map<number, number>();
	const start = d.hal.now();
	let next = 0;
	const writer = setInterval(() => {
		for (let k = 0; k < 5; k++, next++) {
			setAt.set(next, start + next); // a distinct timestamp per value
			d.thing.set("n", next, start + next);
		}
	}, 2);
	const first: Array<[number, number]> = [];
	let reconnect = 0;
	let attemptToSync = 0;
	const all: Array<[number, number]> = [];
	try {
		// two cuts, each while a push is in flight
		for (let cut = 1; cut <= 2; cut++) {
			const synced = syncs.length;
			cutAtNextPush = true;
			await waitFor("cut " + cut + " at a push", () => cuts >= cut);
			await waitFor("re-synchronized after cut " + cut, () => syncs.length > synced);
		}

		// restart: the emulator goes away for 300 ms, a new one (empty store) takes its place
		await waitFor("more values stored", () => stored(emu).length > 0);
		const synced = syncs.length;
		await emu.close();
		first.push(...stored(emu)); // after the close: every value that old platform acknowledged
		await sleep(300);
		emu = await emulator();
		const back = performance.now();
		await waitFor("re-synchronized after the restart", () => syncs.length > synced);
		const resynced = syncs[synced];
		reconnect = resynced - back;
		const lastAttempt = connecting.filter((t) => t <= resynced).pop()!;
		attemptToSync = resynced - Math.max(lastAttempt, back);

		await waitFor("a push after the restart", () => stored(emu).length > 0);
		clearInterval(writer);
		await waitFor("queue drained", () => d.client.queued("Counter") === 0);
		all.push(...first, ...stored(emu));
	} finally {
		// also when a wait fails: nothing left running, so the failure is reported at once
		clearInterval(writer);
		await d.client.stop();
		await proxy.close();
		await emu.close();
	}

	const seen = new Map<number, number[]>();
	for (const [value, time] of all) seen.set(value, [...(seen.get(value) ?? []), time]);
	const missing = [...setAt.keys()].filter((v) => !seen.has(v));
	assert.deepEqual(missing, [], "values never stored");
	for (const [value, times] of seen) assert.ok(times.every((t) => t === setAt.get(value)), "value " + value + " kept its timestamp");
	const duplicates = all.length - seen.size;
	assert.equal(d.client.dropped("Counter"), 0);
	assert.ok(d.client.stats.reconnects >= 3);
	console.log(`no value lost: ${setAt.size} values set, ${seen.size} stored, ${duplicates} stored twice (pushes cut before their answer)`);
	// information only (speed is measured by npm run bench:client, never asserted here)
	console.log(`reconnect after the emulator came back: ${reconnect.toFixed(1)} ms to synchronized (back-off 50-400 ms full jitter); last attempt to synchronized: ${attemptToSync.toFixed(1)} ms`);
});

test("a full offline queue drops the oldest rows, counts and reports them; the rest arrive in order", async () => {
	const port = await freePort();
	const d = device(port, { queueBytes: 2048 });
	let reported = 0;
	d.client.onDropped = (_thing, rows) => (reported += rows);
	d.client.start();
	for (let i = 0; i < 300; i++) d.thing.set("n", i, 1_700_000_000_000 + i);
	const kept = d.client.queued("Counter");
	const dropped = d.client.dropped("Counter");
	assert.equal(kept + dropped, 300);
	assert.ok(dropped > 0 && kept > 10);
	assert.equal(reported, dropped);
	const emu = await emulator({ port });
	await waitFor("queue drained", () => d.client.isSynchronized("Counter") && d.client.queued("Counter") === 0);
	const values = stored(emu);
	await d.client.stop();
	await emu.close();
	assert.deepEqual(values.map(([v]) => v), Array.from({ length: kept }, (_, i) => 300 - kept + i));
	assert.deepEqual(values.map(([, t]) => t), Array.from({ length: kept }, (_, i) => 1_700_000_000_000 + 300 - kept + i));
});
