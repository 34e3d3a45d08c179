/*
 * The smallest HTTP/1.1 client the gateway needs to reach a local application's callback URL: one
 * request per connection (Connection: close) on a HAL socket, plain http only, the answer's head and
 * body bounded together by `maxResponseBytes`, the whole exchange by `timeoutMs`, and at most
 * `maxRequests` under way (more are refused at once). A body comes with Content-Length or ends with the
 * connection; a chunked answer is refused (say Content-Length). Every failure is an HttpClientError
 * saying which kind it is.
 */
import type { Hal, HalSocket, TimerId } from "../../hal/hal";

export interface HttpClientLimits {
	/** Head and body of one answer together. */
	maxResponseBytes: number;
	/** From connecting to the answer's last byte. */
	timeoutMs: number;
	/** Requests under way at once. */
	maxRequests: number;
}

export interface HttpAnswer {
	status: number;
	/** The Content-Type header, "" when absent. */
	contentType: string;
	body: Uint8Array;
}

export type HttpClientErrorKind = "busy" | "unreachable" | "timeout" | "too-large" | "malformed";

export class HttpClientError extends Error {
	readonly kind: HttpClientErrorKind;
	constructor(kind: HttpClientErrorKind, message: string) {
		super(message);
		this.kind = kind;
	}
}

/** "http://host:port/path": its parts, or null. */
export function parseHttpUrl(url: string): { host: string; port: number; path: string } | null {
	const m = /^http:\/\/([A-Za-z0-9.\-]+):(\d{1,5})(\/[^\s]*)?$/.exec(url);
	if (m === null) return null;
	const port = Number(m[2]);
	return port >= 1 && port <= 65535 ? { host: m[1], port, path: m[3] ?? "/" } : null;
}

export class HttpClient {
	#hal: Hal;
	#limits: HttpClientLimits;
	#underWay = 0;

	constructor(hal: Hal, limits: HttpClientLimits) {
		this.#hal = hal;
		this.#limits = limits;
	}

	/** `method` `url` with a JSON `body` ("" for none). */
	request(method: string, url: string, body: string): Promise<HttpAnswer> {
		const target = parseHttpUrl(url);
		if (target === null) return Promise.reject(new HttpClientError("malformed", "not an http://host:port/path URL: " + url));
		if (this.#underWay >= this.#limits.maxRequests) return Promise.reject(new HttpClientError("busy", this.#limits.maxRequests + " callback requests are under way already"));
		this.#underWay++;
		return new Promise<HttpAnswer>((resolve, reject) => {
			new Exchange(this.#hal, this.#limits, target, method, body, (error, answer) => {
				this.#underWay--;
				if (error !== null) reject(error);
				else resolve(answer!);
			});
		});
	}
}

/** One request and its answer on a connection of its own. */
class Exchange {
	#hal: Hal;
	#max: number;
	#socket: HalSocket;
	#timer: TimerId;
	#done: ((error: HttpClientError | null, answer: HttpAnswer | null) => void) | null;
	#out: Uint8Array;
	#written = 0;
	#chunks: Uint8Array[] = [];
	#received = 0;

