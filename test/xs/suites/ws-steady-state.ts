/*
 * Runs inside XS (bundled by test/xs/bundles.ts for test/ws/allocation.test.ts): a WebSocketClient on a HAL whose socket
 * accepts everything and whose timers are inert, driven through the steady-state paths. The host
 * reads XS's slot meter around `run(n)` for two values of n: the difference is what n frames cost.
 * Nothing here allocates per iteration either, so whatever the meter shows is the client's.
 */
import type { Hal, HalSocket } from "../../../hal/hal";
import { WebSocketClient } from "../../../src/ws/index";

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGEST = new Uint8Array(20).fill(7); // the accept check only needs the same bytes on both sides

function base64(bytes: Uint8Array): string {
	let text = "";
	for (let i = 0; i < bytes.length; i += 3) {
		const n = (bytes[i] << 16) | ((i + 1 < bytes.length ? bytes[i + 1] : 0) << 8) | (i + 2 < bytes.length ? bytes[i + 2] : 0);
		text += BASE64[(n >> 18) & 63] + BASE64[(n >> 12) & 63] + (i + 1 < bytes.length ? BASE64[(n >> 6) & 63] : "=") + (i + 2 < bytes.length ? BASE64[n & 63] : "=");
	}
	return text;
}

function ascii(text: string): Uint8Array {
	const bytes = new Uint8Array(text.length);
	for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
	return bytes;
}

class SinkSocket implements HalSocket {
	onConnect: (() => void) | null = null;
	onData: ((bytes: Uint8Array) => void) | null = null;
	onWritable: ((free: number) => void) | null = null;
	onClose: ((error: Error | null) => void) | null = null;
	written = 0;
	connect(): void {}
	write(_bytes: Uint8Array, _offset: number, length: number): number {
		this.written += length;
		return length;
	}
	close(): void {}
}

let seed = 1;
let pingTick: (() => void) | null = null;
const socket = new SinkSocket();
const hal: Hal = {
	createSocket: () => socket,
	timers: {
		// Only kept timers in the steady state (a ping moves the deadline timer): a one-shot timer is an
		// allocation on a device (Moddable's Timer.set makes a timer object each time).
		set() {
			throw new Error("a one-shot timer in the steady state");
		},
		repeat(callback, _ms, owner) {
			pingTick = () => callback.call(owner!);
			return 2;
		},
		create: () => 3,
		schedule() {},
		clear() {},
	},
	now: () => 0,
	ticks: () => 0,
	randomBytes(into, offset, length) {
		for (let i = 0; i < length; i++) {
			seed = (seed * 1103515245 + 12345) & 0x7fffffff;
			into[offset + i] = seed & 0xff;
		}
	},
	sha1: () => DIGEST,
	base64Encode: base64,
	base64Decode: () => new Uint8Array(0),
	utf8EncodeInto(text, into, offset) {
		if (text.length > into.length - offset) return -1;
		for (let i = 0; i < text.length; i++) into[offset + i] = text.charCodeAt(i);
		return text.length;
	},
	utf8Decode(bytes, offset, length) {
		let text = "";
		for (let i = 0; i < length; i++) text += String.fromCharCode(bytes[offset + i]);
		return text;
	},
	log() {},
	logEnabled: () => false,
	store: { get: () => undefined, set() {}, delete() {} },
};

// Server bytes, built once: a 472-byte binary message (the SteamSensor push size), a text message
// of `textLength` bytes in two fragments with a ping between them (cut across two reads), an answer
// to our ping. Messages are handed over as a view of the RX buffer, made again only when the length
// changes: `setTextLength(472)` gives a stream of equal lengths, anything else alternates them.
const PUSH = 472;
const binary = new Uint8Array(4 + PUSH);
binary.set([0x82, 126, PUSH >> 8, PUSH & 0xff]);
let text = new Uint8Array(0);
let textHead = text;
let textTail = text;

export function setTextLength(length: number): void {
	text = new Uint8Array(2 + 100 + 10 + 4 + length - 100);
	text.set([0x01, 100]);
	text.fill(0x61, 2, 102);
	text.set([0x89, 8, 48, 55, 58, 50, 49, 58, 53, 56], 102);
	text.set([0x80, 126, (length - 100) >> 8, (length - 100) & 0xff], 112);
	text.fill(0x62, 116);
	textHead = text.subarray(0, 50);
	textTail = text.subarray(50);
}
setTextLength(PUSH);

const pong = new Uint8Array([0x8a, 0]);
const outgoing = new Uint8Array(PUSH).fill(3);
const outgoingText = new Uint8Array(64).fill(0x63);

let received = 0;
const client = new WebSocketClient(hal, { host: "device.local", pingIntervalMs: 55000, headers: [["Max-Frame-Size", "8192"]] });
client.onMessage = (bytes) => {
	received += bytes.length;
};
client.open();
socket.onConnect?.();
socket.onData?.(ascii(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${base64(DIGEST)}\r\n\r\n`));

/** n rounds of: send binary + text, receive binary, receive fragmented text with a ping inside, our ping and its pong. Returns bytes received. */
export function run(n: number): number {
	for (let i = 0; i < n; i++) {
		client.send(outgoing, 0, PUSH, true);
		client.send(outgoingText, 0, 64, false);
		socket.onData?.(binary);
		socket.onData?.(textHead);
		socket.onData?.(textTail);
		pingTick?.();
		socket.onData?.(pong);
	}
	return received;
}
