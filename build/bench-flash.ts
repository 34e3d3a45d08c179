/*
 * Flash wear of the persisted offline queues (src/client/journal.ts) at the SteamSensor's rate: one scan
 * every 5 s, each setting 5 values (TotalFlow, Pressure, Location, Temperature, InletValve), the client's
 * defaults (queueBytes 4096, requestQueueBytes 2048, persistDelayMs 1000) over a 128 KB region of
 * 4096-byte sectors (the README's ESP32 partition). Simulated time (a manual clock), so an hour takes
 * a moment; 24 hours are run and what the journal asks of the flash is shown per hour:
 *  - offline the whole time (every row reaches flash; the worst case);
 *  - online, each push answered 50 ms after it leaves (rows leave the queue before persistDelayMs).
 * Then the days a sector lasts at 10,000 and 100,000 erase cycles, offline all the time.
 * Run: npm run bench:flash
 */
import { MemoryFlash } from "../hal/memory-flash";
import { createSteamSensorThing } from "../src/apps/steamsensor/index";
import { EdgeClient } from "../src/client/index";
import { persistIn } from "../src/client/journal";
import { Characteristic, Code, decodeMessage } from "../src/protocol";
import { FakeHal, FakeTransport, request } from "../test/client/fakes";

const REGION = 128 * 1024;
const SECTOR = 4096;
const SCAN_MS = 5000;
const HOURS = 24;
const RUN_MS = HOURS * 3600 * 1000;

function run(online: boolean) {
	const hal = new FakeHal();
	const flash = new MemoryFlash(REGION, SECTOR);
	const transports: FakeTransport[] = [];
	const thing = createSteamSensorThing("SteamSensor", { now: () => hal.now(), setLogging: () => {}, note: () => {} });
	const client = new EdgeClient(hal, {
		host: "bench", port: 1, tls: false, appKey: () => "key", things: [thing], persistence: persistIn(flash),
		transport: (_hal, options) => {
			const t = new FakeTransport(options);
			transports.push(t);
			return t;
		},
	});
	if (online) {
		client.start();
		const t = transports[0];
		t.accept();
		t.respond(t.last());
		t.respond(t.last());
		t.deliver(request(Code.POST, "SteamSensor", Characteristic.SERVICES, "NotifyPropertyUpdate", null, 1001));
		t.respond(t.sent.filter((m) => m.kind === "request" && m.characteristicName === "GetPropertySubscriptions").pop()!);
	}
	const start = { writes: flash.writes, bytes: flash.bytesWritten, erases: flash.erases };
	let answered = 0;
	for (let scan = 0; scan * SCAN_MS < RUN_MS; scan++) {
		const k = scan % 100;
		thing.set("TotalFlow", 1000 + scan);
		thing.set("Pressure", 18 + k / 100);
		thing.set("Location", { longitude: -75 + k / 1000, latitude: 40, elevation: 10 });
		thing.set("Temperature", 400 + k);
		thing.set("InletValve", scan % 2 === 0);
		hal.advance(50);
		if (online) {
			const t = transports[0];
			for (; answered < t.frames.length; answered++) {
				const m = decodeMessage(t.frames[answered]);
				if (m.kind === "request" && m.characteristicName === "UpdateSubscribedPropertyValues") t.respond(m);
			}
		}
		hal.advance(SCAN_MS - 50);
	}
	return {
		writes: flash.writes - start.writes,
		bytes: flash.bytesWritten - start.bytes,
		erases: flash.erases - start.erases,
		wear: Math.max(...flash.wear),
		queued: client.queued("SteamSensor"),
		dropped: client.dropped("SteamSensor"),
	};
}

const offline = run(false);
const online = run(true);
const perHour = (n: number) => (n / HOURS).toFixed(1);
console.log(`flash per hour, SteamSensor rate (5 values / ${SCAN_MS / 1000} s), client defaults, ${REGION / 1024} KB region of ${SECTOR}-byte sectors (${HOURS} h simulated):`);
console.log(`  offline: ${perHour(offline.writes)} writes, ${perHour(offline.bytes)} bytes, ${perHour(offline.erases)} sector erases; the most erased sector: ${perHour(offline.wear)} erases; queue at the end ${offline.queued} rows (${offline.dropped} dropped: the queue is full after ~95 s)`);
console.log(`  online, pushes answered in 50 ms: ${perHour(online.writes)} writes, ${perHour(online.bytes)} bytes, ${perHour(online.erases)} sector erases`);
for (const cycles of [10000, 100000]) {
	const days = cycles / ((offline.wear / HOURS) * 24);
	console.log(`  offline without end, ${cycles} erase cycles a sector: ${days.toFixed(0)} days (${(days / 365).toFixed(1)} years)`);
}
