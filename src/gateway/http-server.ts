/*
 * A small HTTP/1.1 server on a HAL listener, for the gateway's local REST interface (RFC 9112):
 * request line, header fields, Content-Length bodies, keep-alive, one request at a time per
 * connection (a pipelined request waits in the buffer until the answer before it is out).
 *
 * Bounds, all from configuration, never from what a peer sends: connections (`maxClients`; one more
 * is answered 503 and closed), the head's bytes and field count (431), the body (413, judged from
 * Content-Length before a byte of it is read), and time: a request must be complete, and an idle
 * keep-alive connection must send its next one, within `readTimeoutMs` (408, or a silent close when
 * nothing was sent). Chunked request bodies are refused with 411 and other transfer codings with 501,
 * each with a reason; a malformed request is a 400 that says what was wrong. After any error answer
 * the connection is closed (its framing can no longer be trusted); the others are served on.
 *
 * Memory: a connection slot is made on first use and kept; each holds one receive buffer (head +
 * body limits) and one send buffer, which grows only to the largest answer sent. The head is parsed
 * in place: strings are made for the method, the target and the header values the gateway reads.
 * Sockets are closed on a zero-delay timer, never inside their own callbacks.
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import type { Hal, HalListener, HalSocket, ListenOptions, TimerId } from "../../hal/hal";
import { utf8Length } from "../protocol";

export interface HttpLimits {
	/** Connections served at once (EMS `max_clients`, default 15). */
	maxClients: number;
	/** Bytes of request line + header fields + the blank line. */
	maxHeadBytes: number;
	/** Header fields per request. */
	maxHeaders: number;
	/** Bytes of a request body. */
	maxBodyBytes: number;
	/** A request must arrive whole within this, from its first byte (EMS `content_read_timeout`, default 20 s). */
	readTimeoutMs: number;
}

/** Counters since start; read them, never write them. */
export interface HttpStats {
	connections: number;
	/** Connections answered 503 because `maxClients` were open, or 403 (not loopback on a loopback server). */
	refused: number;
	requests: number;
	/** Requests answered 4xx/5xx by the server itself (malformed, too large, timed out, unauthorized). */
	rejected: number;
	timeouts: number;
}

/** One parsed request; valid until its answer is sent (the connection reuses it). */
export class HttpRequest {
	method = "";
	/** The request target as sent (origin form: path and query). */
	target = "";
	/** The Authorization field's value, "" when absent. */
	authorization = "";
	contentType = "";
	remoteAddress = "";
	/** The body, a view into the connection's buffer. */
	body: Uint8Array = EMPTY;
	keepAlive = true;
}

/** How a handler answers: exactly once, now or later. */
export interface HttpResponder {
	/** Sends `status` with `body` (text; "" for none). Ignored when the connection is gone. */
	send(status: number, body: string, contentType: string): void;
}

export type HttpHandler = (request: HttpRequest, response: HttpResponder) => void;

const EMPTY = new Uint8Array(0);
const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;

const REASONS: Readonly<Record<number, string>> = Object.freeze({
	100: "Continue", 200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
	404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict", 411: "Length Required",
	413: "Content Too Large", 417: "Expectation Failed", 415: "Unsupported Media Type", 422: "Unprocessable Content",
	431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented",
	502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
});

// Connection states.
const FREE = 0;
const HEAD = 1;
const BODY = 2;
const BUSY = 3;
const WRITING = 4;
const CLOSING = 5;

// Header fields the gateway reads, by the lower-case name.
const FIELD_NAMES = Object.freeze(["content-length", "transfer-encoding", "connection", "authorization", "expect", "content-type"]);
const CONTENT_LENGTH = 0;
const TRANSFER_ENCODING = 1;
const CONNECTION = 2;
const AUTHORIZATION = 3;
const EXPECT = 4;
const CONTENT_TYPE = 5;

/** A refusal found while parsing: answered, then the connection closes. */
class Refusal {
	status = 0;
	reason = "";
}

