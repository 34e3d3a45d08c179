/*
 * A small scripted AlwaysOn edge for the emulator's tests: a `ws` client that sends binary frames,
 * decodes whatever comes back with the codec (reassembling multipart), answers platform requests
 * through a responder and lets a test wait for the next message of a kind.
 */
import WebSocket from "ws";
import { chunkCount, Code, decodeMessage, encodeChunk, encodeMessageToBytes, Reassembler } from "../../src/protocol";
import type { ChunkMessage, InfoTable, Message, RequestMessage, ResponseMessage, TypedValue } from "../../src/protocol/model";
import { DEADLINE_MS } from "../support/deadline";

export interface Received {
	bytes: Uint8Array;
	message: Message;
	/** Sizes of the WebSocket frames it came in (several for multipart). */
	frames: number[];
	/** Multipart chunks as received (empty for single-part). */
	chunks: ChunkMessage[];
}

export type Responder = (request: RequestMessage) => { code: number; content?: InfoTable | null; reason?: string | null } | null;

export function hex(text: string): Uint8Array {
	return new Uint8Array(Buffer.from(text, "hex"));
}

/** Overwrites requestId and/or sessionId in a copy of an encoded message. */
export function restamp(bytes: Uint8Array, ids: { requestId?: number; sessionId?: number }): Uint8Array {
	const out = bytes.slice();
	const view = new DataView(out.buffer);
	if (ids.requestId !== undefined) view.setUint32(2, ids.requestId);
	if (ids.sessionId !== undefined) view.setUint32(10, ids.sessionId);
	return out;
}

export function response(request: { requestId: number; sessionId: number }, code: number, content: InfoTable | null = null, reason: string | null = null): ResponseMessage {
	return { kind: "response", version: 1, code, requestId: request.requestId, endpointId: 0, sessionId: request.sessionId, reason, content, contentType: content ? 5 : 0xff, trailing: 0 };
}

export function vtqTable(rows: Array<[string, TypedValue, number]>): InfoTable {
	const inner: InfoTable = {
		fields: [
			{ name: "name", description: "", baseType: "STRING", aspects: [] },
			{ name: "value", description: "", baseType: "VARIANT", aspects: [] },
			{ name: "time", description: "", baseType: "DATETIME", aspects: [] },
			{ name: "quality", description: "", baseType: "STRING", aspects: [] },
		],
		rows: rows.map(([name, value, time]) => [
			{ type: "STRING", value: name },
			{ type: "VARIANT", value },
			{ type: "DATETIME", value: time },
			{ type: "STRING", value: "GOOD" },
		]),
	};
	return { fields: [{ name: "values", description: "", baseType: "INFOTABLE", aspects: [] }], rows: [[{ type: "INFOTABLE", value: inner }]] };
}

export class ScriptedEdge {
	readonly ws: WebSocket;
	sessionId = 0;
	nextRequestId = 1;
	responder: Responder | null = null;
	/** Chunk size for the responder's replies (0 = never chunk). */
	replyChunkSize = 0;
	readonly received: Received[] = [];
	readonly closed: Promise<{ code: number; reason: string }>;
	#waiters: Array<{ match: (r: Received) => boolean; resolve: (r: Received) => void }> = [];
	#reassembler = new Reassembler({ maxMessageSize: 4 << 20 });
	#partial = new Map<number, { frames: number[]; chunks: ChunkMessage[] }>();

