/*
 * XS side of test/drivers/xs-moddable-alloc.test.ts: the SteamSensor app as shipped (the client's
 * defaults, pings on; log level info) on hal/moddable over TLS, the SDK's modules replaced by the fakes
 * of test/drivers/moddable. The SecureSocket stand-in's peer plays the platform inside XS: it answers
 * the upgrade, every request of the client with SUCCESS and every ping with a pong, and sends the
 * platform's GETs and PUTs, so the XS meters see hal/moddable, the client and the app alone. The peer
 * allocates nothing per message: its frames are made at setup, a SUCCESS gets its request id patched
 * in place, and it reads what the client writes in place (unmasking the few bytes it needs).
 */
import { createModdableHal } from "../../../hal/moddable/hal";
import { base64Encode } from "../../../hal/xs/text";
import { startSteamSensor, type SteamSensor } from "../../../src/apps/steamsensor/app";
import { createSimulatedDrivers } from "../../../src/drivers/index";
import { runtime } from "../../drivers/moddable/runtime";
import type SecureSocket from "../../drivers/moddable/securesocket";
import { seeded } from "../../support/seeded";

const SCAN_MS = 5000;
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** AlwaysOn: a response's code is SUCCESS (0x40) or above, a request's below. */
const SUCCESS = 0x40;
/** Answers owed at once, at most (a push and a ping in one turn, and what their answers cause). */
const OWED = 8;

/** The platform's side of the SecureSocket: what the client wrote, answered after the write returned. */
class Platform {
	readonly tls: SecureSocket;
	/** Requests answered SUCCESS, pings ponged, answers the client gave to the platform's requests. */
	readonly counts = { requests: 0, pings: 0, answers: 0, lastAnswerCode: 0 };
	upgradeKey = "";
	/** Comparing upgradeKey with "" would allocate: a string literal outside a preloaded module is made each time. */
	#upgraded = false;
	readonly #success: Uint8Array;
	readonly #pong = new Uint8Array([0x8a, 0]);
	/** Request ids owed a SUCCESS (-1: a pong is owed), a ring of OWED. */
	readonly #owed = new Array<number>(OWED).fill(0);
	#owedFrom = 0;
	#owedCount = 0;

	constructor(tls: SecureSocket, success: Uint8Array) {
		this.tls = tls;
		this.#success = success;
		tls.free = 0x10000;
		tls.onWrite = (bytes) => this.written(bytes);
	}

	private written(bytes: Uint8Array): void {
		if (!this.#upgraded) {
			this.upgradeKey = upgradeKey(bytes); // "GET /Thingworx/WS HTTP/1.1 ..."
			this.#upgraded = true;
			return;
		}
		const opcode = bytes[0]! & 0x0f;
		const short = bytes[1]! & 0x7f;
		const mask = short === 126 ? 4 : 2;
		if (short === 127) throw new Error("the stand-in reads frames of up to 64 KB");
		if (opcode === 9) this.#owe(-1);
		if (opcode !== 2) return;
		// The message head: version, code, request id (big-endian), masked.
		const at = mask + 4;
		const code = bytes[at + 1]! ^ bytes[mask + 1]!;
		const id = (((bytes[at + 2]! ^ bytes[mask + 2]!) << 24) | ((bytes[at + 3]! ^ bytes[mask + 3]!) << 16) | ((bytes[at + 4]! ^ bytes[mask]!) << 8) | (bytes[at + 5]! ^ bytes[mask + 1]!)) >>> 0;
		if (code >= SUCCESS) {
			this.counts.answers++;
			this.counts.lastAnswerCode = code;
		} else this.#owe(id);
	}

	#owe(id: number): void {
		if (this.#owedCount === OWED) throw new Error("the stand-in owes too many answers");
		this.#owed[(this.#owedFrom + this.#owedCount++) % OWED] = id;
	}

