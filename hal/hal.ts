/*
 * The hardware-abstraction layer: the only surface through which src/ touches a runtime.
 * src/ imports this file for types only (`import type`), so nothing of it reaches a bundle.
 * Implementations: hal/node (Node net/tls), hal/xs (the xsnap bridge used by tests),
 * hal/moddable (ECMA-419 sockets, Timer, Preference on ESP32 and the simulator).
 */

/** TLS options. Certificates are verified unless `insecure` is set explicitly. */
export interface TlsOptions {
	/** Server name for SNI and certificate checks; defaults to the host. */
	servername?: string;
	/** Extra trusted CA certificates (PEM text on Node; DER bytes on Moddable). */
	ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
	/** Accept any certificate (self-signed test platforms). Never the default. */
	insecure?: boolean;
}

/**
 * An HTTP proxy the socket reaches its host through (a CONNECT tunnel, RFC 9110 §9.3.6); TLS, when
 * asked for, runs inside the tunnel, end to end with the host. Hosts only: a device HAL refuses it.
 */
export interface ProxyOptions {
	host: string;
	port: number;
	/** Basic credentials (Proxy-Authorization), when the proxy asks for them; never logged. */
	username?: string;
	password?: string;
}

export interface SocketOptions {
	host: string;
	port: number;
	/** `true` for TLS with default verification, or the TLS options. */
	tls?: boolean | TlsOptions;
	proxy?: ProxyOptions;
}

/**
 * A byte-oriented, callback-driven client socket: the common denominator of ECMA-419 TCP,
 * Moddable's legacy socket, Node's net and Espruino's net.
 *
 * Contract:
 * - `connect` is called once; `onConnect` follows, then `onWritable(free)` whenever room appears.
 * - `write` never throws for lack of room: it returns how many bytes it accepted (possibly 0) and
 *   the caller waits for `onWritable`. After close it returns 0.
 * - `onData(bytes)`: the view is only valid during the callback (an implementation may reuse its
 *   buffer); a consumer that needs the bytes later copies them.
 * - `onClose(error)` fires exactly once, with `null` for an orderly close by the peer or by us,
 *   or an Error that says what failed (refused, reset, TLS, DNS).
 * - Callbacks are called as methods of the socket (`this` is the socket), so its user may set shared
 *   functions that find it through `owner` instead of closures (XS spends a function and its scope,
 *   some 200 bytes, on each closure).
 */
export interface HalSocket {
	/** Whatever its user keeps with it (the socket's callbacks reach their owner through it). */
	owner?: unknown;
	connect(options: SocketOptions): void;
	write(bytes: Uint8Array, offset: number, length: number): number;
	close(): void;
	onConnect: (() => void) | null;
	onData: ((bytes: Uint8Array) => void) | null;
	onWritable: ((free: number) => void) | null;
	onClose: ((error: Error | null) => void) | null;
}

/** A listening socket's TLS identity (hosts only: hal/moddable has no TLS server). */
export interface ServerTlsOptions {
	/** The server's certificate chain (PEM). */
	certificate: string;
	/** Its private key (PEM). Never logged. */
	privateKey: string;
}

export interface ListenOptions {
	/** Address to bind: "127.0.0.1" (loopback only), "0.0.0.0" (every interface), or one interface's address. */
	host: string;
	/** 0 for an ephemeral port (read it in onListening). */
	port: number;
	/** TLS on every accepted connection. */
	tls?: ServerTlsOptions;
}

/**
 * A listening TCP (or TLS) socket that hands each accepted connection over as a HalSocket.
 *
 * Contract:
 * - `listen` is called once, after the callbacks are set; `onListening(port)` follows once bound
 *   (never from inside `listen`), or `onClose(error)` when binding failed.
 * - `onAccept(socket, remoteAddress)`: the socket is already open: `connect` must not be called on it,
 *   `write` works at once and `onWritable` comes only after a write was cut short. Its other callbacks
 *   are set inside `onAccept`; no data is delivered before `onAccept` returns. `remoteAddress` is the
 *   peer's IP address as text ("127.0.0.1", "::1", "::ffff:127.0.0.1").
 * - `close()` stops accepting (open connections stay open); `onClose(null)` follows, exactly once, never
 *   from inside `close()`.
 */
export interface HalListener {
	listen(options: ListenOptions): void;
	close(): void;
	onListening: ((port: number) => void) | null;
	onAccept: ((socket: HalSocket, remoteAddress: string) => void) | null;
	onClose: ((error: Error | null) => void) | null;
}

/** Opaque timer handle. */
export type TimerId = unknown;