	private constructor(ws: WebSocket) {
		this.ws = ws;
		this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
		ws.on("message", (data: Buffer) => this.#onFrame(new Uint8Array(data)));
		ws.on("error", () => {});
	}

	/** `zeroMask`: mask client frames with 00000000, as the C SDK does (§8.2). */
	static connect(url: string, options: { deflate?: boolean; headers?: Record<string, string>; zeroMask?: boolean; ca?: string | Buffer } = {}): Promise<ScriptedEdge> {
		const ws = new WebSocket(url, {
			...(options.ca ? { ca: options.ca } : {}),
			perMessageDeflate: options.deflate ?? false, headers: options.headers, maxPayload: 1 << 20,
			...(options.zeroMask ? { generateMask: (mask: Buffer) => void mask.fill(0) } : {}),
		});
		const edge = new ScriptedEdge(ws);
		return new Promise((resolve, reject) => {
			ws.once("open", () => resolve(edge));
			ws.once("error", reject);
		});
	}

	#onFrame(bytes: Uint8Array): void {
		let message = decodeMessage(bytes);
		let whole = bytes;
		let frames = [bytes.length];
		let chunks: ChunkMessage[] = [];
		if (message.kind === "chunk") {
			const part = this.#partial.get(message.requestId) ?? { frames: [], chunks: [] };
			this.#partial.set(message.requestId, part);
			part.frames.push(bytes.length);
			part.chunks.push({ ...message, data: message.data.slice() });
			const done = this.#reassembler.add(message, Date.now());
			if (!done) return;
			this.#partial.delete(message.requestId);
			({ frames, chunks } = part);
			whole = done;
			message = decodeMessage(done);
		}
		const received: Received = { bytes: whole, message: message as Message, frames, chunks };
		this.received.push(received);
		if (received.message.kind === "request" && this.responder) {
			const reply = this.responder(received.message);
			if (reply) this.send(response({ requestId: received.message.requestId, sessionId: this.sessionId }, reply.code, reply.content ?? null, reply.reason ?? null), this.replyChunkSize);
		}
		this.#waiters = this.#waiters.filter((w) => {
			if (!w.match(received)) return true;
			w.resolve(received);
			return false;
		});
	}

	/** The next message (already received or future) matching `match`. */
	next(match: (message: Message) => boolean, timeoutMs = DEADLINE_MS, what = "message"): Promise<Received> {
		const index = this.received.findIndex((r) => match(r.message));
		if (index >= 0) return Promise.resolve(this.received.splice(index, 1)[0]);
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
			this.#waiters.push({
				match: (r) => match(r.message),
				resolve: (r) => {
					clearTimeout(timer);
					this.received.splice(this.received.indexOf(r), 1);
					resolve(r);
				},
			});
		});
	}

	nextRequest(name: string, timeoutMs = DEADLINE_MS): Promise<Received> {
		return this.next((m) => m.kind === "request" && m.characteristicName === name, timeoutMs, `request ${name}`);
	}

	responseTo(requestId: number, timeoutMs = DEADLINE_MS): Promise<Received> {
		return this.next((m) => m.kind === "response" && m.requestId === requestId, timeoutMs, `response #${requestId}`);
	}

	sendRaw(bytes: Uint8Array | string): void {
		this.ws.send(bytes, { binary: typeof bytes !== "string" });
	}

	/** Encodes and sends; chunked at `chunkSize` when given and needed. */
	send(message: Message, chunkSize = 0): void {
		const bytes = encodeMessageToBytes(message);
		const count = chunkSize ? chunkCount(bytes, bytes.length, chunkSize) : 1;
		if (count === 1) return this.sendRaw(bytes);
		for (let k = 1; k <= count; k++) {
			const chunk = new Uint8Array(chunkSize);
			this.sendRaw(chunk.slice(0, encodeChunk(bytes, bytes.length, k, chunkSize, chunk, 0)));
		}
	}

	/** Sends a message with a fresh request id and waits for its response. */
	async call(message: Message, chunkSize = 0): Promise<ResponseMessage> {
		const requestId = this.nextRequestId++;
		this.send({ ...message, requestId, sessionId: message.code === Code.AUTH ? 0xffffffff : this.sessionId } as Message, chunkSize);
		return (await this.responseTo(requestId)).message as ResponseMessage;
	}

	async auth(key: string): Promise<ResponseMessage> {
		const reply = await this.call({ kind: "auth", version: 1, code: Code.AUTH, requestId: 0, endpointId: 0, sessionId: 0xffffffff, claims: [["appKey", key]] });
		if (reply.code === Code.SUCCESS) this.sessionId = reply.sessionId;
		return reply;
	}

	bind(names: string[], gateway: { name: string; type: string } | null = null): Promise<ResponseMessage> {
		return this.call({ kind: "bind", version: 1, code: Code.BIND, requestId: 0, endpointId: 0, sessionId: 0, gateway, names });
	}

	post(thing: string, characteristic: number, name: string, params: InfoTable | null, chunkSize = 0): Promise<ResponseMessage> {
		return this.call({
			kind: "request", version: 1, code: Code.POST, requestId: 0, endpointId: 0, sessionId: 0,
			entityType: 0x0a, entityName: thing, characteristicType: characteristic, characteristicName: name, headers: [], params,
		}, chunkSize);
	}

	push(thing: string, rows: Array<[string, TypedValue, number]>): Promise<ResponseMessage> {
		return this.post(thing, 2, "UpdateSubscribedPropertyValues", vtqTable(rows));
	}

	close(): Promise<{ code: number; reason: string }> {
		this.ws.close(1000, "done");
		return this.closed;
	}
}

/** A REST answer's JSON body (shape checked by the test's assertions). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json(response: Response | Promise<Response>): Promise<any> {
	return (await response).json();
}

/** Resolves once `condition()` holds (polled), rejects after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = DEADLINE_MS, what = "condition"): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}
