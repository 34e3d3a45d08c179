/*
 * The server side of RFC 6455, written for the tests independently of src/ws: raw TCP servers that
 * answer the upgrade as told, build server frames byte by byte and parse the client's frames.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import * as net from "node:net";
import { DEADLINE_MS } from "../support/deadline";

export const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export function acceptFor(key: string): string {
	return createHash("sha1").update(key + GUID).digest("base64");
}

export interface UpgradeRequest {
	requestLine: string;
	path: string;
	/** Lower-case names; repeated headers joined with ", ". */
	headers: Map<string, string>;
	/** Header names in the order sent, as sent. */
	names: string[];
	key: string;
}

/** The usual 101 answer; `edit` may drop or change lines. */
export function upgradeResponse(key: string, edit: (lines: string[]) => string[] = (l) => l): string {
	const lines = edit(["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", `Sec-WebSocket-Accept: ${acceptFor(key)}`]);
	return `${lines.join("\r\n")}\r\n\r\n`;
}

export interface ServerFrameOptions {
	fin?: boolean;
	rsv?: number; // bits 0x40 | 0x20 | 0x10
	mask?: Uint8Array; // a server must not mask: hostile tests do
	/** Force the length form: 7, 16 or 64 bits. */
	lengthBits?: 7 | 16 | 64;
	/** Claim this length in the header instead of the payload's. */
	claimedLength?: number;
}

