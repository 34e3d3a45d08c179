import type { Hal } from "../../hal/hal";
import { WebSocketError } from "./error";
import { VERBOSE } from "../verbose";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** The largest response header block accepted. */
export const MAX_RESPONSE_HEADER = 4096;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t -~]*$/; // printable ASCII: one character per byte
const HOST = /^[!-~]+$/;
const PATH = /^\/[!-~]*$/;
// Headers the handshake writes itself, or whose answers it would not understand.
const RESERVED = Object.freeze(["host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol"]);

/**
 * The opening handshake (RFC 6455 §4.1): writes the upgrade request with a fresh key, then collects
 * the response header block (cut anywhere) in a borrowed buffer and checks it.
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
export class Handshake {
	readonly #hal: Hal;
	readonly #head: string;
	readonly #tail: string;
	readonly #nonce = new Uint8Array(16);
	readonly #acceptInput = new Uint8Array(60); // key (24) + GUID (36)
	readonly #block: Uint8Array;
	readonly #limit: number;
	#expected = "";
	/** The extension offer we made, and the server's answer to it (null: none). */
	readonly #offer: string | null;
	extensions: string | null = null;
	#length = 0;
	#terminator = 0; // how much of CR LF CR LF has been seen

	/** Throws a "usage" WebSocketError for a path or header that cannot go into a request. */
	constructor(hal: Hal, host: string, port: number, secure: boolean, path: string, headers: ReadonlyArray<readonly [string, string]>, offer: string | null, block: Uint8Array) {
		if (!PATH.test(path)) throw new WebSocketError("usage", VERBOSE ? `path "${path}" must start with "/" and hold printable ASCII only` : "path");
		if (!HOST.test(host)) throw new WebSocketError("usage", VERBOSE ? "host must be printable ASCII (punycode for international names)" : "host");
		let extra = "";
		for (let i = 0; i < headers.length; i++) {
			const [name, value] = headers[i];
			if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) throw new WebSocketError("usage", VERBOSE ? `header "${name}" is not a valid HTTP header line` : "header " + name);
			if (RESERVED.indexOf(name.toLowerCase()) >= 0) throw new WebSocketError("usage", VERBOSE ? `header "${name}" is written by the handshake itself` : "header " + name);
			extra += `${name}: ${value}\r\n`;
		}
		if (offer !== null) extra += `Sec-WebSocket-Extensions: ${offer}\r\n`;
		this.#offer = offer;
		const hostname = host.indexOf(":") >= 0 ? `[${host}]` : host;
		const authority = port === (secure ? 443 : 80) ? hostname : `${hostname}:${port}`;
		this.#hal = hal;
		this.#head = `GET ${path} HTTP/1.1\r\nHost: ${authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: `;
		this.#tail = `\r\n${extra}\r\n`;
		this.#block = block;
		this.#limit = block.length < MAX_RESPONSE_HEADER ? block.length : MAX_RESPONSE_HEADER;
	}

	/** Bytes the request takes (the key is always 24 characters). */
	get requestLength(): number {
		return this.#head.length + 24 + this.#tail.length;
	}

	/** Writes a request with a fresh key at `into[0]`; returns its length, or -1 when it does not fit. */
	request(into: Uint8Array): number {
		const hal = this.#hal;
		hal.randomBytes(this.#nonce, 0, 16);
		const key = hal.base64Encode(this.#nonce);
		hal.utf8EncodeInto(key + GUID, this.#acceptInput, 0);
		this.#expected = hal.base64Encode(hal.sha1(this.#acceptInput));
		this.#length = 0;
		this.#terminator = 0;
		this.extensions = null;
		return hal.utf8EncodeInto(this.#head + key + this.#tail, into, 0);
	}

	/**
	 * Consumes response bytes from `bytes[start, end)`. Returns the index just past the header block
	 * once it is complete and valid (later bytes are frames), or -1 when more are needed.
	 * Throws a WebSocketError that says what the server answered.
	 */
	response(bytes: Uint8Array, start: number, end: number): number {
		const block = this.#block;
		let length = this.#length;
		let terminator = this.#terminator;
		for (let i = start; i < end; i++) {
			if (length === this.#limit) throw new WebSocketError("handshake-header", VERBOSE ? `response header block exceeds ${this.#limit} bytes` : "size");
			const b = bytes[i];
			block[length++] = b;
			if (b === 13) terminator = terminator === 2 ? 3 : 1;
			else if (b === 10 && terminator === 3) return this.check(length - 4, i + 1);
			else terminator = b === 10 && terminator === 1 ? 2 : 0;
		}
		this.#length = length;
		this.#terminator = terminator;
		return -1;
	}

	private check(length: number, next: number): number {
		const lines = latin1(this.#block, length).split("\r\n");
		const status = /^HTTP\/1\.\d (\d\d\d)(?: |$)/.exec(lines[0]);
		if (status === null || status[1] !== "101") throw new WebSocketError("handshake-status", VERBOSE ? `server answered "${printable(lines[0])}" instead of 101 Switching Protocols` : printable(lines[0]));
		let upgrade: string | null = null;
		let connection: string | null = null;
		let accept: string | null = null;
		for (let n = 1; n < lines.length; n++) {
			const line = lines[n];
			const colon = line.indexOf(":");
			if (colon <= 0) throw new WebSocketError("handshake-header", VERBOSE ? `malformed response header line "${printable(line)}"` : "line");
			const value = line.slice(colon + 1).trim();
			switch (line.slice(0, colon).trim().toLowerCase()) {
				case "upgrade":
					upgrade = upgrade === null ? value : `${upgrade}, ${value}`;
					break;
				case "connection":
					connection = connection === null ? value : `${connection}, ${value}`;
					break;
				case "sec-websocket-accept":
					if (accept !== null) throw new WebSocketError("handshake-accept", VERBOSE ? "response has more than one Sec-WebSocket-Accept header" : "accept");
					accept = value;
					break;
				case "sec-websocket-extensions":
					if (value === "") break;
					if (this.#offer === null) throw new WebSocketError("handshake-header", VERBOSE ? `server chose extensions "${printable(value)}" that were not offered` : "extensions");
					this.extensions = this.extensions === null ? value : `${this.extensions}, ${value}`;
					break;
				case "sec-websocket-protocol":
					throw new WebSocketError("handshake-header", VERBOSE ? `server chose subprotocol "${printable(value)}" that was not offered` : "protocol");
			}
		}
		if (upgrade === null || upgrade.toLowerCase() !== "websocket") throw new WebSocketError("handshake-header", VERBOSE ? (upgrade === null ? "response has no Upgrade header" : `response has "Upgrade: ${printable(upgrade)}", not websocket`) : "upgrade");
		if (connection === null || !hasToken(connection, "upgrade"))
			throw new WebSocketError("handshake-header", VERBOSE ? (connection === null ? "response has no Connection header" : `response has "Connection: ${printable(connection)}" without the upgrade token`) : "connection");
		if (accept === null) throw new WebSocketError("handshake-header", VERBOSE ? "response has no Sec-WebSocket-Accept header" : "accept");
		if (accept !== this.#expected) throw new WebSocketError("handshake-accept", VERBOSE ? `Sec-WebSocket-Accept is "${printable(accept)}", expected "${this.#expected}"` : "accept");
		return next;
	}
}

function latin1(bytes: Uint8Array, length: number): string {
	let text = "";
	for (let i = 0; i < length; i++) text += String.fromCharCode(bytes[i]);
	return text;
}

/** Server text as it may appear in an error message: printable ASCII, at most 100 characters. */
function printable(text: string): string {
	const clean = text.replace(/[^ -~]/g, "?");
	return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}

function hasToken(list: string, token: string): boolean {
	const tokens = list.toLowerCase().split(",");
	for (let i = 0; i < tokens.length; i++) if (tokens[i].trim() === token) return true;
	return false;
}
