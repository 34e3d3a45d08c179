/*
 * HalSocket on the Moddable SDK, with two transports behind one state machine:
 *
 * - plain TCP: ECMA-419 `embedded:io/socket/tcp`. The ESP32 (lwip) implementation takes an `address`
 *   only (modules/io/socket/lwip/tcp.c reads address, port, from, nodelay), so the host is resolved
 *   first with `Net.resolve`. `onWritable(count)` reports the free send space (tcp_sndbuf) and a write
 *   larger than that throws "would block", so writes are capped by that budget, minus what this turn
 *   already wrote. Reads go into one preallocated buffer (ECMA-419 `read(buffer)` fills the view it
 *   is given).
 * - TLS: the legacy `securesocket` module (modules/crypt/securesocket), a TLS session over the legacy
 *   `socket` module, which resolves the host itself. Its callback codes: 1 connected (handshake done),
 *   2 readable (one decrypted chunk of up to 1 KB), 3 writable (free bytes), -1 disconnected, -2 error.
 *   During callback 2 the chunk is the SecureSocket's own `data` view (securesocket.js sets it before
 *   the call, and its read() copies out of it): handed on as it is, where read(ArrayBuffer) would
 *   allocate a buffer and a view per chunk. `write()` without arguments returns the free space (send
 *   buffer minus an estimated 128 bytes of TLS overhead); a larger write throws, so the same cap applies.
 * - Both: a transport takes a view of exactly the bytes to write (or read into); views are kept by
 *   shape (Views), so the few shapes of a steady state (a push, a ping, an answer) allocate nothing.
 *
 * States: idle -> resolving (TCP only) -> connecting -> open -> closed. `onClose` fires exactly once,
 * on a zero-delay timer after the transport is closed: never from inside the caller's `close()`, and the
 * transport is never closed from inside its own callback (see #end).
 *
 * Listening (ModdableListener): the ECMA-419 Listener, whose `read()` hands over each pending
 * connection as a TCP object; `new TCP({from})` takes it over with our callbacks (lwip's tcp.c moves the
 * pcb and fires onWritable when the send buffer has room). There is no TLS server here: a listener asked
 * for TLS reports a SocketError("tls") instead of serving plain text.
 *
 * Limits of the runtime, not of this code: the ECMA-419 lwip socket calls `onError` for any disconnect,
 * a peer's orderly FIN included, so an established connection that ends is reported as `null` (the
 * WebSocket layer knows from its close handshake whether the end was clean); SecureSocket reports
 * every handshake failure (untrusted certificate, protocol, refused) as the same -2 code.
 */
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import Net from "net";
import SecureSocket from "securesocket";
import Timer from "timer";
import type { HalListener, HalSocket, ListenOptions, SocketOptions, TlsOptions } from "../hal";

/** "dns": the host did not resolve; "connect": TCP connect failed; "tls": handshake or certificate; "io": an established connection failed. */
export type SocketErrorKind = "dns" | "connect" | "tls" | "io";

export class SocketError extends Error {
	readonly kind: SocketErrorKind;

	constructor(kind: SocketErrorKind, message: string, cause?: unknown) {
		super(message, cause === undefined ? undefined : { cause });
		this.kind = kind;
	}

	// A getter, not an assignment: built-ins are frozen after a Moddable preload.
	override get name(): string {
		return "SocketError";
	}
}

const State = Object.freeze({ IDLE: 0, RESOLVING: 1, CONNECTING: 2, OPEN: 3, CLOSED: 4 });

/** securesocket callback codes (the legacy Socket's message values). */
const Message = Object.freeze({ CONNECTED: 1, READABLE: 2, WRITABLE: 3, DISCONNECTED: -1, ERROR: -2 });

/** TLS 1.2, the newest version Moddable's TLS stack negotiates. */
const TLS_1_2 = 0x303;

/**
 * The SecureSocket surface used here. The 5.6 and 8.2 typings declare neither `callback` nor the
 * argument-less `write()` that returns the free space (securesocket.js, modsecuresocket.c).
 */
