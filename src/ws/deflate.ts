/*
 * permessage-deflate (RFC 7692) for hosts: offered in the upgrade, and when the server accepts it
 * every message sent is compressed and every compressed message received is inflated, through the
 * HAL's raw DEFLATE streams (hal.compression). A device bundle that does not import this file
 * carries none of it; the WebSocket client sees only the WebSocketExtension interface.
 *
 * Allocates per message (the HAL's streams return new arrays): a host feature, not a device one.
 */
import type { Hal, HalDeflateStream } from "../../hal/hal";
import type { WebSocketClient, WebSocketExtension } from "./client";
import { INVALID_DATA, TOO_BIG, WebSocketError } from "./error";
import { frameHeaderSize } from "./frame-writer";

const NAME = "permessage-deflate";
/** What a sync flush ends with, taken off each sent message and put back on each received one (§7.2.1-7.2.2). */
const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
/**
 * Our compressor's window. We offer no client_max_window_bits: zlib cannot make a raw stream with
 * the 256-byte window (8) a server may ask for, so the server must take ours.
 */
const WINDOW_BITS = 15;

/** A factory for the WebSocket client's `extension` option (and the EdgeClient's `compression`). */
export function permessageDeflate(hal: Hal): WebSocketExtension {
	return new PerMessageDeflate(hal);
}

class PerMessageDeflate implements WebSocketExtension {
	readonly offer = NAME;
	readonly #hal: Hal;
	#deflater: HalDeflateStream | null = null;
	#inflater: HalDeflateStream | null = null;
	#maxOutput = 0;
	/** The server's and our own no_context_takeover: a fresh stream for each message. */
	#serverResets = false;
	#clientResets = false;

	constructor(hal: Hal) {
		if (hal.compression === undefined) throw new TypeError("permessage-deflate needs a HAL with compression (hal/node has it; device HALs do not)");
		this.#hal = hal;
	}

	get active(): boolean {
		return this.#deflater !== null;
	}

	accept(answer: string, maxMessageSize: number): string | null {
		const params = answer.split(";");
		if (params[0].trim().toLowerCase() !== NAME || answer.indexOf(",") >= 0) return `server chose extensions "${answer}", not the permessage-deflate offered`;
		const seen: string[] = [];
		for (let i = 1; i < params.length; i++) {
			const eq = params[i].indexOf("=");
			const name = (eq < 0 ? params[i] : params[i].slice(0, eq)).trim().toLowerCase();
			const value = eq < 0 ? null : params[i].slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
			if (seen.indexOf(name) >= 0) return `permessage-deflate parameter ${name} given twice`;
			seen.push(name);
			switch (name) {
				case "server_no_context_takeover":
				case "client_no_context_takeover":
					if (value !== null) return `permessage-deflate parameter ${name} takes no value`;
					if (name[0] === "s") this.#serverResets = true;
					else this.#clientResets = true;
					break;
				case "server_max_window_bits": // the server's window: our inflater takes any up to 15
					if (value === null || !/^(8|9|1[0-5])$/.test(value)) return `permessage-deflate server_max_window_bits "${value ?? ""}" is not 8-15`;
					break;
				default: // client_max_window_bits was not offered, so it may not be answered either (§7.1.2.2)
					return `permessage-deflate parameter ${name} was not offered`;
			}
		}
		this.#maxOutput = maxMessageSize;
		const compression = this.#hal.compression!;
		this.#deflater = compression.deflater(WINDOW_BITS);
		this.#inflater = compression.inflater(15, maxMessageSize);
		return null;
	}

	/**
	 * Compresses the message and sends it as frames of up to maxFrameSize, RSV1 on the first (RFC 7692
	 * §6.1): in the TX buffer when they fit, else in a buffer of their own (a host allocates here anyway).
	 */
	send(client: WebSocketClient, bytes: Uint8Array, offset: number, length: number, binary: boolean): void {
		const data = this.compress(bytes, offset, length);
		const frame = client.maxFrameSize;
		const tx = client.txBuffer;
		const frames = data.length > frame ? Math.ceil(data.length / frame) : 1;
		const last = data.length - (frames - 1) * frame;
		const size = (frames - 1) * (frameHeaderSize(frame) + frame) + frameHeaderSize(last) + last;
		const into = size <= tx.length ? tx : new Uint8Array(size);
		let at = 0;
		let head = binary ? 0x42 : 0x41; // RSV1 | opcode
		for (let sent = 0; sent < data.length || at === 0; head = 0) {
			const count = data.length - sent < frame ? data.length - sent : frame;
			at = client.frameAt(at, sent + count === data.length ? 0x80 | head : head, data, sent, count, into);
			sent += count;
		}
		client.commitFrames(at, into);
	}

	private compress(bytes: Uint8Array, offset: number, length: number): Uint8Array {
		const out = this.#deflater!.write(bytes, offset, length);
		if (this.#clientResets) this.#deflater = this.renew(this.#deflater!, true);
		// A sync flush always ends with the empty stored block; the receiver puts it back.
		return out.subarray(0, out.length - TAIL.length);
	}

	receive(client: WebSocketClient, message: Uint8Array, binary: boolean): void {
		let bytes: Uint8Array;
		try {
			bytes = this.decompress(message, 0, message.length);
		} catch (error) {
			client.fail(error as WebSocketError);
			return;
		}
		if (!binary && !client.isText(bytes, 0, bytes.length)) client.fail(new WebSocketError("bad-utf8", "text is not UTF-8", INVALID_DATA));
		else client.onMessage?.(bytes, binary);
	}

	private decompress(bytes: Uint8Array, offset: number, length: number): Uint8Array {
		const input = new Uint8Array(length + TAIL.length);
		input.set(bytes.subarray(offset, offset + length), 0);
		input.set(TAIL, length);
		let out: Uint8Array;
		try {
			out = this.#inflater!.write(input, 0, input.length);
		} catch (error) {
			if (error instanceof RangeError) throw new WebSocketError("too-big", `compressed message inflates past maxMessageSize ${this.#maxOutput}`, TOO_BIG);
			throw new WebSocketError("protocol", "compressed message is not valid DEFLATE data", INVALID_DATA);
		}
		if (this.#serverResets) this.#inflater = this.renew(this.#inflater!, false);
		return out;
	}

	close(): void {
		this.#deflater?.close();
		this.#inflater?.close();
		this.#deflater = null;
		this.#inflater = null;
	}

	private renew(stream: HalDeflateStream, deflater: boolean): HalDeflateStream {
		stream.close();
		const compression = this.#hal.compression!;
		return deflater ? compression.deflater(WINDOW_BITS) : compression.inflater(15, this.#maxOutput);
	}
}
