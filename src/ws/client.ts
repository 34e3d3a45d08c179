import type { Hal, HalSocket, ProxyOptions, SocketOptions, TimerId, TlsOptions } from "../../hal/hal";
import { ABNORMAL, isValidCloseCode, NORMAL, notUtf8, POLICY_VIOLATION, TOO_BIG, WebSocketError, type WebSocketErrorKind } from "./error";
import { CLOSE, ERROR, FrameReader, MESSAGE, OVERSIZE, PING, PONG } from "./frame-reader";
import { frameHeaderSize, FrameWriter } from "./frame-writer";
import { Handshake } from "./handshake";
import { Utf8Validator } from "./utf8";
import { VERBOSE } from "../verbose";

/**
 * A per-message extension made for one connection: permessage-deflate (src/ws/deflate.ts) on hosts.
 * The client offers it, hands it the server's answer, and from then on passes every data message
 * through it; messages are marked with RSV1.
 */
export interface WebSocketExtension {
	/** The Sec-WebSocket-Extensions offer. */
	readonly offer: string;
	/** Takes the server's answer; returns why it cannot be accepted, or null (then `active`). */
	accept(answer: string, maxMessageSize: number): string | null;
	readonly active: boolean;
	/**
	 * Sends `bytes[offset, offset + length)` as one compressed message, framed through the client
	 * (frameAt, commitFrames); the TX buffer is claimed. Here, not in the client: a device has no extension.
	 */
	send(client: WebSocketClient, bytes: Uint8Array, offset: number, length: number, binary: boolean): void;
	/**
	 * A received RSV1 message: inflated (within maxMessageSize), checked if text, then delivered through
	 * the client's onMessage, or the connection failed (client.fail: "too-big", "protocol", "bad-utf8").
	 */
	receive(client: WebSocketClient, message: Uint8Array, binary: boolean): void;
	close(): void;
}

export interface WebSocketClientOptions {
	host: string;
	/** Default 80, or 443 with TLS. */
	port?: number;
	/** Default "/Thingworx/WS". */
	path?: string;
	tls?: boolean | TlsOptions;
	/** Extra request headers, e.g. ["Max-Frame-Size", "8192"]. */
	headers?: ReadonlyArray<readonly [string, string]>;
	/** Largest frame payload accepted, and the fragment size of sent messages (default 8192). */
	maxFrameSize?: number;
	/** Largest reassembled message accepted; the RX buffer's size (default maxFrameSize). */
	maxMessageSize?: number;
	/** The TX buffer: a sent message, framed, must fit (default: one maxFrameSize frame). */
	txBufferSize?: number;
	/**
	 * Memory to use as the TX buffer instead of allocating txBufferSize bytes: a caller that keeps it
	 * across connections allocates it once, and can copy into it with copyWithin (beginMessage).
	 */
	txBuffer?: Uint8Array;
	/** Memory to use as the RX buffer (at least maxMessageSize bytes) instead of allocating it. */
	rxBuffer?: Uint8Array;
	/** From open() to the 101 answer: TCP, TLS and upgrade (default 10000). */
	handshakeTimeoutMs?: number;
	/** Our pings (default 55000, as the C SDK); 0 = none. */
	pingIntervalMs?: number;
	/** A ping unanswered this long fails the connection (default 10000). */
	pongTimeoutMs?: number;
	/**
	 * A frame or fragmented message left unfinished this long fails the connection (1008): a peer that
	 * answers pings but never completes a message. Checked at each ping, so it takes effect within
	 * pingIntervalMs after it (default 50000).
	 */
	messageTimeoutMs?: number;
	/** After a close frame is sent, how long to wait for the peer's (default 3000). */
	closeTimeoutMs?: number;
	/** Offer an extension (e.g. permessageDeflate from src/ws/deflate.ts): called once per connection. */
	extension?: (hal: Hal) => WebSocketExtension;
	/** Reach the host through this HTTP proxy (CONNECT); needs a HAL that supports it. */
	proxy?: ProxyOptions;
}

