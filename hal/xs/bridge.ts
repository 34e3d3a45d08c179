/*
 * Node side of the XS HAL (hal/xs/device.ts): answers the device's requests (sockets over net/tls,
 * logs, the HELLO with seed, clock and store) and sends it events, each in its own crank queued behind
 * the crank in progress. Wire format: hal/xs/wire.ts.
 */
import { randomBytes } from "node:crypto";
import * as net from "node:net";
import * as tls from "node:tls";
import type { LogLevel } from "../hal";
import { XsWorker, type BundleOptions, type XsCrank, type XsWorkerOptions } from "./host";
import { ACCEPTED_ID_BASE, Event, EVENT_HEADER, LOG_LEVELS, Request, REQUEST_HEADER } from "./wire";

export interface XsHalBridgeOptions {
	/** xoshiro128** seed for the device's randomBytes; random when absent. */
	seed?: [number, number, number, number];
	/** Wall clock at virtual time 0 (ms since epoch); default Date.now(). */
	now?: number;
	/** Bytes a device socket may have in flight before `write` accepts less (its TX window); default 64 KiB. */
	window?: number;
	/** Initial contents of the device's store. */
	store?: Record<string, string>;
	/** Log lines from the device, as they come; they are also kept in `logs`. */
	onLog?: (level: LogLevel, message: string) => void;
	/** A test harness's channel (XsHal.channel in XS): its answer goes back to XS. */
	onChannel?: (tag: number, payload: Uint8Array) => Uint8Array | string | void;
	worker?: Omit<XsWorkerOptions, "handleCommand">;
}

export interface LogLine {
	level: LogLevel;
	message: string;
}

/** What crossed the bridge, for attributing XS meters: each event and request allocates in XS (see device.ts). */
export interface BridgeCounts {
	events: number;
	dataEvents: number;
	bytesToXs: number;
	requests: number;
	writes: number;
	bytesFromXs: number;
}

interface LogWaiter {
	match: (line: LogLine) => boolean;
	resolve: (line: LogLine) => void;
	reject: (error: Error) => void;
}

export class XsHalBridge {
	readonly worker: XsWorker;
	readonly logs: LogLine[] = [];
	/** Failures of event cranks (an exception thrown by a device callback). */
	readonly errors: Error[] = [];
	readonly counts: BridgeCounts = { events: 0, dataEvents: 0, bytesToXs: 0, requests: 0, writes: 0, bytesFromXs: 0 };
	#options: XsHalBridgeOptions;
	#sockets = new Map<number, net.Socket>();
	#servers = new Map<number, net.Server>();
	#nextAccepted = ACCEPTED_ID_BASE;
	#flushed = new Map<number, number>();
	#flushScheduled = false;
	#inFlight = 0;
	#idle: Array<() => void> = [];
	#waiters = new Set<LogWaiter>();
	#closed = false;
	#clock: NodeJS.Timeout | null = null;
	/** The clock's advance in flight: close() lets it finish, or the worker looks busy and is killed mid-crank. */
	#advancing: Promise<unknown> = Promise.resolve();