export class HttpServer {
	readonly stats: HttpStats = { connections: 0, refused: 0, requests: 0, rejected: 0, timeouts: 0 };
	/** The bound port once listening (0 before). */
	port = 0;
	#hal: Hal;
	#limits: HttpLimits;
	#handler: HttpHandler;
	#listener: HalListener | null = null;
	#slots: Connection[] = [];
	#sweepTimer: TimerId | null = null;
	#loopbackOnly = false;
	/** "Basic <base64(user:password)>" as bytes when authentication is on; never logged. */
	#credentials: Uint8Array | null = null;

	constructor(hal: Hal, limits: HttpLimits, handler: HttpHandler) {
		checkLimits(limits);
		this.#hal = hal;
		this.#limits = limits;
		this.#handler = handler;
	}

	/** Requests must carry `Authorization: Basic` with these (compared in constant time). */
	requireBasicAuth(user: string, password: string): void {
		const text = "Basic " + basicToken(this.#hal, user, password);
		const bytes = new Uint8Array(utf8Length(text));
		this.#hal.utf8EncodeInto(text, bytes, 0);
		this.#credentials = bytes;
	}

	/** Starts listening; resolves with the port, rejects with the HAL's reason (port in use, ...). */
	listen(options: ListenOptions): Promise<number> {
		const create = this.#hal.createListener;
		if (create === undefined) return Promise.reject(new Error("this runtime's HAL cannot listen for connections"));
		this.#loopbackOnly = isLoopback(options.host);
		const listener = create.call(this.#hal);
		this.#listener = listener;
		return new Promise<number>((resolve, reject) => {
			listener.onListening = (port) => {
				this.port = port;
				const tick = this.#limits.readTimeoutMs < 4000 ? Math.max(10, this.#limits.readTimeoutMs >> 2) : 1000;
				this.#sweepTimer = this.#hal.timers.repeat(this.sweep, tick);
				resolve(port);
			};
			listener.onAccept = (socket, remote) => this.accept(socket, remote);
			listener.onClose = (error) => {
				if (this.port === 0) reject(error ?? new Error("listener closed before listening"));
			};
			listener.listen(options);
		});
	}

	/** Stops accepting and closes every connection (answers in flight are dropped). */
	close(): void {
		this.#listener?.close();
		this.#listener = null;
		if (this.#sweepTimer !== null) this.#hal.timers.clear(this.#sweepTimer);
		this.#sweepTimer = null;
		for (const c of this.#slots) c.closeSoon();
	}

	/** Connections open now. */
	get open(): number {
		let n = 0;
		for (const c of this.#slots) if (c.state !== FREE) n++;
		return n;
	}

	private accept(socket: HalSocket, remote: string): void {
		this.stats.connections++;
		if (this.#loopbackOnly && !isLoopback(remote)) {
			this.stats.refused++;
			refuse(this.#hal, socket, 403, "this gateway serves loopback clients only (http_server.host)");
			return;
		}
		let slot: Connection | null = null;
		for (const c of this.#slots) if (c.state === FREE) { slot = c; break; }
		if (slot === null && this.#slots.length < this.#limits.maxClients) {
			slot = new Connection(this.#hal, this.#limits, this);
			this.#slots.push(slot);
		}
		if (slot === null) {
			this.stats.refused++;
			refuse(this.#hal, socket, 503, "too many clients: " + this.#limits.maxClients + " connections are open (http_server.max_clients)");
			return;
		}
		slot.open(socket, remote);
	}

	/** Called by a connection with a whole request: checked for credentials, then handed to the handler. */
	dispatch(connection: Connection, request: HttpRequest): void {
		this.stats.requests++;
		const expected = this.#credentials;
		if (expected !== null && !sameBytes(expected, request.authorization)) {
			this.stats.rejected++;
			connection.send(401, "authentication required: send valid Basic credentials\n", "text/plain", true);
			return;
		}
		try {
			this.#handler(request, connection);
		} catch (error) {
			connection.send(500, "internal error: " + (error instanceof Error ? error.message : String(error)) + "\n", "text/plain", true);
		}
	}

	private sweep = (): void => {
		const now = this.#hal.ticks();
		for (const c of this.#slots) c.checkDeadline(now);
	};
}

/** One client connection in a reusable slot. */
class Connection implements HttpResponder {
	state = FREE;
	#hal: Hal;
	#limits: HttpLimits;
	#server: HttpServer;
	#socket: HalSocket | null = null;
	#rx: Uint8Array;
	#filled = 0;
	/** Where the search for the head's end resumes. */
	#scanned = 0;
	#headEnd = 0;
	#bodyLength = 0;
	#deadline = 0;
	#tx = new Uint8Array(512);
	#txOffset = 0;
	#txEnd = 0;
	#closeAfter = false;
	#request = new HttpRequest();
	#refusal = new Refusal();
	/** Values of FIELD_NAMES' fields in the current head, "" when absent. */
	#fields: string[] = ["", "", "", "", "", ""];
	#closeTimer: TimerId | null = null;

	constructor(hal: Hal, limits: HttpLimits, server: HttpServer) {
		this.#hal = hal;
		this.#limits = limits;
		this.#server = server;
		this.#rx = new Uint8Array(limits.maxHeadBytes + limits.maxBodyBytes);
	}

	open(socket: HalSocket, remote: string): void {
		this.#socket = socket;
		this.#request.remoteAddress = remote;
		this.#filled = 0;
		this.#scanned = 0;
		this.#closeAfter = false;
		this.state = HEAD;
		this.#deadline = this.#hal.ticks() + this.#limits.readTimeoutMs;
		socket.onData = this.onData;
		socket.onWritable = this.onWritable;
		socket.onClose = this.onClose;
	}

	/** HttpResponder: the handler's answer. */
	send(status: number, body: string, contentType: string, close = false): void {
		if (this.#socket === null && this.state === BUSY) {
			this.state = FREE; // the client left while its request was answered
			return;
		}
		if (this.state !== BUSY && this.state !== HEAD && this.state !== BODY) return;
		if (close || !this.#request.keepAlive) this.#closeAfter = true;
		const bodyLength = utf8Length(body);
		const head = "HTTP/1.1 " + status + " " + (REASONS[status] ?? "Status") + "\r\n" +
			(bodyLength > 0 ? "Content-Type: " + contentType + "; charset=utf-8\r\n" : "") +
			(status === 401 ? 'WWW-Authenticate: Basic realm="gateway"\r\n' : "") +
			"Content-Length: " + bodyLength + "\r\nConnection: " + (this.#closeAfter ? "close" : "keep-alive") + "\r\n" +
			// An idle connection is closed after the read timeout: say so, so that clients do not reuse it after that.
			(this.#closeAfter ? "" : "Keep-Alive: timeout=" + ((this.#limits.readTimeoutMs / 1000) | 0) + "\r\n") + "\r\n";
		const headLength = utf8Length(head);
		const total = headLength + bodyLength;
		if (this.#tx.length < total) this.#tx = new Uint8Array(total + 256);
		this.#hal.utf8EncodeInto(head, this.#tx, 0);
		if (bodyLength > 0) this.#hal.utf8EncodeInto(body, this.#tx, headLength);
		this.#txOffset = 0;
		this.#txEnd = total;
		this.state = WRITING;
		this.flush();
	}

	closeSoon(): void {
		if (this.state === FREE || this.state === CLOSING) return;
		this.state = CLOSING;
		if (this.#closeTimer === null) this.#closeTimer = this.#hal.timers.set(this.closeNow, 0);
	}

	checkDeadline(now: number): void {
		if ((this.state !== HEAD && this.state !== BODY) || now < this.#deadline) return;
		this.#server.stats.timeouts++;
		if (this.#filled === 0) {
			this.closeSoon(); // an idle keep-alive connection: nothing to answer
			return;
		}
		this.#server.stats.rejected++;
		this.send(408, "request not complete within " + this.#limits.readTimeoutMs + " ms (http_server.content_read_timeout)\n", "text/plain", true);
	}

	private onData = (bytes: Uint8Array): void => {
		if (this.state === CLOSING || this.state === FREE) return;
		const rx = this.#rx;
		if (this.#filled === 0 && this.state === HEAD) this.#deadline = this.#hal.ticks() + this.#limits.readTimeoutMs;
		let taken = 0;
		while (taken < bytes.length) {
			const room = rx.length - this.#filled;
			if (room === 0) {
				// The head or body limits decide what is said about bytes that cannot be held.
				if (this.state === HEAD) return this.reject(431, "request head larger than " + this.#limits.maxHeadBytes + " bytes");
				if (this.state === BODY) return this.reject(413, "body larger than announced (Content-Length " + this.#bodyLength + ")");
				if (this.state === BUSY) return this.reject(400, "too much pipelined data while a request is answered");
				return; // WRITING a refusal, or CLOSING
			}
			const n = bytes.length - taken < room ? bytes.length - taken : room;
			rx.set(n === bytes.length ? bytes : bytes.subarray(taken, taken + n), this.#filled);
			this.#filled += n;
			taken += n;
			if (this.state === HEAD || this.state === BODY) this.advance();
		}
	};

	private onWritable = (): void => {
		if (this.state === WRITING) this.flush();
	};

	private onClose = (): void => {
		// A request being answered keeps the slot until its answer comes: a late answer must not reach the slot's next client.
		if (this.state === BUSY) this.#socket = null;
		else this.release();
	};

	private closeNow = (): void => {
		this.#closeTimer = null;
		const socket = this.#socket;
		this.release();
		socket?.close();
	};

	private release(): void {
		const socket = this.#socket;
		if (socket !== null) {
			socket.onData = null;
			socket.onWritable = null;
			socket.onClose = null;
		}
		this.#socket = null;
		this.#filled = 0;
		this.state = this.#closeTimer === null ? FREE : CLOSING;
	}

	private flush(): void {
		const socket = this.#socket;
		if (socket === null) return;
		while (this.#txOffset < this.#txEnd) {
			const n = socket.write(this.#tx, this.#txOffset, this.#txEnd - this.#txOffset);
			if (n <= 0) return; // onWritable resumes
			this.#txOffset += n;
		}
		if (this.#closeAfter) return this.closeSoon();
		// Done: the next request may already be in the buffer.
		const used = this.#headEnd + this.#bodyLength;
		this.#rx.copyWithin(0, used, this.#filled);
		this.#filled -= used;
		this.#scanned = 0;
		this.state = HEAD;
		this.#deadline = this.#hal.ticks() + this.#limits.readTimeoutMs;
		if (this.#filled > 0) this.advance();
	}

	private reject(status: number, reason: string): void {
		this.#server.stats.rejected++;
		this.send(status, reason + "\n", "text/plain", true);
	}

	/** Parses what has arrived: the head once whole, then waits for the body. */
	private advance(): void {
		if (this.state === HEAD) {
			const end = this.findHeadEnd();
			if (end < 0) {
				if (this.#filled >= this.#limits.maxHeadBytes) this.reject(431, "request head larger than " + this.#limits.maxHeadBytes + " bytes");
				return;
			}
			if (end > this.#limits.maxHeadBytes) return this.reject(431, "request head larger than " + this.#limits.maxHeadBytes + " bytes");
			this.#headEnd = end;
			const refusal = this.parseHead(end);
			if (refusal !== null) return this.reject(refusal.status, refusal.reason);
			this.state = BODY;
			if (this.#fields[EXPECT] !== "" && this.#filled < end + this.#bodyLength) {
				if (this.#fields[EXPECT].toLowerCase() !== "100-continue") return this.reject(417, "only Expect: 100-continue is understood");
				this.interim();
			}
		}
		if (this.#filled < this.#headEnd + this.#bodyLength) return;
		const request = this.#request;
		request.body = this.#bodyLength === 0 ? EMPTY : this.#rx.subarray(this.#headEnd, this.#headEnd + this.#bodyLength);
		this.state = BUSY;
		this.#server.dispatch(this, request);
	}

	/** "100 Continue" for a client that waits for it (curl does for bodies over 1 KB). */
	private interim(): void {
		const line = "HTTP/1.1 100 Continue\r\n\r\n";
		const bytes = this.#tx;
		const n = this.#hal.utf8EncodeInto(line, bytes, 0);
		this.#socket?.write(bytes, 0, n);
	}

	/** Index just past CRLF CRLF, or -1. */
	private findHeadEnd(): number {
		const rx = this.#rx;
		const limit = this.#filled;
		let i = this.#scanned > 3 ? this.#scanned - 3 : 0;
		for (; i + 3 < limit; i++) {
			if (rx[i] === CR && rx[i + 1] === LF && rx[i + 2] === CR && rx[i + 3] === LF) return i + 4;
		}
		this.#scanned = limit;
		return -1;
	}

	/** Request line and header fields of rx[0, end); null when acceptable, else the refusal. */
	private parseHead(end: number): Refusal | null {
		const rx = this.#rx;
		const request = this.#request;
		const fields = this.#fields;
		for (let f = 0; f < fields.length; f++) fields[f] = "";
		// Request line: method SP target SP HTTP/1.x CRLF
		let i = 0;
		while (i < end && rx[i] >= 65 && rx[i] <= 90) i++;
		if (i === 0 || rx[i] !== SP) return this.refuse(400, "malformed request line: expected an upper-case method, one space, the target, one space and HTTP/1.1");
		request.method = ascii(rx, 0, i);
		const targetStart = ++i;
		while (i < end && rx[i] > SP && rx[i] < 127) i++;
		if (i === targetStart || rx[i] !== SP) return this.refuse(400, "malformed request line: the target is missing or holds a control character or space");
		request.target = ascii(rx, targetStart, i);
		const version = ++i;
		while (i < end && rx[i] !== CR && rx[i] !== LF) i++;
		if (rx[i] !== CR || rx[i + 1] !== LF) return this.refuse(400, "malformed request line: it must end with CRLF");
		if (i - version !== 8 || !startsWith(rx, version, "HTTP/1.")) return this.refuse(i - version === 8 && startsWith(rx, version, "HTTP/") ? 505 : 400, "malformed request line: expected HTTP/1.1 or HTTP/1.0 as the version");
		const minor = rx[version + 7];
		if (minor !== 48 && minor !== 49) return this.refuse(505, "only HTTP/1.0 and HTTP/1.1 are served");
		if (request.target.charCodeAt(0) !== 47) return this.refuse(400, "the request target must be a path starting with /");
		i += 2;
		// Header fields, up to the blank line.
		let count = 0;
		while (i < end - 2) {
			if (++count > this.#limits.maxHeaders) return this.refuse(431, "more than " + this.#limits.maxHeaders + " header fields");
			const nameStart = i;
			while (i < end && isTokenChar(rx[i])) i++;
			if (i === nameStart || rx[i] !== COLON) {
				if (rx[nameStart] === SP || rx[nameStart] === HT) return this.refuse(400, "obsolete line folding in header fields is not accepted");
				return this.refuse(400, "malformed header field: expected a name, a colon and a value");
			}
			const field = fieldIndex(rx, nameStart, i);
			i++;
			while (rx[i] === SP || rx[i] === HT) i++;
			const valueStart = i;
			while (i < end && rx[i] !== CR && rx[i] !== LF) {
				if (rx[i] < SP && rx[i] !== HT) return this.refuse(400, "control character in a header value");
				i++;
			}
			if (rx[i] !== CR || rx[i + 1] !== LF) return this.refuse(400, "header lines must end with CRLF");
			let valueEnd = i;
			while (valueEnd > valueStart && (rx[valueEnd - 1] === SP || rx[valueEnd - 1] === HT)) valueEnd--;
			if (field >= 0) {
				const value = ascii(rx, valueStart, valueEnd);
				if (field === CONTENT_LENGTH && fields[field] !== "" && fields[field] !== value) return this.refuse(400, "two different Content-Length fields");
				fields[field] = fields[field] !== "" && field !== CONTENT_LENGTH ? fields[field] + ", " + value : value;
			}
			i += 2;
		}
		const http10 = minor === 48;
		const connection = fields[CONNECTION].toLowerCase();
		request.keepAlive = http10 ? connection.indexOf("keep-alive") >= 0 : connection.indexOf("close") < 0;
		request.authorization = fields[AUTHORIZATION];
		request.contentType = fields[CONTENT_TYPE];
		const coding = fields[TRANSFER_ENCODING].toLowerCase();
		if (coding !== "") {
			if (coding.indexOf("chunked") >= 0) return this.refuse(411, "chunked request bodies are not accepted: send the body with a Content-Length");
			return this.refuse(501, "transfer coding " + coding + " is not implemented");
		}
		const length = fields[CONTENT_LENGTH];
		this.#bodyLength = 0;
		if (length !== "") {
			if (length.length > 10 || !/^[0-9]+$/.test(length)) return this.refuse(400, "Content-Length must be a decimal number of bytes");
			const n = +length;
			if (n > this.#limits.maxBodyBytes) return this.refuse(413, "body of " + n + " bytes is larger than " + this.#limits.maxBodyBytes + " (the gateway's body limit)");
			this.#bodyLength = n;
		}
		return null;
	}

	private refuse(status: number, reason: string): Refusal {
		this.#refusal.status = status;
		this.#refusal.reason = reason;
		return this.#refusal;
	}
}

/** Answers a connection that will not be served, then closes it on the next turn. */
function refuse(hal: Hal, socket: HalSocket, status: number, reason: string): void {
	const text = "HTTP/1.1 " + status + " " + REASONS[status] + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + (utf8Length(reason) + 1) + "\r\nConnection: close\r\n\r\n" + reason + "\n";
	const bytes = new Uint8Array(utf8Length(text));
	hal.utf8EncodeInto(text, bytes, 0);
	socket.onData = null;
	socket.onClose = null;
	socket.write(bytes, 0, bytes.length);
	hal.timers.set(() => socket.close(), 0);
}

function checkLimits(limits: HttpLimits): void {
	const names = ["maxClients", "maxHeadBytes", "maxHeaders", "maxBodyBytes", "readTimeoutMs"] as const;
	for (const name of names) {
		const value = limits[name];
		if (!Number.isInteger(value) || value < 1) throw new RangeError("http server: " + name + " must be a positive integer, not " + value);
	}
	if (limits.maxHeadBytes < 64) throw new RangeError("http server: maxHeadBytes must be at least 64");
}

/** The base64 of "user:password" (RFC 7617). */
export function basicToken(hal: Hal, user: string, password: string): string {
	const text = user + ":" + password;
	const bytes = new Uint8Array(utf8Length(text));
	hal.utf8EncodeInto(text, bytes, 0);
	return hal.base64Encode(bytes);
}

/** Compares the expected credentials with a received header value in time that depends only on the expected length. */
function sameBytes(expected: Uint8Array, received: string): boolean {
	let difference = expected.length ^ received.length;
	for (let i = 0; i < expected.length; i++) difference |= expected[i] ^ (i < received.length ? received.charCodeAt(i) : 0);
	return difference === 0;
}

export function isLoopback(address: string): boolean {
	return address === "localhost" || address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
	let text = "";
	for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]);
	return text;
}

function startsWith(bytes: Uint8Array, at: number, text: string): boolean {
	for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
	return true;
}

/** RFC 9110 tchar. */
function isTokenChar(c: number): boolean {
	return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || (c > 32 && c < 127 && "!#$%&'*+-.^_`|~".indexOf(String.fromCharCode(c)) >= 0);
}

/** Index in FIELD_NAMES of the field named rx[start, end) (case-insensitive), -1 for one not read. */
function fieldIndex(rx: Uint8Array, start: number, end: number): number {
	const length = end - start;
	for (let f = 0; f < FIELD_NAMES.length; f++) {
		const name = FIELD_NAMES[f];
		if (name.length !== length) continue;
		let i = 0;
		while (i < length && (rx[start + i] | 0x20) === name.charCodeAt(i)) i++;
		if (i === length) return f;
	}
	return -1;
}