	/** Delivers what is owed, and what that causes, until nothing is. */
	pump(): void {
		while (this.#owedCount > 0) {
			const id = this.#owed[this.#owedFrom]!;
			this.#owedFrom = (this.#owedFrom + 1) % OWED;
			this.#owedCount--;
			if (id < 0) {
				this.counts.pings++;
				this.tls.deliver(this.#pong);
				continue;
			}
			const success = this.#success;
			success[4] = id >>> 24;
			success[5] = (id >>> 16) & 0xff;
			success[6] = (id >>> 8) & 0xff;
			success[7] = id & 0xff;
			this.counts.requests++;
			this.tls.deliver(success);
		}
	}
}

/** The Sec-WebSocket-Key of an upgrade request (setup only: it makes strings). */
function upgradeKey(request: Uint8Array): string {
	let text = "";
	for (let i = 0; i < request.length; i++) text += String.fromCharCode(request[i]!);
	const key = /Sec-WebSocket-Key: *([^\r]+)\r/i.exec(text);
	if (key === null) throw new Error("no Sec-WebSocket-Key in " + text);
	return key[1]!;
}

/** An unmasked binary frame around the message `hex` (setup only). */
function frame(hex: string): Uint8Array {
	const length = hex.length / 2;
	const head = length < 126 ? 2 : 4;
	const bytes = new Uint8Array(head + length);
	bytes[0] = 0x82;
	if (head === 2) bytes[1] = length;
	else {
		bytes[1] = 126;
		bytes[2] = length >> 8;
		bytes[3] = length & 0xff;
	}
	for (let i = 0; i < length; i++) bytes[head + i] = parseInt(hex.substr(2 * i, 2), 16);
	return bytes;
}

function ascii(text: string): Uint8Array {
	const bytes = new Uint8Array(text.length);
	for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
	return bytes;
}

let app: SteamSensor;
let platform: Platform;
/** The platform's requests: GET Temperature, PUT of a NUMBER, PUT of a BOOLEAN. */
const requests: Uint8Array[] = [];
/** The last line logged. */
let lastLine = "";

/**
 * Starts the app on hal/moddable over TLS and plays the platform until it is synchronized and its first
 * push answered (what it returns says so), then sets the steady state. `success`, `notify`, `get`, `putNumber`, `putBoolean`: the platform's messages (hex).
 */
export function setup(success: string, notify: string, get: string, putNumber: string, putBoolean: string): string {
	// Moddable's XS has Uint8Array.prototype.toBase64 (hal/moddable's base64Encode); XS 13.3 in xsnap does not.
	(Uint8Array.prototype as unknown as { toBase64?: () => string }).toBase64 ??= function (this: Uint8Array) {
		return base64Encode(this);
	};
	runtime.reset();
	// The log as shipped: a line at info or above is built and handed to trace().
	(globalThis as unknown as { trace: (line: string) => void }).trace = (line) => void (lastLine = line);
	const hal = createModdableHal({ logLevel: "info" }); // manifest.json's logLevel
	app = startSteamSensor({
		hal,
		drivers: createSimulatedDrivers({ random: seeded(7) }),
		config: { host: "twx.example", port: 443, tls: {}, appKey: () => "not-a-key" },
	});
	const tls = runtime.tls[0];
	if (tls === undefined) throw new Error("no SecureSocket opened");
	platform = new Platform(tls, frame(success));
	tls.signal(1); // the TLS handshake done: the upgrade request goes out
	const accept = hal.base64Encode(hal.sha1(ascii(platform.upgradeKey + GUID)));
	tls.deliver(ascii(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`));
	platform.pump(); // AUTH, BIND
	tls.deliver(frame(notify));
	platform.pump(); // the subscriptions, the first push
	const client = app.client;
	const status = `${client.state}${client.isSynchronized("SteamSensor") ? " synchronized" : ""}, pushes answered: ${client.stats.pushesAcknowledged}`;
	// The steady state, as bench:xs sets it: no fault events (the limit above every simulated temperature).
	app.thing.set("TemperatureLimit", 1000);
	cycles(1);
	requests.push(frame(get), frame(putNumber), frame(putBoolean));
	return status;
}

/** `n` scan cycles: 5 s of the fakes' clock each (the scan and its push; the client's pings when due), everything answered. */
export function cycles(n: number): number {
	for (let i = 0; i < n; i++) {
		runtime.advance(SCAN_MS);
		platform.pump();
	}
	return app.client.stats.pushesAcknowledged;
}

/** `n` platform requests of kind `which` (0 GET, 1 PUT NUMBER, 2 PUT BOOLEAN), each answered by the client. */
export function asks(which: number, n: number): number {
	const request = requests[which]!;
	for (let i = 0; i < n; i++) {
		platform.tls.deliver(request);
		platform.pump();
	}
	return platform.counts.lastAnswerCode;
}

/** Counts so far, as JSON text (read between runs). */
export function report(): string {
	const s = app.client.stats;
	return JSON.stringify({
		...platform.counts, pushes: s.pushes, pushesAcknowledged: s.pushesAcknowledged, pushFailures: s.pushFailures, state: app.client.state,
		temperatureLimit: app.thing.get("TemperatureLimit"), faultStatus: app.thing.get("FaultStatus"), lastLine,
	});
}