export function serverFrame(opcode: number, payload: Uint8Array | string = new Uint8Array(0), options: ServerFrameOptions = {}): Buffer {
	const data = typeof payload === "string" ? Buffer.from(payload, "utf8") : Buffer.from(payload);
	const length = options.claimedLength ?? data.length;
	const bits = options.lengthBits ?? (length < 126 ? 7 : length < 65536 ? 16 : 64);
	const head: number[] = [((options.fin ?? true) ? 0x80 : 0) | (options.rsv ?? 0) | opcode];
	const maskBit = options.mask ? 0x80 : 0;
	if (bits === 7) head.push(maskBit | length);
	else if (bits === 16) head.push(maskBit | 126, length >> 8, length & 0xff);
	else {
		const high = Math.floor(length / 2 ** 32);
		head.push(maskBit | 127, (high >>> 24) & 0xff, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff, (length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
	}
	let body = data;
	if (options.mask) {
		head.push(...options.mask);
		body = Buffer.from(data.map((b, i) => b ^ options.mask![i & 3]));
	}
	return Buffer.concat([Buffer.from(head), body]);
}

export function closePayload(code: number, reason = ""): Buffer {
	const b = Buffer.alloc(2 + Buffer.byteLength(reason));
	b.writeUInt16BE(code, 0);
	b.write(reason, 2, "utf8");
	return b;
}

export interface ClientFrame {
	fin: boolean;
	rsv: number;
	opcode: number;
	masked: boolean;
	mask: Buffer;
	/** Unmasked. */
	payload: Buffer;
}

/** Parses client frames from a byte stream cut anywhere. */
export class ClientFrameParser {
	#pending = Buffer.alloc(0);
	readonly #onFrame: ((frame: ClientFrame) => void) | null;
	readonly frames: ClientFrame[] = [];

	constructor(onFrame: ((frame: ClientFrame) => void) | null = null) {
		this.#onFrame = onFrame;
	}

	push(chunk: Uint8Array): ClientFrame[] {
		this.#pending = Buffer.concat([this.#pending, chunk]);
		const found: ClientFrame[] = [];
		for (;;) {
			const p = this.#pending;
			if (p.length < 2) break;
			let length = p[1] & 0x7f;
			let at = 2;
			if (length === 126) {
				if (p.length < 4) break;
				length = p.readUInt16BE(2);
				at = 4;
			} else if (length === 127) {
				if (p.length < 10) break;
				length = Number(p.readBigUInt64BE(2));
				at = 10;
			}
			const masked = (p[1] & 0x80) !== 0;
			const maskEnd = at + (masked ? 4 : 0);
			if (p.length < maskEnd + length) break;
			const mask = Buffer.from(p.subarray(at, maskEnd));
			const payload = Buffer.from(p.subarray(maskEnd, maskEnd + length));
			if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
			const frame = { fin: (p[0] & 0x80) !== 0, rsv: p[0] & 0x70, opcode: p[0] & 0x0f, masked, mask, payload };
			found.push(frame);
			this.frames.push(frame);
			this.#pending = p.subarray(maskEnd + length);
			this.#onFrame?.(frame);
		}
		return found;
	}
}

export interface RawConnection {
	socket: net.Socket;
	request: UpgradeRequest;
	/** Client frames received after the upgrade request (filled as they arrive). */
	parser: ClientFrameParser;
	/** Resolves with the next client frame. */
	nextFrame(timeoutMs?: number): Promise<ClientFrame>;
	/** Sends the standard 101 answer. */
	accept(): void;
}

export interface RawServer {
	port: number;
	connections: RawConnection[];
	close(): Promise<void>;
}

/**
 * A TCP server that reads the upgrade request and hands it to `onRequest`; what the server answers
 * is up to the test. `onConnect` runs before any request byte (for servers that never read).
 */
export async function rawServer(onRequest: (c: RawConnection) => void, onConnect?: (socket: net.Socket) => void): Promise<RawServer> {
	const connections: RawConnection[] = [];
	const sockets = new Set<net.Socket>();
	const server = net.createServer((socket) => {
		sockets.add(socket);
		socket.on("close", () => sockets.delete(socket));
		socket.on("error", () => {});
		socket.setNoDelay(true);
		if (onConnect) {
			onConnect(socket);
			return;
		}
		let head = Buffer.alloc(0);
		const onData = (chunk: Buffer): void => {
			head = Buffer.concat([head, chunk]);
			const end = head.indexOf("\r\n\r\n");
			if (end < 0) return;
			socket.off("data", onData);
			const connection = makeConnection(socket, parseRequest(head.subarray(0, end).toString("latin1")));
			connections.push(connection);
			const rest = head.subarray(end + 4);
			if (rest.length > 0) connection.parser.push(rest);
			socket.on("data", (c: Buffer) => connection.parser.push(c));
			onRequest(connection);
		};
		socket.on("data", onData);
	});
	server.listen(0, "127.0.0.1");
	await once(server, "listening");
	return {
		port: (server.address() as net.AddressInfo).port,
		connections,
		async close() {
			for (const s of sockets) s.destroy();
			server.close();
			await once(server, "close");
		},
	};
}

function makeConnection(socket: net.Socket, request: UpgradeRequest): RawConnection {
	const waiting: Array<(f: ClientFrame) => void> = [];
	let delivered = 0;
	const parser = new ClientFrameParser(() => {
		while (waiting.length > 0 && delivered < parser.frames.length) waiting.shift()!(parser.frames[delivered++]);
	});
	return {
		socket,
		request,
		parser,
		nextFrame(timeoutMs = DEADLINE_MS) {
			if (delivered < parser.frames.length) return Promise.resolve(parser.frames[delivered++]);
			return withTimeout(new Promise<ClientFrame>((resolve) => waiting.push(resolve)), timeoutMs, "no client frame");
		},
		accept() {
			socket.write(upgradeResponse(request.key));
		},
	};
}

function parseRequest(text: string): UpgradeRequest {
	const lines = text.split("\r\n");
	const headers = new Map<string, string>();
	const names: string[] = [];
	for (const line of lines.slice(1)) {
		const colon = line.indexOf(":");
		const name = line.slice(0, colon);
		const value = line.slice(colon + 1).trim();
		names.push(name);
		const lower = name.toLowerCase();
		headers.set(lower, headers.has(lower) ? `${headers.get(lower)}, ${value}` : value);
	}
	return { requestLine: lines[0], path: lines[0].split(" ")[1], headers, names, key: headers.get("sec-websocket-key") ?? "" };
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout;
	return Promise.race([
		promise.finally(() => clearTimeout(timer)),
		new Promise<T>((_, reject) => {
			timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
		}),
	]);
}


export function randomBytes(random: () => number, length: number): Buffer {
	const b = Buffer.alloc(length);
	for (let i = 0; i < length; i++) b[i] = (random() * 256) | 0;
	return b;
}

/** UTF-8 text of exactly `length` bytes mixing 1- to 4-byte characters. */
export function utf8Text(length: number): Buffer {
	const pieces = ["a", "é", "€", "😀"];
	let text = "";
	let bytes = 0;
	for (let i = 0; bytes < length; i++) {
		const piece = pieces[i % 4];
		const size = Buffer.byteLength(piece);
		if (bytes + size > length) {
			text += "z".repeat(length - bytes);
			break;
		}
		text += piece;
		bytes += size;
	}
	const out = Buffer.from(text, "utf8");
	if (out.length !== length) throw new Error("utf8Text length");
	return out;
}
