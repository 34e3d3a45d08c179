/*
 * The HAL on Node: sockets over net/tls, timers over setTimeout, crypto from node:crypto.
 * Used by the host tools, `npm start` and the tests; never bundled for a device.
 */
import { createHash, randomFillSync } from "node:crypto";
import { existsSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import * as net from "node:net";
import { performance } from "node:perf_hooks";
import * as tls from "node:tls";
import { Deflate, Inflate, Z_SYNC_FLUSH } from "pako";
import type { Hal, HalCompression, HalDeflateStream, HalFlash, HalListener, HalSocket, HalStore, HalTimers, ListenOptions, LogLevel, ProxyOptions, SocketOptions, TimerId, TlsOptions } from "../hal";
import { MemoryFlash } from "../memory-flash";

export interface NodeHalOptions {
	/** Lowest level that reaches the sink (default "info"). */
	logLevel?: LogLevel;
	/** Where log lines go (default: one line on stderr). */
	logSink?: (level: LogLevel, message: string) => void;
	/** Keep the store in this JSON file (an object of strings); in memory only when absent. */
	storePath?: string;
	/**
	 * Keep each flash region (openFlash) in a file `<name>.flash` of this directory, 4096-byte sectors; in
	 * memory when absent (the same region for the same name while the HAL lives).
	 */
	flashDirectory?: string;
	/** Bytes a socket may hold unsent before `write` accepts less (default 16 KiB). */
	writeAllowance?: number;
	/** After `close()`, how long to wait for the peer's FIN before destroying the socket (default 1000 ms). */
	lingerMs?: number;
	/** Timers do not keep the process alive (default false). */
	unrefTimers?: boolean;
}

const LEVELS: Readonly<Record<LogLevel, number>> = Object.freeze({ trace: 0, debug: 1, info: 2, warn: 3, error: 4 });

/** A socket failure, with the Node error code (ECONNREFUSED, ENOTFOUND, DEPTH_ZERO_SELF_SIGNED_CERT, …). */
export class SocketError extends Error {
	readonly code: string;
	constructor(message: string, code: string, cause: unknown) {
		super(message, { cause });
		this.code = code;
	}
	override get name(): string {
		return "SocketError";
	}
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** The HAL's pure services on Node: SHA-1, base64, UTF-8 (also what the tests' scripted HALs use). */
export const nodeCodecs: Pick<Hal, "sha1" | "base64Encode" | "base64Decode" | "utf8EncodeInto" | "utf8Decode"> = Object.freeze({
	sha1: (bytes: Uint8Array) => new Uint8Array(createHash("sha1").update(bytes).digest()),
	base64Encode: (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
	base64Decode(text: string) {
		// Buffer's decoder skips anything it does not know; a HAL says so instead.
		if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) throw new TypeError("malformed base64");
		return new Uint8Array(Buffer.from(text, "base64"));
	},
	utf8EncodeInto(text: string, into: Uint8Array, offset: number) {
		if (Buffer.byteLength(text, "utf8") > into.length - offset) return -1;
		return encoder.encodeInto(text, into.subarray(offset)).written;
	},
	utf8Decode: (bytes: Uint8Array, offset: number, length: number) => decoder.decode(bytes.subarray(offset, offset + length)),
});

export function createNodeHal(options: NodeHalOptions = {}): Hal {
	const minLevel = LEVELS[options.logLevel ?? "info"];
	const sink = options.logSink ?? writeLogLine;
	const allowance = options.writeAllowance ?? 16384;
	const lingerMs = options.lingerMs ?? 1000;
	return {
		createSocket: () => new NodeSocket(allowance, lingerMs),
		createListener: () => new NodeListener(allowance, lingerMs),
		timers: nodeTimers(options.unrefTimers === true),
		now: () => Date.now(),
		ticks: () => performance.now(),
		randomBytes(into, offset, length) {
			randomFillSync(into, offset, length);
		},
		...nodeCodecs,
		log(level, message) {
			if (LEVELS[level] >= minLevel) sink(level, message);
		},
		logEnabled: (level) => LEVELS[level] >= minLevel,
		store: options.storePath === undefined ? new MemoryStore() : new FileStore(options.storePath),
		openFlash: flashOpener(options.flashDirectory),
		compression: nodeCompression,
	};
}

const SECTOR = 4096;

function flashOpener(directory: string | undefined): (name: string, byteLength: number) => HalFlash {
	const opened = new Map<string, MemoryFlash>();
	return (name, byteLength) => {
		if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new TypeError(`flash: the name "${name}" is not 1 to 64 letters, digits, - or _`);
		if (!(Number.isInteger(byteLength) && byteLength >= SECTOR && byteLength % SECTOR === 0)) throw new RangeError(`flash: ${byteLength} bytes is not a whole number of ${SECTOR}-byte sectors`);
		let flash = opened.get(name);
		if (flash === undefined) {
			flash = directory === undefined ? new MemoryFlash(byteLength, SECTOR) : new FileFlash(join(directory, name + ".flash"), byteLength);
			opened.set(name, flash);
		}
		if (flash.byteLength < byteLength) throw new RangeError(`flash: region ${name} has ${flash.byteLength} bytes, not ${byteLength}`);
		return flash;
	};
}

/** Flash in a file: read whole at open, every write and erase written through (the OS keeps it across a crash of the process). */
class FileFlash extends MemoryFlash {
	readonly #fd: number;
	constructor(path: string, byteLength: number) {
		const exists = existsSync(path);
		const data = exists ? new Uint8Array(readFileSync(path)) : undefined;
		if (data !== undefined && data.length !== byteLength) throw new RangeError(`flash file ${path} holds ${data.length} bytes, not ${byteLength}`);
		super(byteLength, SECTOR, data);
		this.#fd = openSync(path, exists ? "r+" : "w+");
		if (!exists) writeSync(this.#fd, this.bytes, 0, byteLength, 0);
	}
	override write(offset: number, bytes: Uint8Array, at: number, length: number): void {
		super.write(offset, bytes, at, length);
		writeSync(this.#fd, this.bytes, offset, length, offset);
	}
	override erase(sector: number): void {
		super.erase(sector);
		writeSync(this.#fd, this.bytes, sector * SECTOR, SECTOR, sector * SECTOR);
	}
}

/**
 * Raw DEFLATE streams for permessage-deflate. Node's zlib has no synchronous stream that survives a
 * sync flush (its *Sync functions close the stream), so this is pako, the zlib port to JavaScript.
 */
const nodeCompression: HalCompression = Object.freeze({
	deflater: (windowBits: number) => new DeflateStream(new Deflate({ raw: true, windowBits }), Infinity),
	inflater: (windowBits: number, maxOutput: number) => new DeflateStream(new Inflate({ raw: true, windowBits }), maxOutput),
});

class DeflateStream implements HalDeflateStream {
	readonly #engine: Deflate | Inflate;
	readonly #maxOutput: number;
	#chunks: Uint8Array[] = [];
	#length = 0;

	constructor(engine: Deflate | Inflate, maxOutput: number) {
		this.#engine = engine;
		this.#maxOutput = maxOutput;
		// Past the limit, chunks are counted but not kept: an inflation bomb costs time, not memory.
		engine.onData = (chunk: Uint8Array) => {
			this.#length += chunk.length;
			if (this.#length <= this.#maxOutput) this.#chunks.push(chunk);
		};
	}

	write(bytes: Uint8Array, offset: number, length: number): Uint8Array {
		const engine = this.#engine;
		this.#chunks = [];
		this.#length = 0;
		engine.push(bytes.subarray(offset, offset + length), Z_SYNC_FLUSH);
		if (engine.err !== 0) throw new Error(`DEFLATE stream error: ${engine.msg || engine.err}`);
		if (this.#length > this.#maxOutput) throw new RangeError(`output over ${this.#maxOutput} bytes`);
		const chunks = this.#chunks;
		if (chunks.length === 1) return chunks[0];
		const out = new Uint8Array(this.#length);
		let at = 0;
		for (const chunk of chunks) {
			out.set(chunk, at);
			at += chunk.length;
		}
		return out;
	}

	close(): void {
		this.#chunks = [];
	}
}

function writeLogLine(level: LogLevel, message: string): void {
	process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${message}\n`);
}

/** A timer made by create(): one setTimeout at a time, replaced at each schedule. */
class NodeDeadline {
	#callback: (this: unknown) => void;
	#owner: unknown;
	#unref: boolean;
	#timeout: NodeJS.Timeout | null = null;

	constructor(callback: (this: unknown) => void, owner: unknown, unref: boolean) {
		this.#callback = callback;
		this.#owner = owner;
		this.#unref = unref;
	}

	schedule(ms: number): void {
		if (this.#timeout !== null) clearTimeout(this.#timeout);
		this.#timeout = null;
		if (ms < 0) return;
		this.#timeout = setTimeout(this.#fire, ms);
		if (this.#unref) this.#timeout.unref();
	}

	#fire = (): void => {
		this.#timeout = null;
		this.#callback.call(this.#owner);
	};
}

function nodeTimers(unref: boolean): HalTimers {
	return {
		set(callback, ms): TimerId {
			const t = setTimeout(callback, ms);
			if (unref) t.unref();
			return t;
		},
		repeat<T>(callback: (this: T) => void, ms: number, owner?: T): TimerId {
			const t = setInterval(() => callback.call(owner as T), ms);
			if (unref) t.unref();
			return t;
		},
		create(callback, owner): TimerId {
			return new NodeDeadline(callback as (this: unknown) => void, owner, unref);
		},
		schedule(id, ms) {
			(id as NodeDeadline).schedule(ms);
		},
		clear(id) {
			if (id instanceof NodeDeadline) id.schedule(-1);
			// Node's clearTimeout also clears intervals.
			else if (id !== null && id !== undefined) clearTimeout(id as NodeJS.Timeout);
		},
	};
}

/**
 * States: no socket yet -> connecting -> connected -> closed (by us or the peer).
 * `write` copies what it accepts into Node's queue, up to `allowance` unsent bytes; when it had to
 * refuse bytes, the write callback of the chunk that drains the queue reports the free room.
 */
class NodeSocket implements HalSocket {
	onConnect: (() => void) | null = null;
	onData: ((bytes: Uint8Array) => void) | null = null;
	onWritable: ((free: number) => void) | null = null;
	onClose: ((error: Error | null) => void) | null = null;
	#socket: net.Socket | null = null;
	#allowance: number;
	#lingerMs: number;
	#target = "";
	#connected = false;
	#closed = false;
	#reported = false;
	#blocked = false;
	#error: Error | null = null;
	#linger: NodeJS.Timeout | null = null;

	constructor(allowance: number, lingerMs: number) {
		this.#allowance = allowance;
		this.#lingerMs = lingerMs;
	}

	connect(options: SocketOptions): void {
		if (this.#socket !== null || this.#closed) throw new Error("HalSocket.connect called twice");
		const { host, port, proxy } = options;
		this.#target = `${host}:${port}`;
		const secure = options.tls !== undefined && options.tls !== false;
		const tlsOptions = secure ? tlsConnectOptions(host, port, options.tls === true ? {} : (options.tls as TlsOptions)) : null;
		if (proxy === undefined) {
			this.#attach(tlsOptions === null ? net.connect({ host, port }) : tls.connect(tlsOptions), tlsOptions === null ? "connect" : "secureConnect", host);
			return;
		}
		const via = `${proxy.host}:${proxy.port}`;
		const raw = net.connect({ host: proxy.host, port: proxy.port });
		this.#socket = raw;
		raw.on("error", (error: NodeJS.ErrnoException) => {
			if (!this.#closed && this.#error === null) this.#error = describe(error, proxy.host, via, false);
		});
		let tunnelled = false;
		raw.on("close", () => {
			if (!tunnelled && this.#error === null) this.#error = new SocketError(`proxy ${via} closed the connection before answering CONNECT`, "EPROXY", null);
			this.#report();
		});
		tunnel(raw, proxy, this.#target, (error) => {
			tunnelled = true;
			if (this.#closed) return;
			if (error !== null) {
				this.#error = error;
				raw.destroy();
			} else if (tlsOptions === null) {
				this.#attach(raw, null, host);
			} else {
				this.#attach(tls.connect({ ...tlsOptions, socket: raw }), "secureConnect", host);
			}
		});
	}

	/** An accepted connection (NodeListener): open from the start; its callbacks are set after this, so no onConnect reaches them. */
	adopt(socket: net.Socket): void {
		this.#target = `${socket.remoteAddress}:${socket.remotePort}`;
		this.#attach(socket, null, socket.remoteAddress ?? "");
	}

	/** Listens to the socket that carries the data; `ready` is its connect event, null when it is already connected. */
	#attach(socket: net.Socket, ready: "connect" | "secureConnect" | null, host: string): void {
		const secure = ready === "secureConnect";
		this.#socket = socket;
		socket.setNoDelay(true);
		const connected = (): void => {
			if (this.#closed) return;
			this.#connected = true;
			this.onConnect?.();
			if (!this.#closed) this.onWritable?.(this.#free());
		};
		socket.on("data", (bytes: Buffer) => {
			if (!this.#closed) this.onData?.(bytes);
		});
		socket.on("error", (error: NodeJS.ErrnoException) => {
			if (!this.#closed && this.#error === null) this.#error = describe(error, host, this.#target, secure && !this.#connected);
		});
		socket.on("close", () => this.#report());
		if (ready === null) {
			socket.resume();
			connected();
		} else {
			socket.once(ready, connected);
		}
	}

	write(bytes: Uint8Array, offset: number, length: number): number {
		const socket = this.#socket;
		if (socket === null || !this.#connected || this.#closed || !socket.writable || length <= 0) return 0;
		const free = this.#free();
		const accepted = free < length ? free : length;
		if (accepted < length) this.#blocked = true;
		if (accepted <= 0) return 0;
		// Buffer.from copies: the caller reuses its buffer as soon as we return.
		socket.write(Buffer.from(bytes.subarray(offset, offset + accepted)), this.#flushed);
		return accepted;
	}

	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		const socket = this.#socket;
		if (socket === null) {
			queueMicrotask(() => this.#report());
		} else if (!this.#connected) {
			socket.destroy();
		} else {
			// end() flushes what is queued (a close frame) and sends FIN; a peer that never
			// answers with its own FIN does not keep the socket open past the linger time.
			socket.end();
			this.#linger = setTimeout(() => socket.destroy(), this.#lingerMs);
			this.#linger.unref();
		}
	}

	#free(): number {
		return this.#allowance - (this.#socket?.writableLength ?? 0);
	}

	#flushed = (error?: Error | null): void => {
		if (error || this.#closed || !this.#blocked) return;
		const free = this.#free();
		if (free <= 0) return;
		this.#blocked = false;
		this.onWritable?.(free);
	};

	#report(): void {
		if (this.#reported) return;
		this.#reported = true;
		if (this.#linger !== null) clearTimeout(this.#linger);
		this.#connected = false;
		this.#closed = true;
		this.onClose?.(this.#error);
	}
}

/** The most a proxy's answer to CONNECT may take. */
const MAX_PROXY_RESPONSE = 8192;

/**
 * Asks the HTTP proxy on `raw` for a tunnel to `target` (CONNECT, RFC 9110 §9.3.6); `done(null)` once
 * it answers 2xx, with the socket paused and any bytes past the answer put back. The credentials go in
 * the request only: an error quotes the proxy's status line, never what we sent.
 */
function tunnel(raw: net.Socket, proxy: ProxyOptions, target: string, done: (error: SocketError | null) => void): void {
	const via = `${proxy.host}:${proxy.port}`;
	let answer = Buffer.alloc(0);
	raw.once("connect", () => {
		let request = `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n`;
		if (proxy.username !== undefined) request += `Proxy-Authorization: Basic ${Buffer.from(`${proxy.username}:${proxy.password ?? ""}`).toString("base64")}\r\n`;
		raw.write(`${request}\r\n`);
	});
	const onData = (bytes: Buffer): void => {
		answer = Buffer.concat([answer, bytes]);
		const end = answer.indexOf("\r\n\r\n");
		if (end < 0 && answer.length <= MAX_PROXY_RESPONSE) return;
		raw.off("data", onData);
		raw.pause();
		if (end < 0) {
			done(new SocketError(`proxy ${via} answered CONNECT with over ${MAX_PROXY_RESPONSE} bytes of headers`, "EPROXY", null));
			return;
		}
		if (end + 4 < answer.length) raw.unshift(answer.subarray(end + 4));
		const statusLine = answer.toString("latin1", 0, answer.indexOf("\r\n"));
		if (/^HTTP\/1\.[01] 2\d\d(?: |$)/.test(statusLine)) done(null);
		else done(new SocketError(`proxy ${via} refused the tunnel to ${target}: "${statusLine.replace(/[^ -~]/g, "?").slice(0, 100)}"`, "EPROXY", null));
	};
	raw.on("data", onData);
}

/**
 * A net (or tls) server. Accepted sockets are NodeSockets; a TLS client whose handshake fails never
 * reaches onAccept (Node drops it after "tlsClientError").
 */
class NodeListener implements HalListener {
	onListening: ((port: number) => void) | null = null;
	onAccept: ((socket: HalSocket, remoteAddress: string) => void) | null = null;
	onClose: ((error: Error | null) => void) | null = null;
	#allowance: number;
	#lingerMs: number;
	#server: net.Server | null = null;
	#closed = false;
	#reported = false;

	constructor(allowance: number, lingerMs: number) {
		this.#allowance = allowance;
		this.#lingerMs = lingerMs;
	}

	listen(options: ListenOptions): void {
		if (this.#server !== null || this.#closed) throw new Error("HalListener.listen called twice");
		const { host, port } = options;
		const secure = options.tls !== undefined;
		const server = secure ? tls.createServer({ cert: options.tls!.certificate, key: options.tls!.privateKey }) : net.createServer();
		this.#server = server;
		server.on(secure ? "secureConnection" : "connection", (raw: net.Socket) => {
			if (this.#closed) return void raw.destroy();
			const socket = new NodeSocket(this.#allowance, this.#lingerMs);
			socket.adopt(raw);
			this.onAccept?.(socket, raw.remoteAddress ?? "");
		});
		server.once("error", (error: NodeJS.ErrnoException) => {
			const code = error.code ?? "";
			const why = code === "EADDRINUSE" ? "the port is in use" : code === "EADDRNOTAVAIL" ? "no interface has that address" : code === "EACCES" ? "permission denied" : error.message;
			this.#report(new SocketError(`cannot listen on ${host}:${port}: ${why}${code ? ` (${code})` : ""}`, code, error));
			server.close();
		});
		server.listen({ host, port }, () => {
			if (this.#closed) return;
			const address = server.address();
			this.onListening?.(typeof address === "object" && address !== null ? address.port : port);
		});
	}

	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		// server.close()'s callback waits for every open connection: stop listening and report now.
		if (this.#server?.listening) this.#server.close();
		queueMicrotask(() => this.#report(null));
	}

	#report(error: Error | null): void {
		if (this.#reported) return;
		this.#reported = true;
		this.#closed = true;
		this.onClose?.(error);
	}
}

function tlsConnectOptions(host: string, port: number, options: TlsOptions): tls.ConnectionOptions {
	const result: tls.ConnectionOptions = { host, port, rejectUnauthorized: options.insecure !== true };
	const servername = options.servername ?? (net.isIP(host) === 0 ? host : undefined);
	if (servername !== undefined) result.servername = servername;
	if (options.ca !== undefined) {
		// The HAL's `ca` adds to the usual roots; Node's `ca` replaces them.
		const extra = typeof options.ca === "string" || options.ca instanceof Uint8Array ? [options.ca] : options.ca;
		result.ca = [...tls.rootCertificates, ...extra.map(pemText)];
	}
	return result;
}

/** PEM text as is; DER bytes (Moddable's form) wrapped as PEM. */
function pemText(certificate: string | Uint8Array): string {
	if (typeof certificate === "string") return certificate;
	const text = Buffer.from(certificate).toString("latin1");
	if (text.startsWith("-----BEGIN")) return text;
	const lines = Buffer.from(certificate).toString("base64").match(/.{1,64}/g) ?? [];
	return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

function describe(error: NodeJS.ErrnoException, host: string, target: string, tlsHandshake: boolean): SocketError {
	const code = error.code ?? "";
	let message: string;
	switch (code) {
		case "ECONNREFUSED":
			message = `connection refused by ${target}`;
			break;
		case "ECONNRESET":
			message = `connection reset by ${target}`;
			break;
		case "EPIPE":
			message = `connection to ${target} broken while writing`;
			break;
		case "ENOTFOUND":
		case "EAI_AGAIN":
		case "EAI_FAIL":
		case "EAI_NONAME":
			message = `DNS lookup of ${host} failed (${code})`;
			break;
		case "ETIMEDOUT":
			message = `connection to ${target} timed out`;
			break;
		case "EHOSTUNREACH":
		case "ENETUNREACH":
			message = `${target} is unreachable (${code})`;
			break;
		default:
			message = tlsHandshake ? `TLS handshake with ${target} failed: ${error.message} (${code})` : `socket error on ${target}: ${error.message}${code ? ` (${code})` : ""}`;
	}
	return new SocketError(message, code, error);
}

class MemoryStore implements HalStore {
	protected readonly entries = new Map<string, string>();
	get(key: string): string | undefined {
		return this.entries.get(key);
	}
	set(key: string, value: string): void {
		this.entries.set(key, value);
	}
	delete(key: string): void {
		this.entries.delete(key);
	}
}

/** The memory store, saved to a JSON file after every change (written aside, then renamed). */
class FileStore extends MemoryStore {
	readonly #path: string;
	constructor(path: string) {
		super();
		this.#path = path;
		if (!existsSync(path)) return;
		const data: unknown = JSON.parse(readFileSync(path, "utf8"));
		if (data === null || typeof data !== "object" || Array.isArray(data)) throw new TypeError(`store file ${path} does not hold a JSON object`);
		for (const [key, value] of Object.entries(data)) {
			if (typeof value !== "string") throw new TypeError(`store file ${path}: the value of "${key}" is not a string`);
			this.entries.set(key, value);
		}
	}
	override set(key: string, value: string): void {
		super.set(key, value);
		this.#save();
	}
	override delete(key: string): void {
		if (!this.entries.has(key)) return;
		super.delete(key);
		this.#save();
	}
	#save(): void {
		const temporary = `${this.#path}.tmp`;
		writeFileSync(temporary, JSON.stringify(Object.fromEntries(this.entries), null, "\t"));
		renameSync(temporary, this.#path);
	}
}