	constructor(hal: Hal, limits: HttpClientLimits, target: { host: string; port: number; path: string }, method: string, body: string, done: (error: HttpClientError | null, answer: HttpAnswer | null) => void) {
		this.#hal = hal;
		this.#max = limits.maxResponseBytes;
		this.#done = done;
		const payload = encode(hal, body);
		const head = encode(hal, method + " " + target.path + " HTTP/1.1\r\nHost: " + target.host + ":" + target.port + "\r\nConnection: close\r\n" +
			(body === "" ? "" : "Content-Type: application/json\r\n") + "Content-Length: " + payload.length + "\r\nAccept: application/json\r\n\r\n");
		this.#out = new Uint8Array(head.length + payload.length);
		this.#out.set(head, 0);
		this.#out.set(payload, head.length);
		this.#timer = hal.timers.set(() => this.finish(new HttpClientError("timeout", "no answer from " + target.host + ":" + target.port + " within " + limits.timeoutMs + " ms")), limits.timeoutMs);
		const socket = hal.createSocket();
		this.#socket = socket;
		socket.onConnect = () => this.write();
		socket.onWritable = () => this.write();
		socket.onData = (bytes) => this.data(bytes);
		socket.onClose = (error) => {
			if (this.#done === null) return;
			if (error !== null && this.#received === 0) this.finish(new HttpClientError("unreachable", target.host + ":" + target.port + ": " + error.message));
			else this.finish(null, true);
		};
		try {
			socket.connect({ host: target.host, port: target.port });
		} catch (error) {
			this.finish(new HttpClientError("unreachable", target.host + ":" + target.port + ": " + (error as Error).message));
		}
	}

	private write(): void {
		const out = this.#out;
		if (this.#written < out.length) this.#written += this.#socket.write(out, this.#written, out.length - this.#written);
	}

	private data(bytes: Uint8Array): void {
		if (this.#done === null) return;
		if (this.#received + bytes.length > this.#max) return this.finish(new HttpClientError("too-large", "the answer is over " + this.#max + " bytes"));
		this.#chunks.push(bytes.slice()); // the view is valid only during the callback
		this.#received += bytes.length;
		this.finish(null, false);
	}

	/** With an error: fails. Else completes when the answer is whole (`closed`: the connection ended it). */
	private finish(error: HttpClientError | null, closed = false): void {
		const done = this.#done;
		if (done === null) return;
		let answer: HttpAnswer | null = null;
		if (error === null) {
			const parsed = this.parse(closed);
			if (parsed === null) return; // more to come
			if (parsed instanceof HttpClientError) error = parsed;
			else answer = parsed;
		}
		this.#done = null;
		this.#hal.timers.clear(this.#timer);
		this.#socket.close();
		done(error, answer);
	}

	/** The answer once whole, null while more is to come, an error for one that can never be read. */
	private parse(closed: boolean): HttpAnswer | HttpClientError | null {
		const all = this.joined();
		let end = -1;
		for (let i = 0; i + 3 < all.length; i++) {
			if (all[i] === 13 && all[i + 1] === 10 && all[i + 2] === 13 && all[i + 3] === 10) {
				end = i;
				break;
			}
		}
		if (end < 0) return closed ? new HttpClientError("malformed", "the connection ended before the answer's head did") : null;
		const lines = this.#hal.utf8Decode(all, 0, end).split("\r\n");
		const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
		if (status === null) return new HttpClientError("malformed", "not an HTTP status line: " + lines[0].slice(0, 80));
		let length = -1;
		let contentType = "";
		for (let i = 1; i < lines.length; i++) {
			const colon = lines[i].indexOf(":");
			const name = lines[i].slice(0, colon).trim().toLowerCase();
			const value = lines[i].slice(colon + 1).trim();
			if (name === "content-length") length = /^\d+$/.test(value) ? Number(value) : -2;
			else if (name === "content-type") contentType = value;
			else if (name === "transfer-encoding" && value.toLowerCase() !== "identity") return new HttpClientError("malformed", "a chunked answer is not read here: answer with Content-Length");
		}
		if (length === -2) return new HttpClientError("malformed", "a bad Content-Length");
		const start = end + 4;
		if (length >= 0 && all.length - start >= length) return { status: Number(status[1]), contentType, body: all.subarray(start, start + length) };
		if (!closed) return null;
		if (length >= 0) return new HttpClientError("malformed", "the connection ended " + (length - (all.length - start)) + " bytes short of Content-Length");
		return { status: Number(status[1]), contentType, body: all.subarray(start) };
	}

	/** What arrived so far, in one buffer. */
	private joined(): Uint8Array {
		const chunks = this.#chunks;
		if (chunks.length === 1) return chunks[0];
		const all = new Uint8Array(this.#received);
		let at = 0;
		for (const c of chunks) {
			all.set(c, at);
			at += c.length;
		}
		this.#chunks = [all];
		return all;
	}
}

function encode(hal: Hal, text: string): Uint8Array {
	const bytes = new Uint8Array(text.length * 3);
	return bytes.subarray(0, hal.utf8EncodeInto(text, bytes, 0));
}