// States.
const IDLE = 0;
const CONNECTING = 1; // TCP (and TLS) under way
const HANDSHAKE = 2; // upgrade request sent, response awaited
const OPEN = 3;
const CLOSING = 4; // a close frame queued or sent
const CLOSED = 5; // onClose delivered

// Control frames waiting for the wire (bits; a close supersedes the others).
const SEND_CLOSE = 1;
const SEND_PONG = 2;
const SEND_PING = 4;

// In #control: a frame (2 + 4 mask + 125), the pong payload, the close payload (last: utf8EncodeInto stops at its end).
const PONG_PAYLOAD = 131;
const CLOSE_PAYLOAD = 256;

/** The RX buffer also holds the upgrade response, so it is never smaller than this. */
const MIN_RX_BUFFER = 1024;

/** The TX buffer a client needs to send frames of up to `maxFrameSize` bytes: the largest frame header, then the payload. */
export function txBufferSize(maxFrameSize: number): number {
	return frameHeaderSize(maxFrameSize) + maxFrameSize;
}

/** The RX buffer a client needs to receive messages of up to `maxMessageSize` bytes (and the upgrade response). */
export function rxBufferSize(maxMessageSize: number): number {
	return maxMessageSize > MIN_RX_BUFFER ? maxMessageSize : MIN_RX_BUFFER;
}

