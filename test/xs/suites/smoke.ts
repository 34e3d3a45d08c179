/*
 * XS side of test/xs/xs-smoke.test.ts: the worker round trip and the HAL over the bridge.
 * Results go back to Node as log lines (through the HAL) or as evaluateJson values.
 */
import type { Hal, TlsOptions } from "../../../hal/hal";
import { createXsHal } from "../../../hal/xs/device";

let hal: Hal | null = null;

export function add(a: number, b: number): number {
	return a + b;
}

/** handleCommand that answers every command with its bytes reversed. */
export function installReverser(): void {
	(globalThis as unknown as { handleCommand: (b: ArrayBuffer) => ArrayBuffer }).handleCommand = (buffer) => {
		const bytes = new Uint8Array(buffer);
		const out = new Uint8Array(bytes.length);
		for (let i = 0; i < bytes.length; i++) out[i] = bytes[bytes.length - 1 - i]!;
		return out.buffer;
	};
}

export function startHal(): void {
	hal = createXsHal();
}

function theHal(): Hal {
	if (!hal) throw new Error("startHal() first");
	return hal;
}

/** TLS settings as JSON can carry them: a DER certificate as an array of bytes. */
export interface TlsJson {
	insecure?: boolean;
	servername?: string;
	caDer?: number[];
}

/** Connects (over TLS when `tls` is given), sends `text`, logs what comes back, closes after `expect` bytes; logs the close. */
export function echo(port: number, text: string, expect: number, tls?: TlsJson | boolean): void {
	const h = theHal();
	const socket = h.createSocket();
	const out = new Uint8Array(4 * text.length + 4);
	const length = h.utf8EncodeInto(text, out, 0);
	let received = 0;
	let sent = false;
	let got = "";
	socket.onConnect = () => h.log("info", "connected");
	socket.onWritable = (free) => {
		if (sent || free < length) return;
		sent = true;
		h.log("debug", `wrote ${socket.write(out, 0, length)} of ${length}`);
	};
	socket.onData = (bytes) => {
		received += bytes.length;
		got += h.utf8Decode(bytes, 0, bytes.length);
		if (received >= expect) {
			h.log("info", `echo ${got}`);
			socket.close();
		}
	};
	socket.onClose = (error) => h.log("info", `closed ${error ? `error ${error.message}` : "null"}`);
	socket.connect({ host: "127.0.0.1", port, tls: typeof tls === "object" ? tlsOptions(tls) : tls });
}

function tlsOptions(json: TlsJson): TlsOptions {
	const options: TlsOptions = {};
	if (json.insecure !== undefined) options.insecure = json.insecure;
	if (json.servername !== undefined) options.servername = json.servername;
	if (json.caDer) options.ca = new Uint8Array(json.caDer);
	return options;
}

/** Records timer firings with the virtual time they saw. */
export function scheduleTimers(): void {
	const h = theHal();
	const fired: string[] = [];
	const note = (name: string) => () => {
		fired.push(`${name}@${h.ticks()}`);
		h.log("info", `timers ${fired.join(" ")}`);
	};
	h.timers.set(note("a100"), 100);
	const cancelled = h.timers.set(note("never"), 150);
	h.timers.set(() => h.timers.clear(cancelled), 120);
	let count = 0;
	const every = h.timers.repeat(() => {
		note("r40")();
		if (++count === 3) h.timers.clear(every);
	}, 40);
	h.timers.set(() => h.timers.set(note("nested"), 10), 95);
}

export function clock(): [number, number] {
	return [theHal().now(), theHal().ticks()];
}

export function random(length: number): number[] {
	const bytes = new Uint8Array(length);
	theHal().randomBytes(bytes, 0, length);
	return Array.from(bytes);
}

export function sha1Hex(bytes: number[]): string {
	return hex(theHal().sha1(new Uint8Array(bytes)));
}

export function base64(bytes: number[]): string {
	return theHal().base64Encode(new Uint8Array(bytes));
}

export function unbase64(text: string): number[] | string {
	try {
		return Array.from(theHal().base64Decode(text));
	} catch (error) {
		return `${(error as Error).name}: ${(error as Error).message}`;
	}
}

/** [bytes written or -1, the bytes] for an into-buffer of `room` bytes at offset 1. */
export function utf8Encode(text: string, room: number): [number, number[]] {
	const into = new Uint8Array(room + 1);
	const n = theHal().utf8EncodeInto(text, into, 1);
	return [n, Array.from(into.subarray(1))];
}

export function utf8Decode(bytes: number[]): string | { error: string } {
	try {
		return theHal().utf8Decode(new Uint8Array([0x41, ...bytes, 0x42]), 1, bytes.length);
	} catch (error) {
		return { error: (error as Error).name };
	}
}

export function store(): Array<string | undefined> {
	const s = theHal().store;
	const before = s.get("appKey");
	s.set("x", "1");
	const x = s.get("x");
	s.delete("x");
	return [before, x, s.get("x")];
}

function hex(bytes: Uint8Array): string {
	let s = "";
	for (let i = 0; i < bytes.length; i++) s += (bytes[i]! < 16 ? "0" : "") + bytes[i]!.toString(16);
	return s;
}
