/*
 * A platform that ignores the edge's Max-Frame-Size (the emulator told to): a PUT of a 3 KB string
 * reaches the SteamSensor (1 KB chunks, DEVICE_DEFAULTS) as one 3 KB WebSocket message, over its RX
 * buffer. It is refused (ENTITY_TOO_LARGE to the platform), counted and reported, and the connection is
 * kept: the next PUT is served on it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startSteamSensor, type SteamSensor } from "../../src/apps/steamsensor/index";
import { RequestError } from "../../src/client/index";
import { createSimulatedDrivers } from "../../src/drivers/index";
import type { Emulator } from "../../emulator/index";
import { ENTITY_TOO_LARGE } from "../../src/protocol/codes";
import { DEADLINE_MS } from "../support/deadline";
import { seeded } from "../support/seeded";
import { deviceHal, emulator, KEY, rest, waitFor } from "./helpers";

let emu: Emulator;
let app: SteamSensor;
const errors: Error[] = [];

before(async () => {
	emu = await emulator({ ignoreMaxFrameSize: true });
	app = startSteamSensor({
		hal: deviceHal().hal,
		drivers: createSimulatedDrivers({ random: seeded(7) }),
		config: { host: "127.0.0.1", port: emu.port, tls: false, appKey: () => KEY, scanRateMs: 1000, requestTimeoutMs: DEADLINE_MS, backoffBaseMs: 50, backoffCapMs: 400 },
		callbacks: { onError: (e) => errors.push(e) },
	});
	await waitFor("synchronized", () => app.client.isSynchronized("SteamSensor"));
});

after(async () => {
	await app.stop();
	await emu.close();
});

test("a 3 KB PUT in one frame to 1 KB chunks: answered 413 with its requestId, counted, the connection kept, the next PUT served", async () => {
	const opened = emu.counters().connectionsOpened;
	const big = await rest(emu, "PUT", "/Things/SteamSensor/Properties/Logfile", { Logfile: "x".repeat(3000) });
	assert.equal(big.status, 413, big.text);
	assert.equal(app.client.stats.messagesRefused, 1);
	assert.ok(errors.some((e) => e instanceof RequestError && e.code === ENTITY_TOO_LARGE));
	assert.ok(errors.every((e) => !e.message.includes(KEY)));

	const put = await rest(emu, "PUT", "/Things/SteamSensor/Properties/TemperatureLimit", { TemperatureLimit: 480 });
	assert.equal(put.status, 200, put.text);
	assert.equal(app.thing.get("TemperatureLimit"), 480);
	assert.deepEqual([emu.counters().connectionsOpened, app.client.stats.reconnects], [opened, 0], "the same connection");
});
