/*
 * send(): a message copied from the caller's bytes, fragmented past maxFrameSize. Apart from the
 * client so a device that writes its messages in place (beginMessage/commitMessage) does not carry it.
 */
import { notUtf8, TOO_BIG, WebSocketError } from "./error";
import { frameHeaderSize } from "./frame-writer";
import { WebSocketClient } from "./client";
import { VERBOSE } from "../verbose";

/**
 * Sends `bytes[offset, offset + length)` as one message (copied: the caller's buffer is free on return),
 * as continuation frames past maxFrameSize, all of which must fit the TX buffer ("too-big" otherwise;
 * compressed messages, permessage-deflate, take a buffer of their own when they do not).
 * False when the previous message is still leaving the TX buffer: retry on onWritable.
 */
export function send(client: WebSocketClient, bytes: Uint8Array, offset = 0, length: number = bytes.length - offset, binary = true): boolean {
	if (!client.isOpen) throw client.stateError("send()");
	if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset + length <= bytes.length)) throw new WebSocketError("usage", VERBOSE ? `send(): offset ${offset} and length ${length} do not fit ${bytes.length} bytes` : "offset");
	const compressor = client.compressor;
	if (compressor !== null) {
		if (!binary && !client.isText(bytes, offset, offset + length)) throw notUtf8("send()");
		if (!client.claimTx()) return false;
		compressor.send(client, bytes, offset, length, binary);
		return true;
	}
	const frame = client.maxFrameSize;
	const tx = client.txBuffer;
	const frames = length > frame ? Math.ceil(length / frame) : 1;
	const needed = (frames - 1) * frameHeaderSize(frame) + frameHeaderSize(length - (frames - 1) * frame) + length;
	if (needed > tx.length) throw new WebSocketError("too-big", VERBOSE ? `a message of ${length} bytes needs ${needed} bytes of TX buffer, txBufferSize is ${tx.length}` : "txBuffer", TOO_BIG);
	if (!binary && !client.isText(bytes, offset, offset + length)) throw notUtf8("send()");
	if (!client.claimTx()) return false;
	let at = 0;
	let opcode = binary ? 2 : 1;
	let left = length;
	do {
		const count = left < frame ? left : frame;
		left -= count;
		at = client.frameAt(at, left === 0 ? 0x80 | opcode : opcode, bytes, offset, count);
		offset += count;
		opcode = 0;
	} while (left > 0);
	client.commitFrames(at);
	return true;
}

/** The client with send() as a method: what src/ws/index.ts exports (hosts, tests). */
export class WebSocketClientWithSend extends WebSocketClient {
	send(bytes: Uint8Array, offset = 0, length: number = bytes.length - offset, binary = true): boolean {
		return send(this, bytes, offset, length, binary);
	}
}