	constructor(options: XsHalBridgeOptions = {}) {
		this.#options = options;
		this.worker = new XsWorker({ ...options.worker, handleCommand: (request) => this.#request(request) });
	}

	/** Loads a bundle that calls createXsHal() (see XsWorker.loadBundle). */
	loadBundle(bundle: BundleOptions): Promise<XsCrank> {
		return this.worker.loadBundle(bundle);
	}

	/** Advances the device's virtual clock by `ms`, firing the timers that fall due; resolves after that crank. */
	async advance(ms: number): Promise<XsCrank> {
		const event = Buffer.alloc(EVENT_HEADER + 4);
		event[0] = Event.ADVANCE;
		event.writeUInt32BE(Math.round(ms), EVENT_HEADER);
		return this.#deliver(event);
	}

	/**
	 * Moves the virtual clock with real time, every `stepMs`, for code that expects time to pass by
	 * itself (ping intervals, timeouts); `advance` stays available. Stopped by stopClock() and close().
	 */
	runClock(stepMs = 10): void {
		if (this.#clock) return;
		let last = performance.now();
		let busy = false;
		this.#clock = setInterval(() => {
			if (busy) return;
			const now = performance.now();
			const elapsed = Math.floor(now - last);
			if (elapsed < 1) return;
			last += elapsed;
			busy = true;
			this.#advancing = this.advance(elapsed).then(() => (busy = false), () => (busy = false));
		}, stepMs);
		this.#clock.unref();
	}

	stopClock(): void {
		if (this.#clock) clearInterval(this.#clock);
		this.#clock = null;
	}

	/** Resolves with the first log line (already seen or to come) that matches; rejects on a device exception or after a hang guard far above any real wait (tests assert no speed). */
	waitForLog(pattern: RegExp | string, timeoutMs = 60_000): Promise<LogLine> {
		const match = (line: LogLine) => (typeof pattern === "string" ? line.message.includes(pattern) : pattern.test(line.message));
		const seen = this.logs.find(match);
		if (seen) return Promise.resolve(seen);
		if (this.errors.length) return Promise.reject(this.errors[0]);
		return new Promise((resolve, reject) => {
			const waiter: LogWaiter = {
				match,
				resolve: (line) => {
					clearTimeout(timer);
					this.#waiters.delete(waiter);
					resolve(line);
				},
				reject: (error) => {
					clearTimeout(timer);
					this.#waiters.delete(waiter);
					reject(error);
				},
			};
			const timer = setTimeout(() => waiter.reject(new Error(`no device log matching ${pattern} within ${timeoutMs} ms; last lines: ${this.logs.slice(-5).map((l) => l.message).join(" | ")}`)), timeoutMs);
			this.#waiters.add(waiter);
		});
	}

	/** Resolves when no event is waiting for or running in a crank. */
	idle(): Promise<void> {
		if (this.#inFlight === 0 && !this.#flushScheduled) return Promise.resolve();
		return new Promise((resolve) => this.#idle.push(resolve));
	}

	/** Destroys every proxied socket and ends the worker (see XsWorker.close for `graceMs`). */
	async close(graceMs?: number): Promise<void> {
		this.stopClock();
		await this.#advancing;
		this.#closed = true;
		for (const socket of this.#sockets.values()) socket.destroy();
		this.#sockets.clear();
		for (const server of this.#servers.values()) server.close();
		this.#servers.clear();
		await this.worker.close(graceMs);
		for (const waiter of this.#waiters) waiter.reject(new Error("bridge closed"));
	}

	#request(request: Uint8Array): Uint8Array | string | void {
		const op = request[0];
		const id = (request[1]! << 8) | request[2]!;
		const length = Buffer.from(request.buffer, request.byteOffset, request.byteLength).readUInt32BE(3);
		const payload = request.subarray(REQUEST_HEADER, REQUEST_HEADER + length);
		this.counts.requests++;
		switch (op) {
			case Request.HELLO:
				return JSON.stringify({
					seed: this.#options.seed ?? Array.from(new Uint32Array(randomBytes(16).buffer)),
					now: this.#options.now ?? Date.now(),
					window: this.#options.window ?? 65536,
					store: this.#options.store ?? {},
				});
			case Request.CONNECT:
				return this.#connect(id, JSON.parse(Buffer.from(payload).toString("utf8")));
			case Request.WRITE:
				return this.#write(id, payload);
			case Request.CLOSE:
				return void this.#sockets.get(id)?.destroySoon();
			case Request.LOG:
				return this.#log({ level: LOG_LEVELS[id] ?? "info", message: Buffer.from(payload).toString("utf8") });
			case Request.LISTEN:
				return this.#listen(id, JSON.parse(Buffer.from(payload).toString("utf8")));
			case Request.UNLISTEN:
				return this.#unlisten(id);
			case Request.CHANNEL:
				if (!this.#options.onChannel) throw new Error(`channel ${id} used without an onChannel handler`);
				return this.#options.onChannel(id, payload);
			default:
				throw new Error(`unknown request ${op} from the device`);
		}
	}

	#connect(id: number, options: ConnectOptions) {
		const { host, port } = options;
		const socket = options.tls === false ? net.connect({ host, port }) : tls.connect(tlsConnectOptions(host, port, options.tls === true ? {} : options.tls));
		const secure = options.tls !== false;
		socket.once(secure ? "secureConnect" : "connect", () => this.#deliver(event(Event.CONNECT, id)));
		this.#track(id, socket, `${host}:${port}`);
	}

	#listen(id: number, options: ListenRequest) {
		const { host, port } = options;
		const secure = options.tls !== undefined && options.tls !== null;
		const server = secure ? tls.createServer({ cert: options.tls!.certificate, key: options.tls!.privateKey }) : net.createServer();
		this.#servers.set(id, server);
		server.on(secure ? "secureConnection" : "connection", (socket: net.Socket) => {
			const accepted = this.#acceptedId();
			if (accepted < 0) return void socket.destroy();
			const header = Buffer.alloc(2);
			header.writeUInt16BE(accepted);
			this.#track(accepted, socket, `${socket.remoteAddress}:${socket.remotePort}`);
			this.#deliver(Buffer.concat([event(Event.ACCEPT, id), header, Buffer.from(socket.remoteAddress ?? "", "utf8")]));
		});
		server.once("error", (error: NodeJS.ErrnoException) => {
			this.#servers.delete(id);
			server.close();
			this.#deliver(Buffer.concat([event(Event.CLOSE, id), Buffer.from(`cannot listen on ${host}:${port}: ${error.code ?? error.message}`, "utf8")]));
		});
		server.listen({ host, port }, () => {
			const address = server.address();
			const bound = Buffer.alloc(2);
			bound.writeUInt16BE(typeof address === "object" && address !== null ? address.port : port);
			this.#deliver(Buffer.concat([event(Event.LISTENING, id), bound]));
		});
	}

	#unlisten(id: number) {
		const server = this.#servers.get(id);
		this.#servers.delete(id);
		if (server?.listening) server.close();
		setImmediate(() => this.#deliver(event(Event.CLOSE, id)));
	}

	/** A free id for an accepted socket, -1 when all 32 Ki are in use. */
	#acceptedId(): number {
		for (let tries = 0; tries < ACCEPTED_ID_BASE; tries++) {
			const id = this.#nextAccepted;
			this.#nextAccepted = id === 0xffff ? ACCEPTED_ID_BASE : id + 1;
			if (!this.#sockets.has(id)) return id;
		}
		return -1;
	}

	/** Relays a connected or accepted socket's data and close to the device. */
	#track(id: number, socket: net.Socket, target: string) {
		socket.setNoDelay(true);
		this.#sockets.set(id, socket);
		let failure = "";
		socket.on("data", (bytes: Buffer) => {
			this.counts.dataEvents++;
			this.counts.bytesToXs += bytes.length;
			this.#deliver(Buffer.concat([event(Event.DATA, id), bytes]));
		});
		socket.on("error", (error: NodeJS.ErrnoException) => {
			failure ||= `${error.code ?? "error"}: ${error.message} (${target})`;
		});
		socket.on("close", () => {
			this.#sockets.delete(id);
			this.#flushed.delete(id);
			this.#deliver(Buffer.concat([event(Event.CLOSE, id), Buffer.from(failure, "utf8")]));
		});
	}

	#write(id: number, payload: Uint8Array) {
		this.counts.writes++;
		this.counts.bytesFromXs += payload.length;
		const socket = this.#sockets.get(id);
		if (!socket || !socket.writable) return;
		// Copy: the request buffer belongs to the netstring reader.
		socket.write(Buffer.from(payload), (error) => {
			if (error || !this.#sockets.has(id)) return;
			this.#flushed.set(id, (this.#flushed.get(id) ?? 0) + payload.length);
			this.#scheduleFlush();
		});
	}

	/** One WRITABLE event per socket per turn of the Node loop, however many writes drained. */
	#scheduleFlush() {
		if (this.#flushScheduled) return;
		this.#flushScheduled = true;
		setImmediate(() => {
			this.#flushScheduled = false;
			for (const [id, count] of this.#flushed) {
				const writable = Buffer.alloc(EVENT_HEADER + 4);
				writable.set(event(Event.WRITABLE, id));
				writable.writeUInt32BE(count, EVENT_HEADER);
				this.#deliver(writable);
			}
			this.#flushed.clear();
			this.#settle();
		});
	}

	#log(line: LogLine) {
		this.logs.push(line);
		this.#options.onLog?.(line.level, line.message);
		for (const waiter of this.#waiters) if (waiter.match(line)) waiter.resolve(line);
	}

	#deliver(bytes: Buffer): Promise<XsCrank> {
		if (this.#closed) {
			const refused = Promise.reject(new Error("bridge closed"));
			refused.catch(() => {}); // socket events after close() are dropped on purpose
			return refused;
		}
		this.counts.events++;
		this.#inFlight++;
		const crank = this.worker.command(bytes);
		crank.then(
			() => {},
			(error: Error) => {
				this.errors.push(error);
				for (const waiter of this.#waiters) waiter.reject(error);
			},
		).finally(() => {
			this.#inFlight--;
			this.#settle();
		});
		return crank;
	}

	#settle() {
		if (this.#inFlight > 0 || this.#flushScheduled) return;
		for (const resolve of this.#idle.splice(0)) resolve();
	}
}

/** CONNECT's JSON payload (device.ts tlsOptions: DER certificates already turned into PEM). */
interface ConnectOptions {
	host: string;
	port: number;
	tls: boolean | { servername?: string; insecure: boolean; ca?: string[] };
}

/** LISTEN's JSON payload (device.ts XsListener). */
interface ListenRequest {
	host: string;
	port: number;
	tls?: { certificate: string; privateKey: string } | null;
}

function tlsConnectOptions(host: string, port: number, options: { servername?: string; insecure?: boolean; ca?: string[] }): tls.ConnectionOptions {
	const result: tls.ConnectionOptions = { host, port, rejectUnauthorized: options.insecure !== true };
	const servername = options.servername ?? (net.isIP(host) === 0 ? host : undefined);
	if (servername !== undefined) result.servername = servername;
	// The HAL's `ca` adds to the usual roots; Node's `ca` replaces them.
	if (options.ca) result.ca = [...tls.rootCertificates, ...options.ca];
	return result;
}

function event(op: number, id: number): Buffer {
	return Buffer.from([op, id >> 8, id & 0xff]);
}
