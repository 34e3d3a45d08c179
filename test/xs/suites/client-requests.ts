/*
 * Runs inside XS (bundled by test/client/xs-allocation.test.ts): the EdgeClient with the SteamSensor
 * thing on a transport that hands it prebuilt platform messages and reads what it writes into the TX
 * buffer, so the XS meters see the client alone: platform GETs, PUTs and pushes, each answered.
 */
import type { Hal, HalSocket } from "../../../hal/hal";
import { createSteamSensorThing } from "../../../src/apps/steamsensor/thing";
import { EdgeClient } from "../../../src/client/client";
import type { Transport, TransportOptions } from "../../../src/client/config";
import type { Property } from "../../../src/thing/property";
import type { Thing } from "../../../src/thing/thing";

const PAYLOAD = 8; // where the WebSocket client puts a chunk-sized payload

class Loopback implements Transport {
	onOpen: (() => void) | null = null;
	onMessage: ((bytes: Uint8Array, binary: boolean) => void) | null = null;
	onWritable: (() => void) | null = null;
	onClose: ((code: number, reason: string, error: Error | null) => void) | null = null;
	/** Code and requestId of the last message the client sent. */
	code = 0;
	requestId = 0;
	readonly #tx: Uint8Array;

	constructor(options: TransportOptions) {
		this.#tx = options.txBuffer;
	}

	open(): void {}

	beginMessage(): number {
		return PAYLOAD;
	}

	commitMessage(): void {
		const tx = this.#tx;
		this.code = tx[PAYLOAD + 1];
		this.requestId = ((tx[PAYLOAD + 2] << 24) | (tx[PAYLOAD + 3] << 16) | (tx[PAYLOAD + 4] << 8) | tx[PAYLOAD + 5]) >>> 0;
	}

	close(): void {}
}

/** The log as shipped (manifest.json logLevel "info"): a line at info or above is built and kept, as trace() would print it. */
const SHIPPED_LEVELS: readonly string[] = Object.freeze(["info", "warn", "error"]);
let lastLine = "";

const hal: Hal = {
	createSocket(): HalSocket {
		throw new Error("no sockets here");
	},
	timers: { set: () => 1, repeat: () => 2, create: () => 3, schedule() {}, clear() {} },
	now: () => 1700000000000,
	ticks: () => 0,
	randomBytes() {},
	sha1: () => new Uint8Array(20),
	base64Encode: () => "",
	base64Decode: () => new Uint8Array(0),
	utf8EncodeInto: () => -1,
	utf8Decode: () => "",
	log(level, message) {
		if (SHIPPED_LEVELS.includes(level)) lastLine = message;
	},
	logEnabled: (level) => SHIPPED_LEVELS.includes(level),
	store: { get: () => undefined, set() {}, delete() {} },
};

let transport: Loopback;
let client: EdgeClient;
let thing: Thing;
let scanned: Property[];
const messages: Uint8Array[] = [];
const location = { longitude: -75.67, latitude: 40.05, elevation: 0 };
let time = 1700000000000;

/** `hex` as bytes, made at setup (the loops below only reuse them). */
function fromHex(hex: string): Uint8Array {
	const bytes = new Uint8Array(hex.length / 2);
	for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(2 * i, 2), 16);
	return bytes;
}

function success(requestId: number): Uint8Array {
	const bytes = fromHex("014000000000000000000000beef0000ff");
	bytes[2] = requestId >>> 24;
	bytes[3] = (requestId >>> 16) & 0xff;
	bytes[4] = (requestId >>> 8) & 0xff;
	bytes[5] = requestId & 0xff;
	return bytes;
}

/** Connects, authenticates, binds and synchronizes; `get`, `put`: the platform's messages (hex) to answer in the loops. */
export function setup(get: string, put: string, notify: string): string {
	thing = createSteamSensorThing("SteamSensor", { now: () => time, setLogging() {}, note() {} });
	client = new EdgeClient(hal, {
		host: "platform", port: 80, tls: false, appKey: () => "key", things: [thing], autoPush: false,
		transport: (_hal, options) => (transport = new Loopback(options)),
	});
	client.start();
	transport.onOpen!();
	transport.onMessage!(success(transport.requestId), true); // AUTH
	transport.onMessage!(success(transport.requestId), true); // BIND
	transport.onMessage!(fromHex(notify), true);
	transport.onMessage!(success(transport.requestId), true); // GetPropertySubscriptions: no overrides
	thing.property("TemperatureLimit").applySubscription("NEVER", 0); // a PUT is then decode + set + answer
	thing.set("Temperature", 423);
	messages.push(fromHex(get), fromHex(put), success(0));
	scanned = ["TotalFlow", "Pressure", "Location", "Temperature", "InletValve"].map((name) => thing.property(name));
	return client.state + (client.isSynchronized("SteamSensor") ? " synchronized" : "");
}

function answer(message: Uint8Array, n: number): number {
	for (let i = 0; i < n; i++) {
		transport.onMessage!(message, true);
		if (transport.code !== 0x40) throw new Error("answered " + transport.code);
	}
	return transport.code;
}

/** n platform GETs of Temperature, each answered. */
export function gets(n: number): number {
	return answer(messages[0], n);
}

/** n platform PUTs of TemperatureLimit, each answered. */
export function puts(n: number): number {
	return answer(messages[1], n);
}

/** n scans: five values set, pushed, the push answered SUCCESS. */
export function pushes(n: number): number {
	const ack = messages[2];
	const p = scanned;
	for (let i = 0; i < n; i++) {
		time++;
		p[0].set(3.95, time);
		p[1].set(18.6, time);
		p[2].set(location, time);
		p[3].set(423, time);
		p[4].set(false, time);
		client.push();
		const id = transport.requestId;
		ack[2] = id >>> 24;
		ack[3] = (id >>> 16) & 0xff;
		ack[4] = (id >>> 8) & 0xff;
		ack[5] = id & 0xff;
		transport.onMessage!(ack, true);
	}
	return client.stats.rowsAcknowledged;
}

/** The last line the shipped log level let through. */
export function lastLogLine(): string {
	return lastLine;
}
