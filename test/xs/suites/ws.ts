/*
 * XS side of test/xs/ws.test.ts: WebSocketClients running in XS on hal/xs.
 * - Proxy mode (test/xs/ws-clients.ts drives it): each client's callbacks are reported to Node over
 *   the harness channel, and Node's sends are pulled from it. Functional only: it allocates freely.
 * - Echo mode: one client (or, for the baseline, one raw HAL socket) in a send/receive loop that runs
 *   entirely in XS, so the meters see the client and the bridge, not the harness.
 */
import type { HalSocket } from "../../../hal/hal";
import { createXsHal, type XsHal } from "../../../hal/xs/device";
import { WebSocketClient, type WebSocketClientOptions } from "../../../src/ws/index";

/** Channel tags (XsHalBridge onChannel). */
export const PULL = 1;
export const EVENT = 2;
/** Events in an EVENT payload: [event][client u16][...]. */
export const OPEN = 1;
export const MESSAGE = 2; // [binary u8][bytes]
export const CLOSE = 3; // [UTF-8 JSON {code, reason, error}]

let hal: XsHal;
const clients = new Map<number, { client: WebSocketClient; queue: Array<[Uint8Array, boolean]> }>();

export function start(): void {
	hal = createXsHal();
}

function report(event: number, id: number, body: Uint8Array | null): void {
	const out = new Uint8Array(3 + (body ? body.length : 0));
	out[0] = event;
	out[1] = id >> 8;
	out[2] = id & 0xff;
	if (body) out.set(body, 3);
	hal.channel(EVENT, out, 0, out.length);
}

function utf8(text: string): Uint8Array {
	const bytes = new Uint8Array(text.length * 3);
	return bytes.subarray(0, hal.utf8EncodeInto(text, bytes, 0));
}

export function open(id: number, optionsJson: string): void {
	const client = new WebSocketClient(hal, JSON.parse(optionsJson) as WebSocketClientOptions);
	const record = { client, queue: [] as Array<[Uint8Array, boolean]> };
	clients.set(id, record);
	client.onOpen = () => report(OPEN, id, null);
	client.onMessage = (bytes, binary) => {
		const body = new Uint8Array(1 + bytes.length);
		body[0] = binary ? 1 : 0;
		body.set(bytes, 1);
		report(MESSAGE, id, body);
	};
	// Node's proxy says yes to every send; sends the client refused wait here for onWritable.
	client.onWritable = () => {
		while (record.queue.length && client.send(record.queue[0]![0], 0, record.queue[0]![0].length, record.queue[0]![1])) record.queue.shift();
	};
	client.onClose = (code, reason, error) => {
		clients.delete(id);
		report(CLOSE, id, utf8(JSON.stringify({ code, reason, error: error && { kind: error.kind, message: error.message, code: error.code } })));
	};
	client.open();
}

export function send(id: number, binary: boolean): void {
	const id2 = new Uint8Array([id >> 8, id & 0xff]);
	const data = hal.channel(PULL, id2, 0, 2);
	const record = clients.get(id);
	if (!record) throw new Error(`send() on client ${id}, which is closed`);
	if (record.queue.length || !record.client.send(data, 0, data.length, binary)) record.queue.push([data, binary]);
}

export function close(id: number, code?: number, reason?: string): void {
	clients.get(id)?.client.close(code, reason);
}

// Echo mode. Buffers are made once, at open; a round is one message out and its echo back.

let echoClient: WebSocketClient | null = null;
let payload = new Uint8Array(0);
let remaining = 0;
let runToken = 0;

export function openEcho(port: number, size: number): void {
	payload = new Uint8Array(size);
	for (let i = 0; i < size; i++) payload[i] = i & 0xff;
	const client = new WebSocketClient(hal, { host: "127.0.0.1", port, path: "/", pingIntervalMs: 0 });
	client.onOpen = () => hal.log("info", "echo open");
	client.onMessage = (bytes) => {
		if (bytes.length !== payload.length) throw new Error("echo of another length");
		next();
	};
	client.onClose = (code) => hal.log("info", `echo closed ${code}`);
	echoClient = client;
	client.open();
}

let raw: HalSocket | null = null;
let rawIn = 0;
let rawReceived = 0;

/** The baseline: the same traffic pattern as the echo client (`out` bytes a round, `inBytes` back) on a bare HAL socket. */
export function openRaw(port: number, out: number, inBytes: number): void {
	payload = new Uint8Array(out);
	rawIn = inBytes;
	const socket = hal.createSocket();
	socket.onConnect = () => hal.log("info", "raw open");
	socket.onData = (bytes) => {
		rawReceived += bytes.length;
		if (rawReceived < rawIn) return;
		rawReceived -= rawIn;
		next();
	};
	raw = socket;
	socket.connect({ host: "127.0.0.1", port });
}

/** Starts `rounds` rounds on the open echo client or raw socket; logs "echo done <token>" after the last. */
export function rounds(count: number, token: number): void {
	remaining = count;
	runToken = token;
	sendRound();
}

function next(): void {
	if (--remaining > 0) sendRound();
	else hal.log("info", `echo done ${runToken}`);
}

function sendRound(): void {
	if (echoClient) {
		if (!echoClient.send(payload, 0, payload.length, true)) throw new Error("echo: TX buffer full");
	} else if (raw!.write(payload, 0, payload.length) !== payload.length) throw new Error("raw: window full");
}

export function closeEcho(): void {
	echoClient?.close(1000, "done");
	raw?.close();
}