interface SecureSocketInstance {
	callback: (message: number, value?: number) => void;
	/** The decrypted chunk, during callback 2 (securesocket.js messageHandler). */
	readonly data: Uint8Array | undefined;
	write(): number;
	write(bytes: Uint8Array): void;
	close(): void;
}

export class ModdableSocket implements HalSocket {
	onConnect: (() => void) | null = null;
	onData: ((bytes: Uint8Array) => void) | null = null;
	onWritable: ((free: number) => void) | null = null;
	onClose: ((error: Error | null) => void) | null = null;
	#state: number = State.IDLE;
	#reported = false;
	#target = "";
	#tcp: TCP | null = null;
	#tls: SecureSocketInstance | null = null;
	/** TCP only: free send space left this turn (onWritable's count minus what was written since). */
	#budget = 0;
	readonly #rx: Uint8Array;
	readonly #readViews = new Views();
	readonly #writeViews = new Views();

	constructor(rxBufferSize: number) {
		this.#rx = new Uint8Array(rxBufferSize);
	}

	connect(options: SocketOptions): void {
		if (this.#state !== State.IDLE) throw new Error("HalSocket.connect called twice");
		if (options.proxy !== undefined) throw new Error("this HAL has no HTTP proxy support (hal/node has)");
		const { host, port } = options;
		this.#target = `${host}:${port}`;
		if (options.tls === undefined || options.tls === false) this.#resolve(host, port);
		else this.#openTls(host, port, options.tls === true ? {} : options.tls);
	}

	/** Takes over a connection a Listener accepted: open at once (onWritable follows from lwip). */
	adopt(from: TCP): void {
		this.#state = State.OPEN;
		this.#target = from.remoteAddress + ":" + from.remotePort;
		// ECMA-419: the new TCP takes the connection over and the one it came in is left empty.
		this.#tcp = new TCP({
			from,
			nodelay: true,
			onReadable: (count) => this.#readTcp(count),
			onWritable: (count) => this.#writable(count),
			onError: () => this.#tcpError(),
		});
	}

	write(bytes: Uint8Array, offset: number, length: number): number {
		if (this.#state !== State.OPEN || length <= 0) return 0;
		const free = this.#free();
		const count = length < free ? length : free;
		if (count <= 0) return 0;
		const chunk = this.#writeViews.of(bytes, offset, count);
		try {
			if (this.#tcp !== null) {
				this.#tcp.write(chunk);
				this.#budget -= count;
			}
			else this.#tls?.write(chunk);
		} catch (cause) {
			this.#end(new SocketError("io", `write to ${this.#target} failed`, cause));
			return 0;
		}
		return count;
	}

	close(): void {
		if (this.#state === State.CLOSED) return;
		this.#end(null);
	}

	#free(): number {
		if (this.#tcp !== null) return this.#budget;
		const tls = this.#tls;
		return tls === null ? 0 : tls.write();
	}

	#resolve(host: string, port: number): void {
		this.#state = State.RESOLVING;
		try {
			Net.resolve(host, (_name, address) => this.#openTcp(host, port, address));
		} catch (cause) {
			// lwip's resolver queue is full.
			this.#end(new SocketError("dns", `cannot resolve ${host}: resolver busy`, cause));
		}
	}

	#openTcp(host: string, port: number, address: string | undefined): void {
		if (this.#state !== State.RESOLVING) return;
		if (address === undefined) {
			this.#end(new SocketError("dns", `cannot resolve ${host}`));
			return;
		}
		this.#state = State.CONNECTING;
		try {
			this.#tcp = new TCP({
				address,
				port,
				nodelay: true,
				onReadable: (count) => this.#readTcp(count),
				onWritable: (count) => this.#writable(count),
				onError: () => this.#tcpError(),
			});
		} catch (cause) {
			this.#end(new SocketError("connect", `cannot connect to ${this.#target} (${address})`, cause));
		}
	}

	#readTcp(count: number): void {
		const tcp = this.#tcp;
		if (tcp === null) return;
		// lwip may deliver data in the same turn as the connect, before onWritable.
		if (this.#state === State.CONNECTING) this.#opened();
		const rx = this.#rx;
		while (count > 0 && this.#state === State.OPEN) {
			const size = count < rx.length ? count : rx.length;
			const view = this.#readViews.of(rx, 0, size);
			try {
				tcp.read(view);
			} catch (cause) {
				this.#end(new SocketError("io", `read from ${this.#target} failed`, cause));
				return;
			}
			count -= size;
			this.onData?.(view);
		}
	}

	#writable(free: number): void {
		if (this.#state === State.CLOSED) return;
		this.#budget = free;
		if (this.#state === State.CONNECTING) this.#opened();
		if (this.#state !== State.OPEN) return;
		const now = this.#free();
		if (now > 0) this.onWritable?.(now);
	}

	#tcpError(): void {
		if (this.#state === State.CONNECTING) this.#end(new SocketError("connect", `cannot connect to ${this.#target} (refused, unreachable or timed out)`));
		else if (this.#state === State.OPEN) this.#end(null);
	}

	#openTls(host: string, port: number, tls: TlsOptions): void {
		this.#state = State.CONNECTING;
		let socket: SecureSocketInstance;
		try {
			const secure: Record<string, unknown> = { protocolVersion: TLS_1_2, verify: tls.insecure !== true };
			if (tls.servername !== undefined) secure.tls_server_name = tls.servername;
			const certificate = derCertificate(tls.ca);
			if (certificate !== undefined) secure.certificate = certificate;
			socket = new SecureSocket({ host, port, noDelay: true, secure }) as unknown as SecureSocketInstance;
		} catch (cause) {
			this.#end(cause instanceof SocketError ? cause : new SocketError("tls", `cannot start TLS to ${this.#target}`, cause));
			return;
		}
		this.#tls = socket;
		socket.callback = (message, value) => this.#tlsMessage(message, value ?? 0);
	}

	#tlsMessage(message: number, value: number): void {
		const tls = this.#tls;
		if (tls === null) return;
		switch (message) {
			case Message.CONNECTED:
				this.#opened();
				if (this.#state === State.OPEN) {
					const free = tls.write();
					if (free > 0) this.onWritable?.(free);
				}
				break;
			case Message.READABLE:
				if (this.#state !== State.OPEN || value <= 0) break;
				if (tls.data === undefined) this.#end(new SocketError("io", `the SecureSocket of ${this.#target} gave no data view (not Moddable's securesocket.js)`));
				else this.onData?.(tls.data);
				break;
			case Message.WRITABLE:
				if (this.#state === State.OPEN && value > 0) this.onWritable?.(value);
				break;
			case Message.DISCONNECTED:
				if (this.#state === State.OPEN) this.#end(null);
				else this.#end(new SocketError("tls", `${this.#target} closed the connection during the TLS handshake`));
				break;
			default:
				if (this.#state === State.OPEN) this.#end(new SocketError("io", `TLS connection to ${this.#target} failed`));
				else this.#end(new SocketError("tls", `TLS handshake with ${this.#target} failed (untrusted certificate, protocol mismatch, or refused)`));
				break;
		}
	}

	#opened(): void {
		this.#state = State.OPEN;
		this.onConnect?.();
	}

	/**
	 * Detach the transport and report once. Both the transport's close() and onClose run on a zero-delay
	 * timer: never inside the caller's method, and never inside the transport's own callback, where the
	 * SDK would free a socket it is still using (mcsim crashed in modSocket.c socketReadable when a TLS
	 * socket was closed from its read callback after a failed handshake). Until then the detached
	 * transport's callbacks find #tcp/#tls null or the state CLOSED and do nothing.
	 */
	#end(error: Error | null): void {
		this.#state = State.CLOSED;
		const tcp = this.#tcp;
		const tls = this.#tls;
		this.#tcp = null;
		this.#tls = null;
		this.#budget = 0;
		const report = !this.#reported;
		this.#reported = true;
		Timer.set(() => {
			try {
				tcp?.close();
				tls?.close();
			} catch {
				// Already torn down by the runtime; nothing left to release.
			}
			if (report) this.onClose?.(error);
		}, 0);
	}
}

/** Views kept per socket direction: a few shapes recur in a steady state; a new one replaces the oldest. */
const VIEWS = 4;

/**
 * Views of [offset, offset + count) of the buffers a socket writes from or reads into, kept by shape:
 * a view is made the first time a shape comes and reused after (a socket lives one connection, so
 * they go with it).
 */
class Views {
	readonly #of = new Array<Uint8Array | null>(VIEWS).fill(null);
	readonly #offset = new Array<number>(VIEWS).fill(0);
	readonly #views = new Array<Uint8Array | null>(VIEWS).fill(null);
	#next = 0;

	of(bytes: Uint8Array, offset: number, count: number): Uint8Array {
		if (offset === 0 && count === bytes.length) return bytes;
		const views = this.#views;
		for (let i = 0; i < VIEWS; i++) {
			const view = views[i];
			if (view !== null && this.#of[i] === bytes && this.#offset[i] === offset && view.length === count) return view;
		}
		const view = bytes.subarray(offset, offset + count);
		const i = this.#next;
		this.#next = (i + 1) % VIEWS;
		this.#of[i] = bytes;
		this.#offset[i] = offset;
		views[i] = view;
		return view;
	}
}

/** The Listener's close(), which neither the 5.6 nor the 8.2 typings declare (modules/io/socket/lwip/listener.js has it). */
interface ClosableListener {
	close(): void;
}

export class ModdableListener implements HalListener {
	onListening: ((port: number) => void) | null = null;
	onAccept: ((socket: HalSocket, remoteAddress: string) => void) | null = null;
	onClose: ((error: Error | null) => void) | null = null;
	readonly #rxBufferSize: number;
	#listener: Listener | null = null;
	#closed = false;

	constructor(rxBufferSize: number) {
		this.#rxBufferSize = rxBufferSize;
	}

	listen(options: ListenOptions): void {
		if (this.#listener !== null || this.#closed) throw new Error("HalListener.listen called twice");
		if (options.tls !== undefined) {
			this.#end(new SocketError("tls", "TLS listening is not available on Moddable: serve plain HTTP on the LAN or terminate TLS in front of the device"));
			return;
		}
		let listener: Listener;
		try {
			// lwip binds IP_ANY_TYPE when no address is given; "0.0.0.0" means the same.
			listener = options.host === "0.0.0.0"
				? new Listener({ port: options.port, onReadable: (count) => this.#accept(count) })
				: new Listener({ address: options.host, port: options.port, onReadable: (count) => this.#accept(count) });
		} catch (cause) {
			this.#end(new SocketError("connect", "cannot listen on " + options.host + ":" + options.port, cause));
			return;
		}
		this.#listener = listener;
		Timer.set(() => {
			if (!this.#closed) this.onListening?.(listener.port);
		}, 0);
	}

	close(): void {
		if (this.#closed) return;
		const listener = this.#listener;
		this.#listener = null;
		if (listener !== null) (listener as unknown as ClosableListener).close();
		this.#end(null);
	}

	#accept(count: number): void {
		const listener = this.#listener;
		while (count-- > 0 && listener !== null) {
			const from = listener.read();
			if (from === undefined) return;
			const remoteAddress = from.remoteAddress ?? ""; // read before adopt(): the TCP it came in is emptied
			const socket = new ModdableSocket(this.#rxBufferSize);
			socket.adopt(from);
			if (this.onAccept === null) socket.close();
			else this.onAccept(socket, remoteAddress);
		}
	}

	/** Reports once, on a timer: never from inside the caller's listen() or close(). */
	#end(error: Error | null): void {
		if (this.#closed) return;
		this.#closed = true;
		Timer.set(() => this.onClose?.(error), 0);
	}
}

/** SecureSocket takes one DER certificate (ArrayBuffer, Uint8Array or a Resource host buffer). */
function derCertificate(ca: TlsOptions["ca"]): Uint8Array | undefined {
	if (ca === undefined) return undefined;
	const list = typeof ca === "string" || ca instanceof Uint8Array ? [ca] : ca;
	if (list.length === 0) return undefined;
	if (list.length > 1) throw new SocketError("tls", "Moddable's SecureSocket takes one CA certificate; pass the root that signs the platform's chain");
	const certificate = list[0];
	if (typeof certificate === "string") throw new SocketError("tls", "Moddable's SecureSocket needs the CA certificate in DER, not PEM (openssl x509 -outform der)");
	return certificate;
}
