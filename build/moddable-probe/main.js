/*
 * Heap probe for the real Moddable SDK's simulator (build/moddable-probe/run.sh builds and runs it;
 * not part of npm test, which has no SDK): the SteamSensor started as examples/steamsensor/main.ts
 * starts it (DEVICE_DEFAULTS, log level info), on hal/moddable's real sockets, with XS instrumentation
 * read after two collections: before the start, after the first push (synchronized), and after
 * `cycles` more pushes; plus the highest values seen every millisecond until the first push
 * (garbage included). The lines go to a TCP listener on 127.0.0.1:9999 (a release mcsim prints
 * no trace). The key is the emulator's test key, never a real one.
 */
import config from "mc/config";
import Resource from "Resource";
import Timer from "timer";
import Debug from "debug";
import TCP from "embedded:io/socket/tcp";
import Instrumentation from "instrumentation";
import { createSimulatedDrivers, startSteamSensor } from "steamsensor";
import { createModdableHal } from "hal";

const SLOTS = Instrumentation.map("XS Slot Heap Used");
const CHUNKS = Instrumentation.map("XS Chunk Heap Used");
const STACK = Instrumentation.map("XS Stack Used");
const lines = [];
function sample(label) {
	Debug.gc();
	Debug.gc();
	lines.push(`${label} slotBytes=${Instrumentation.get(SLOTS)} chunkBytes=${Instrumentation.get(CHUNKS)} stackBytes=${Instrumentation.get(STACK)}`);
}
function report() {
	const text = lines.join("\n") + "\n";
	new TCP({ address: "127.0.0.1", port: 9999, onWritable() { this.write(ArrayBuffer.fromString(text)); this.close(); } });
}
const hal = createModdableHal({ logLevel: "info" });
const tls = config.tls === true || config.tls === "true" ? { ca: new Uint8Array(new Resource("ca.der").slice(0)), servername: "localhost" } : false;
const cycles = Number(config.cycles);
let pushes = 0;
let phase = 0;
let peakSlots = 0;
let peakChunks = 0;
sample("before");
const sampler = Timer.repeat(() => {
	const slots = Instrumentation.get(SLOTS);
	const chunks = Instrumentation.get(CHUNKS);
	if (slots > peakSlots) peakSlots = slots;
	if (chunks > peakChunks) peakChunks = chunks;
}, 1);
try {
	startSteamSensor({
		hal,
		drivers: createSimulatedDrivers({ random: Math.random }),
		config: { host: config.host, port: Number(config.port), path: "/Thingworx/WS", tls, appKey: () => "probe-key", thingName: "SteamSensor", scanRateMs: Number(config.scanRateMs) },
		callbacks: {
			onPush() {
				pushes++;
				if (phase === 0) {
					phase = 1;
					Timer.clear(sampler);
					lines.push(`peak-until-first-push slotBytes=${peakSlots} chunkBytes=${peakChunks}`);
					Timer.set(() => sample("after-sync"), 0);
				} else if (phase === 1 && pushes > cycles) {
					phase = 2;
					Timer.set(() => {
						sample(`after-${cycles}-more-pushes`);
						report();
					}, 0);
				}
			},
			onError(e) {
				lines.push("error " + e.message);
			},
		},
	});
} catch (e) {
	lines.push("error " + e);
	report();
}