/**
 * RFC 6455 client over a HAL socket, with buffers allocated once (or lent by the caller):
 * - RX: the reassembly buffer (maxMessageSize) and a 125-byte control buffer, in the FrameReader;
 * - TX: one buffer for a framed message, and one for a control frame with the pong and close payloads
 *   waiting for it.
 * beginMessage/commitMessage let the caller write the payload into the TX buffer itself, then frame
 * and mask it in place (no second buffer, no copy: what a device that builds its messages does).
 * send() (src/ws/send.ts, for hosts and tests: a device bundle leaves it out) copies the caller's
 * bytes in, as continuation frames past maxFrameSize, through claimTx/frameAt/commitFrames.
 * A frame started on the socket is finished before any other begins; queued control frames go at
 * the next frame boundary.
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
export class WebSocketClient {
	/** Whatever its user keeps with it (the callbacks below are called as this client's methods). */
	owner: unknown = null;
	onOpen: (() => void) | null = null;
	/** `bytes` is a view into the RX buffer, valid only during the call. */
	onMessage: ((bytes: Uint8Array, binary: boolean) => void) | null = null;
	/**
	 * A message over maxFrameSize or maxMessageSize was skipped (the connection kept): `head` its first
	 * bytes (as many as the RX buffer holds; none if compressed), `length` its full length. A view into
	 * the RX buffer, valid only during the call.
	 */
	onOversize: ((head: Uint8Array, length: number) => void) | null = null;
	/** Messages skipped as oversize since construction. */
	oversizeMessages = 0;
	/** After beginMessage() or send() said busy: the TX buffer is free again. */
	onWritable: (() => void) | null = null;
	/** Exactly once. `error` is null after a close handshake (either side) or a close() before open. */
	onClose: ((code: number, reason: string, error: WebSocketError | null) => void) | null = null;

	readonly #hal: Hal;
	readonly #host: string;
	readonly #port: number;
	/** What the socket connects to (made once: a connection per client, a client per connection attempt). */
	readonly #target: SocketOptions;
	readonly #extension: WebSocketExtension | null;
	readonly #maxFrame: number;
	readonly #maxMessage: number;
	readonly #handshakeTimeoutMs: number;
	readonly #pingIntervalMs: number;
	readonly #pongTimeoutMs: number;
	readonly #messageTimeoutMs: number;
	readonly #closeTimeoutMs: number;
	/** Until the connection is open (then its strings and buffers are garbage). */
	#handshake: Handshake | null;
	readonly #reader: FrameReader;
	readonly #writer: FrameWriter;
	readonly #outgoingText = new Utf8Validator();
	readonly #tx: Uint8Array;
	/** The frames being sent: #tx, or a compressed message's own buffer when it does not fit #tx. */
	#frames: Uint8Array;
	/** The control frame being sent, then the pong and close payloads waiting for it (one array: XS spends 7 slots on each). */
	readonly #control = new Uint8Array(CLOSE_PAYLOAD + 125);
	#state = IDLE;
	#socket: HalSocket | null = null;
	#txAt = 0;
	#txEnd = 0;
	#controlAt = 0;
	#controlEnd = 0;
	#controlIsClose = false;
	#pongLength = 0;
	#closeLength = 0;
	#payload = -1; // where beginMessage put the payload, until commitMessage
	#capacity = 0;
	#queued = 0;
	#refused = false; // send() said false: onWritable is owed
	#awaitPeer = false; // we sent the first close: done when the peer's arrives
	#closeSent = false;
	#closeReceived = false;
	#outcomeCode: number = ABNORMAL;
	#outcomeReason = "";
	#outcomeError: WebSocketError | null = null;
	#pingTimer: TimerId | null = null;
	/** When the unfinished frame or message began (ticks), -1 when none is. */
	#receivingSince = -1;
	/** The one deadline running, by state (they never overlap): the upgrade, our ping's pong, the peer's close. */
	/** A kept timer (made at open, freed at the end), moved for each deadline: a ping arms it without allocating. */
	#deadlineTimer: TimerId | null = null;
	#deadlineArmed = false;

	/** Throws a "usage" WebSocketError for options that cannot work. */
	constructor(hal: Hal, options: WebSocketClientOptions) {
		const secure = options.tls !== undefined && options.tls !== false;
		const maxFrame = setting("maxFrameSize", options.maxFrameSize, 8192, 1);
		const maxMessage = setting("maxMessageSize", options.maxMessageSize, maxFrame, 1);
		const tx = options.txBuffer ?? new Uint8Array(setting("txBufferSize", options.txBufferSize, txBufferSize(maxFrame), 7));
		const rx = options.rxBuffer ?? new Uint8Array(rxBufferSize(maxMessage));
		if (tx.length < 7) throw new WebSocketError("usage", VERBOSE ? `txBuffer must hold at least 7 bytes, not ${tx.length}` : "txBuffer");
		if (rx.length < maxMessage) throw new WebSocketError("usage", VERBOSE ? `rxBuffer of ${rx.length} bytes cannot hold maxMessageSize ${maxMessage}` : "rxBuffer");
		this.#hal = hal;
		this.#host = options.host;
		this.#port = setting("port", options.port, secure ? 443 : 80, 1, 65535);
		this.#target = { host: options.host, port: this.#port, tls: options.tls };
		if (options.proxy !== undefined) this.#target.proxy = options.proxy;
		this.#extension = options.extension === undefined ? null : options.extension(hal);
		this.#maxFrame = maxFrame;
		this.#maxMessage = maxMessage;
		this.#handshakeTimeoutMs = setting("handshakeTimeoutMs", options.handshakeTimeoutMs, 10000, 1);
		this.#pingIntervalMs = setting("pingIntervalMs", options.pingIntervalMs, 55000, 0);
		this.#pongTimeoutMs = setting("pongTimeoutMs", options.pongTimeoutMs, 10000, 1);
		this.#messageTimeoutMs = setting("messageTimeoutMs", options.messageTimeoutMs, 50000, 1);
		this.#closeTimeoutMs = setting("closeTimeoutMs", options.closeTimeoutMs, 3000, 1);
		this.#reader = new FrameReader(maxFrame, maxMessage, rx);
		const offer = this.#extension === null ? null : this.#extension.offer;
		const handshake = new Handshake(hal, options.host, this.#port, secure, options.path ?? "/Thingworx/WS", options.headers ?? [], offer, rx);
		if (handshake.requestLength > tx.length) throw new WebSocketError("usage", VERBOSE ? `the upgrade request needs ${handshake.requestLength} bytes, txBufferSize is ${tx.length}` : "txBuffer");
		this.#handshake = handshake;
		this.#writer = new FrameWriter(hal, tx);
		this.#tx = tx;
		this.#frames = tx;
	}

	/** The largest frame payload; send() fragments beyond it. */
	get maxFrameSize(): number {
		return this.#maxFrame;
	}

	/** The TX buffer (lent or allocated); beginMessage says where a payload goes in it. */
	get txBuffer(): Uint8Array {
		return this.#tx;
	}

	/** Connects and upgrades; once per client. */
	open(): void {
		if (this.#state !== IDLE) throw new WebSocketError("state", VERBOSE ? "open() may be called only once" : "open");
		this.#state = CONNECTING;
		const socket = this.#hal.createSocket();
		socket.owner = this;
		socket.onConnect = WebSocketClient.onSocketConnect;
		socket.onData = WebSocketClient.onSocketData;
		socket.onWritable = WebSocketClient.onSocketWritable;
		socket.onClose = WebSocketClient.onSocketClose;
		this.#socket = socket;
		this.#deadlineTimer = this.#hal.timers.create(this.deadlineDue, this);
		this.armDeadline(this.#handshakeTimeoutMs);
		socket.connect(this.#target);
	}

	/**
	 * Zero-copy send, first step: the offset in `txBuffer` where the payload of a message of up to
	 * `capacity` bytes is to be written (room for the frame header is left before it), or -1 while the
	 * previous message is still leaving the TX buffer (onWritable follows). Nothing is reserved: a
	 * caller that changes its mind simply does not commit. Throws as send() does: "state" when not
	 * open, "too-big" when `capacity` does not fit one frame (maxFrameSize) of the TX buffer.
	 */
	beginMessage(capacity: number): number {
		if (this.#state !== OPEN) throw this.stateError("beginMessage()");
		if (!(Number.isInteger(capacity) && capacity >= 0)) throw new WebSocketError("usage", VERBOSE ? `beginMessage(): capacity ${capacity} is not a length` : "capacity");
		const payload = frameHeaderSize(capacity);
		if (capacity > this.#maxFrame || payload + capacity > this.#tx.length) {
			throw new WebSocketError("too-big", VERBOSE ? `a message of ${capacity} bytes does not fit one frame of the TX buffer (maxFrameSize ${this.#maxFrame}, txBufferSize ${this.#tx.length})` : "capacity", TOO_BIG);
		}
		if (!this.claimTx()) return -1;
		this.#payload = payload;
		this.#capacity = capacity;
		return payload;
	}

	/**
	 * Zero-copy send, second step: the `length` bytes written at the offset beginMessage returned
	 * (length <= its capacity) go as one frame, masked in place; the TX buffer is the client's again
	 * until the next beginMessage. Throws "usage" without a beginMessage since the last send,
	 * "bad-utf8" for a text message that is not UTF-8 (nothing is sent then).
	 */
	commitMessage(length: number, binary = true): void {
		if (this.#state !== OPEN) throw this.stateError("commitMessage()");
		const payload = this.#payload;
		if (payload < 0) throw new WebSocketError("usage", VERBOSE ? "commitMessage() without beginMessage()" : "commit");
		if (!(Number.isInteger(length) && length >= 0 && length <= this.#capacity)) throw new WebSocketError("usage", VERBOSE ? `commitMessage(): length ${length} is over the ${this.#capacity} bytes begun` : "length");
		if (!binary && !this.isText(this.#tx, payload, payload + length)) throw notUtf8("commitMessage()");
		this.#payload = -1;
		const compressor = this.compressor;
		if (compressor !== null) {
			compressor.send(this, this.#tx, payload, length, binary);
			return;
		}
		this.#txAt = this.#writer.frameInPlace(this.#tx, payload, binary ? 0x82 : 0x81, length);
		this.#txEnd = payload + length;
		this.#refused = false;
		this.flush();
	}

	/** The negotiated extension, which sends each message (send() asks before it frames one itself); else null. */
	get compressor(): WebSocketExtension | null {
		const extension = this.#extension;
		return extension !== null && extension.active ? extension : null;
	}

	// --- send()'s steps (src/ws/send.ts) ---

	/** Sending is allowed (open, not closing). */
	get isOpen(): boolean {
		return this.#state === OPEN;
	}

	/** The "state" error for a call made while not open; `what` names the call. */
	stateError(what: string): WebSocketError {
		return new WebSocketError("state", VERBOSE ? what + (this.#state < OPEN ? " before the connection is open" : " after the connection began to close") : what);
	}

	/** False (onWritable follows) while the TX buffer is still leaving; else it is the caller's from 0. */
	claimTx(): boolean {
		this.#payload = -1;
		if (this.#txEnd === 0) return true;
		this.#refused = true;
		return false;
	}

	/** Frames (masks) `bytes[offset, offset + count)` at into[at] (the TX buffer by default) with the first header byte `head`; returns where the frame ends. */
	frameAt(at: number, head: number, bytes: Uint8Array, offset: number, count: number, into: Uint8Array = this.#tx): number {
		return this.#writer.frame(into, at, head, bytes, offset, count);
	}

	/** Sends frames[0, end), the frames frameAt wrote since claimTx (in the TX buffer, or a compressed message's own). */
	commitFrames(end: number, frames: Uint8Array = this.#tx): void {
		this.#frames = frames;
		this.#txAt = 0;
		this.#txEnd = end;
		this.#refused = false;
		this.flush();
	}

	/** `bytes[start, end)` is whole UTF-8 (outgoing text). */
	isText(bytes: Uint8Array, start: number, end: number): boolean {
		const text = this.#outgoingText;
		text.reset();
		return text.feed(bytes, start, end) && text.complete;
	}

	/**
	 * Starts the close handshake (RFC 6455 §7.1.2); onClose follows when the peer answers, or after
	 * closeTimeoutMs. Before the connection is open it aborts at once. Ignored once closing.
	 */
	close(code: number = NORMAL, reason = ""): void {
		if (!isValidCloseCode(code)) throw new WebSocketError("usage", VERBOSE ? `close code ${code} may not be sent` : "code");
		if (this.#state >= CLOSING) return;
		const written = this.#hal.utf8EncodeInto(reason, this.#control, CLOSE_PAYLOAD + 2);
		if (written < 0) throw new WebSocketError("usage", VERBOSE ? "close reason is longer than 123 UTF-8 bytes" : "reason");
		if (this.#state < OPEN) {
			this.finish(ABNORMAL, "", null);
			return;
		}
		this.#control[CLOSE_PAYLOAD] = code >> 8;
		this.#control[CLOSE_PAYLOAD + 1] = code & 0xff;
		this.#closeLength = 2 + written;
		this.#awaitPeer = true;
		this.closing();
	}

	// The socket's callbacks, called as its methods (hal.ts: `this` is the socket) and shared by every
	// client, which the socket's `owner` names: closures would cost XS a function and its scope each.
	private static onSocketConnect(this: HalSocket): void {
		(this.owner as WebSocketClient).socketConnected();
	}

	private static onSocketData(this: HalSocket, bytes: Uint8Array): void {
		(this.owner as WebSocketClient).socketData(bytes);
	}

	private static onSocketWritable(this: HalSocket): void {
		(this.owner as WebSocketClient).socketWritable();
	}

	private static onSocketClose(this: HalSocket, error: Error | null): void {
		(this.owner as WebSocketClient).socketClosed(error);
	}

	private socketConnected(): void {
		if (this.#state !== CONNECTING) return;
		this.#state = HANDSHAKE;
		this.#txAt = 0;
		this.#txEnd = (this.#handshake as Handshake).request(this.#tx);
		this.flush();
	}

	private socketData(bytes: Uint8Array): void {
		let i = 0;
		if (this.#state === HANDSHAKE) {
			try {
				i = (this.#handshake as Handshake).response(bytes, 0, bytes.length);
			} catch (error) {
				this.finish(ABNORMAL, "", error as WebSocketError);
				return;
			}
			if (i < 0) return;
			if (!this.negotiated()) return;
			this.opened();
		}
		this.receive(bytes, i);
	}

	private socketWritable(): void {
		if (this.#state >= HANDSHAKE && this.#state < CLOSED) this.flush();
	}

	private socketClosed(error: Error | null): void {
		const state = this.#state;
		if (state === CLOSING && (this.#closeReceived || !this.#awaitPeer)) this.finishWithOutcome();
		else if (state >= CONNECTING && state <= CLOSING) {
			const what = !VERBOSE ? (state === CONNECTING ? "connect" : state === HANDSHAKE ? "handshake" : state === OPEN ? "no close frame" : "no peer close")
				: state === CONNECTING ? `could not connect to ${this.#host}:${this.#port}`
				: "connection closed " + (state === HANDSHAKE ? "during the opening handshake" : state === OPEN ? "without a close frame" : "before the peer's close frame");
			this.finish(ABNORMAL, "", new WebSocketError("socket", error === null ? what : what + ": " + error.message));
		}
	}

	/** One callback for the three deadlines (the kept timer calls it with this client as `this`). */
	private deadlineDue(): void {
		this.#deadlineArmed = false;
		if (this.#state < OPEN) {
			this.timedOut("timeout", VERBOSE ? (this.#state === CONNECTING ? `no connection to ${this.#host}:${this.#port}` : "no upgrade response") : this.#state === CONNECTING ? "connect" : "upgrade", this.#handshakeTimeoutMs);
		} else if (this.#state === OPEN) {
			this.timedOut("pong-timeout", VERBOSE ? "no pong to our ping" : "pong", this.#pongTimeoutMs);
		} else if (this.#awaitPeer && !this.#closeReceived) {
			this.timedOut("timeout", VERBOSE ? (this.#closeSent ? "the peer did not answer our close frame" : "our close frame could not be sent") : this.#closeSent ? "close answer" : "close send", this.#closeTimeoutMs);
		} else {
			this.finishWithOutcome();
		}
	}

	private timedOut(kind: WebSocketErrorKind, what: string, ms: number): void {
		this.finish(ABNORMAL, "", new WebSocketError(kind, `${what} within ${ms} ms`));
	}

	private pingDue(): void {
		if (this.#state !== OPEN) return;
		const since = this.#receivingSince;
		if (since >= 0 && this.#hal.ticks() - since >= this.#messageTimeoutMs) {
			this.fail(new WebSocketError("timeout", VERBOSE ? "a message left unfinished for over " + this.#messageTimeoutMs + " ms" : "message", POLICY_VIOLATION));
			return;
		}
		if (this.#deadlineArmed) return;
		this.armDeadline(this.#pongTimeoutMs);
		this.#queued |= SEND_PING;
		this.flush();
	}

	/** Hands the server's extension answer to the extension; false when that failed the connection. */
	private negotiated(): boolean {
		const answer = (this.#handshake as Handshake).extensions;
		const extension = this.#extension;
		if (answer === null || extension === null) return true;
		const refusal = extension.accept(answer, this.#maxMessage);
		if (refusal === null) {
			this.#reader.allowCompressed = true;
			return true;
		}
		this.finish(ABNORMAL, "", new WebSocketError("handshake-header", refusal));
		return false;
	}

	private opened(): void {
		this.disarmDeadline();
		this.#handshake = null;
		this.#state = OPEN;
		if (this.#pingIntervalMs > 0) this.#pingTimer = this.#hal.timers.repeat(this.pingDue, this.#pingIntervalMs, this);
		this.onOpen?.();
	}

	/** Frames from `bytes[i]` on, for as long as the state wants them (a callback may close). */
	private receive(bytes: Uint8Array, i: number): void {
		const reader = this.#reader;
		const end = bytes.length;
		while (i < end && (this.#state === OPEN || (this.#state === CLOSING && this.#awaitPeer && !this.#closeReceived))) {
			i = reader.parse(bytes, i, end);
			switch (reader.event) {
				case MESSAGE:
					this.#receivingSince = -1;
					if (reader.compressed) (this.#extension as WebSocketExtension).receive(this, reader.message, reader.binary);
					else this.onMessage?.(reader.message, reader.binary);
					break;
				case OVERSIZE:
					this.#receivingSince = -1;
					this.oversizeMessages++;
					this.onOversize?.(reader.compressed ? reader.buffer.subarray(0, 0) : reader.message, reader.oversizeLength);
					break;
				case PING:
					if (this.#state === OPEN) this.queuePong();
					break;
				case PONG:
					if (this.#state === OPEN) this.disarmDeadline();
					break;
				case CLOSE:
					this.onPeerClose();
					return;
				case ERROR:
					this.fail(new WebSocketError(reader.errorKind, reader.errorReason, reader.errorCode));
					return;
			}
		}
		if (this.#receivingSince < 0 && reader.receiving) this.#receivingSince = this.#hal.ticks();
	}

	/** Answers the latest ping only (§5.5.3 allows it), echoing its payload. */
	private queuePong(): void {
		const reader = this.#reader;
		const length = reader.controlLength;
		const control = this.#control;
		for (let k = 0; k < length; k++) control[PONG_PAYLOAD + k] = reader.control[k];
		this.#pongLength = length;
		this.#queued |= SEND_PONG;
		this.flush();
	}

	private onPeerClose(): void {
		const reader = this.#reader;
		const length = reader.controlLength;
		this.#closeReceived = true;
		this.setOutcome(reader.closeCode, length > 2 ? this.#hal.utf8Decode(reader.control, 2, length - 2) : "", null);
		if (this.#state === OPEN) {
			// Echo the peer's close (§5.5.1), then close the socket.
			const control = this.#control;
			for (let k = 0; k < length; k++) control[CLOSE_PAYLOAD + k] = reader.control[k];
			this.#closeLength = length;
			this.#awaitPeer = false;
			this.closing();
		} else if (this.#closeSent) {
			this.finishWithOutcome();
		}
	}

	/** Fail the connection (§7.1.7): a close frame with the code and the error's message, then the socket closes. */
	fail(error: WebSocketError): void {
		const reason = error.message;
		if (this.#state !== OPEN) {
			this.finish(error.code, reason, error);
			return;
		}
		const control = this.#control;
		control[CLOSE_PAYLOAD] = error.code >> 8;
		control[CLOSE_PAYLOAD + 1] = error.code & 0xff;
		this.#closeLength = 2 + this.#hal.utf8EncodeInto(reason, control, CLOSE_PAYLOAD + 2);
		this.#awaitPeer = false;
		this.setOutcome(error.code, reason, error);
		this.closing();
	}

	private closing(): void {
		this.#state = CLOSING;
		this.#queued = SEND_CLOSE;
		this.#pingTimer = this.cancel(this.#pingTimer);
		this.armDeadline(this.#closeTimeoutMs);
		this.flush();
	}

	/** Hands the pending bytes to the socket: a started frame first, then queued control frames, then data. */
	private flush(): void {
		const socket = this.#socket as HalSocket;
		for (;;) {
			if (this.#controlAt < this.#controlEnd) {
				this.#controlAt += socket.write(this.#control, this.#controlAt, this.#controlEnd - this.#controlAt);
				if (this.#controlAt < this.#controlEnd) return;
				if (this.#controlIsClose) this.#closeSent = true;
			} else if (this.#txAt < this.#txEnd) {
				this.#txAt += socket.write(this.#frames, this.#txAt, this.#txEnd - this.#txAt);
				if (this.#txAt < this.#txEnd) return;
				this.#txAt = 0;
				this.#txEnd = 0;
				this.#frames = this.#tx;
			} else if (!this.encodeControl()) {
				break;
			}
		}
		if (this.#closeSent) {
			if (!this.#awaitPeer || this.#closeReceived) this.finishWithOutcome();
		} else if (this.#refused && this.#state === OPEN) {
			this.#refused = false;
			this.onWritable?.();
		}
	}

	/** Frames the most urgent queued control frame; false when none is queued. */
	private encodeControl(): boolean {
		const queued = this.#queued;
		const writer = this.#writer;
		if (queued & SEND_CLOSE) {
			this.#queued = 0;
			this.#controlIsClose = true;
			this.#controlEnd = writer.frame(this.#control, 0, 0x88, this.#control, CLOSE_PAYLOAD, this.#closeLength);
		} else if (queued & SEND_PONG) {
			this.#queued = queued & ~SEND_PONG;
			this.#controlEnd = writer.frame(this.#control, 0, 0x8a, this.#control, PONG_PAYLOAD, this.#pongLength);
		} else if (queued & SEND_PING) {
			this.#queued = queued & ~SEND_PING;
			this.writeClock(6);
			this.#controlEnd = 6 + 8;
			writer.frameInPlace(this.#control, 6, 0x89, 8);
		} else {
			return false;
		}
		this.#controlAt = 0;
		return true;
	}

	/** Our ping's payload (docs/protocol.md §8.4): UTC "HH:MM:SS" at #control[at], without a string. */
	private writeClock(at: number): void {
		const clock = this.#control;
		const seconds = Math.floor(this.#hal.now() / 1000) % 86400;
		const hours = Math.floor(seconds / 3600);
		const minutes = Math.floor(seconds / 60) % 60;
		const rest = seconds % 60;
		clock[at] = 48 + Math.floor(hours / 10);
		clock[at + 1] = 48 + (hours % 10);
		clock[at + 2] = 58;
		clock[at + 3] = 48 + Math.floor(minutes / 10);
		clock[at + 4] = 48 + (minutes % 10);
		clock[at + 5] = 58;
		clock[at + 6] = 48 + Math.floor(rest / 10);
		clock[at + 7] = 48 + (rest % 10);
	}

	private setOutcome(code: number, reason: string, error: WebSocketError | null): void {
		this.#outcomeCode = code;
		this.#outcomeReason = reason;
		this.#outcomeError = error;
	}

	private finishWithOutcome(): void {
		this.finish(this.#outcomeCode, this.#outcomeReason, this.#outcomeError);
	}

	/** The end, exactly once: timers off, socket detached and closed, onClose. */
	private finish(code: number, reason: string, error: WebSocketError | null): void {
		if (this.#state === CLOSED) return;
		this.#state = CLOSED;
		this.#queued = 0;
		this.#pingTimer = this.cancel(this.#pingTimer);
		this.#deadlineTimer = this.cancel(this.#deadlineTimer);
		this.#deadlineArmed = false;
		this.#extension?.close();
		const socket = this.#socket;
		if (socket !== null) {
			socket.onConnect = null;
			socket.onData = null;
			socket.onWritable = null;
			socket.onClose = null;
			socket.close();
		}
		this.onClose?.(code, reason, error);
	}

	/** The one deadline, `ms` from now (replacing any other). */
	private armDeadline(ms: number): void {
		this.#hal.timers.schedule(this.#deadlineTimer as TimerId, ms);
		this.#deadlineArmed = true;
	}

	private disarmDeadline(): void {
		if (!this.#deadlineArmed) return;
		this.#hal.timers.schedule(this.#deadlineTimer as TimerId, -1);
		this.#deadlineArmed = false;
	}

	private cancel(timer: TimerId | null): null {
		if (timer !== null) this.#hal.timers.clear(timer);
		return null;
	}
}

/** An integer option, `fallback` when absent. */
function setting(name: string, value: number | undefined, fallback: number, minimum: number, maximum = 0x7fffffff): number {
	if (value === undefined) return fallback;
	if (!Number.isInteger(value) || value < minimum || value > maximum) throw new WebSocketError("usage", VERBOSE ? `${name} must be an integer from ${minimum} to ${maximum}, not ${value}` : "range " + name);
	return value;
}