export interface HalTimers {
	/** Call `callback` once after `ms`. */
	set(callback: () => void, ms: number): TimerId;
	/** Call `callback` every `ms`, with `owner` as `this` (a method shared by every owner, not a closure each). */
	repeat<T>(callback: (this: T) => void, ms: number, owner?: T): TimerId;
	/**
	 * A timer kept until clear() that fires only when scheduled, once per schedule(): a deadline moved
	 * again and again without allocating (Moddable's Timer.schedule). Nothing is scheduled at first.
	 * `callback` is called with `owner` as `this`.
	 */
	create<T>(callback: (this: T) => void, owner?: T): TimerId;
	/** Fire `id` (made by create) once, `ms` from now, replacing its earlier schedule; a negative `ms` unschedules it. */
	schedule(id: TimerId, ms: number): void;
	/** Cancel; a cleared or already fired id is ignored. */
	clear(id: TimerId): void;
}

/** Log levels, lowest first. Strings, not an enum: src/ imports this file for types only. */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

export interface Hal {
	createSocket(): HalSocket;
	/** A listening socket, where the runtime can listen (absent: a gateway refuses to start and says why). */
	createListener?(): HalListener;
	readonly timers: HalTimers;
	/** Wall clock: milliseconds since the Unix epoch (UTC). */
	now(): number;
	/** Monotonic milliseconds from an arbitrary origin; never goes back. */
	ticks(): number;
	/** Fill `into[offset, offset+length)` with cryptographically strong random bytes where the runtime has them. */
	randomBytes(into: Uint8Array, offset: number, length: number): void;
	/** SHA-1 digest (20 bytes) of `bytes` (the WebSocket accept check). */
	sha1(bytes: Uint8Array): Uint8Array;
	base64Encode(bytes: Uint8Array): string;
	base64Decode(text: string): Uint8Array;
	/** UTF-8 encode `text` into `into` at `offset`; returns the bytes written, or -1 (nothing written) when it does not fit. */
	utf8EncodeInto(text: string, into: Uint8Array, offset: number): number;
	/** Decode UTF-8; throws a TypeError on malformed input. */
	utf8Decode(bytes: Uint8Array, offset: number, length: number): string;
	/** Log sink; `message` is already formatted and never contains secrets. */
	log(level: LogLevel, message: string): void;
	/** Whether `log(level, …)` reaches the sink: a line nobody reads is then never built (no allocation). */
	logEnabled(level: LogLevel): boolean;
	/** Small persistent key-value store (Preference on Moddable). */
	readonly store: HalStore;
	/**
	 * A flash region of at least `byteLength` bytes named `name`, kept across restarts: a flash partition
	 * on Moddable, a file on Node, memory in tests. Absent where nothing persists. Throws a RangeError
	 * when the region is smaller than asked.
	 */
	openFlash?(name: string, byteLength: number): HalFlash;
	/** Raw DEFLATE streams for WebSocket permessage-deflate; hosts only (a device HAL leaves it out). */
	readonly compression?: HalCompression;
}

/** Raw DEFLATE (RFC 1951) streams that keep their window across calls. */
export interface HalCompression {
	/** A compressor with a window of 2^windowBits bytes (9-15). */
	deflater(windowBits: number): HalDeflateStream;
	/** A decompressor for windows up to 2^windowBits bytes; output past `maxOutput` bytes throws a RangeError. */
	inflater(windowBits: number, maxOutput: number): HalDeflateStream;
}

export interface HalDeflateStream {
	/**
	 * Processes `bytes[offset, offset + length)` and sync-flushes: the output ends on a byte boundary
	 * (a compressor's with the empty stored block 00 00 ff ff). Throws on corrupt input.
	 */
	write(bytes: Uint8Array, offset: number, length: number): Uint8Array;
	close(): void;
}

export interface HalStore {
	get(key: string): string | undefined;
	set(key: string, value: string): void;
	delete(key: string): void;
}

/**
 * A region of NOR flash, addressed from 0. Erased bytes read 0xff; a write may only clear bits, so each
 * byte is written once between two erases of its sector; erasing works on whole sectors, each of which
 * wears out after so many erases (10,000 to 100,000 on an ESP32's SPI flash). A write cut by a power
 * loss may leave any of its bytes written or not.
 */
export interface HalFlash {
	/** Bytes in the region: a whole number of sectors. */
	readonly byteLength: number;
	/** The erase unit (4096 on ESP32). */
	readonly sectorSize: number;
	/** Copies `length` bytes from `offset` into `into[at, at + length)`. */
	read(offset: number, into: Uint8Array, at: number, length: number): void;
	/** Writes `bytes[at, at + length)` at `offset` (erased bytes only). */
	write(offset: number, bytes: Uint8Array, at: number, length: number): void;
	/** Erases sector `sector` (bytes sector * sectorSize up to the next sector) to 0xff. */
	erase(sector: number): void;
}
