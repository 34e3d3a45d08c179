/*
 * Whole messages (docs/protocol.md §1.1-§4): header, request, response, AUTH, BIND/UNBIND, KEEP_ALIVE and
 * the chunk form of a multipart message (§1.2; reassemble with multipart.ts before decoding the body).
 *
 * What the decoder tolerates after a complete body: bytes after a RESPONSE are counted in `trailing`
 * (the C SDK pads its error responses with zeros, §3.2) and re-encoded as that many zeros. After a
 * request's params, an AUTH or BIND/UNBIND body, or a KEEP_ALIVE header they are a DecodeError: the
 * C SDK computes those lengths exactly, so extra bytes mean a corrupt or mis-split message (§1.3).
 * Markers (multipart, reason, gateway, field, row) must be 0 or 1.
 */
import type { ChunkMessage, EdgeMessage, InfoTable, Message, MessageHeader, RequestMessage, ResponseMessage } from "./model";
import { DEFAULT_OPTIONS, type CodecOptions } from "./basetypes";
import { AUTH, BIND, isRequestCode, isResponseCode, KEEP_ALIVE, UNBIND } from "./codes";
import { DecodeError, EncodeError, limit } from "./errors";
import { ByteReader } from "./reader";
import { decodeInfoTable, encodeInfoTable } from "./values";
import { ByteWriter } from "./writer";

export const HEADER_SIZE = 15;
const INFOTABLE = 5;
const NOTHING = 0xff;
const U32 = 0xffffffff;
// Each kind is spelled once: the bundle names the constant where the text would repeat.
const REQUEST = "request";
const RESPONSE = "response";
const AUTH_KIND = "auth";
const BIND_KIND = "bind";
const UNBIND_KIND = "unbind";
const KEEPALIVE_KIND = "keepalive";
const CHUNK = "chunk";

type Kind = Message["kind"];

/** Which body a message code carries, or undefined for a code no side sends (§2 dispatch). */
export function messageKind(code: number): Kind | undefined {
	if (isRequestCode(code)) return REQUEST;
	if (isResponseCode(code)) return RESPONSE;
	switch (code) {
		case AUTH:
			return AUTH_KIND;
		case BIND:
			return BIND_KIND;
		case UNBIND:
			return UNBIND_KIND;
		case KEEP_ALIVE:
			return KEEPALIVE_KIND;
	}
	return undefined;
}

/** Encodes `msg` at `into[offset]`; returns the bytes written. A ChunkMessage is written as that chunk. */
export function encodeMessage(msg: Message | ChunkMessage, into: Uint8Array, offset = 0, options: CodecOptions = DEFAULT_OPTIONS): number {
	const w = new ByteWriter(into, offset);
	writeMessage(w, msg, options);
	return w.position - offset;
}

/** Host convenience: encodes into a new array of the exact size (up to 64 MiB). */
export function encodeMessageToBytes(msg: Message | ChunkMessage, options: CodecOptions = DEFAULT_OPTIONS): Uint8Array {
	for (let size = 256; ; size *= 2) {
		const w = new ByteWriter(new Uint8Array(size));
		try {
			writeMessage(w, msg, options);
			return w.buffer.slice(0, w.position);
		} catch (error) {
			if (!(error instanceof EncodeError && error.reason.startsWith("no room")) || size >= 0x4000000) throw error;
		}
	}
}

export function writeMessage(w: ByteWriter, msg: Message | ChunkMessage, options: CodecOptions = DEFAULT_OPTIONS): void {
	switch (msg.kind) {
		case RESPONSE:
			writeHead(w, msg);
			if (msg.reason === null) w.u8(0);
			else {
				w.u8(1);
				w.string(msg.reason);
			}
			writeContent(w, msg.content, msg.contentType, options);
			for (let n = limit(msg.trailing, U32, "trailing"); n > 0; n--) w.u8(0);
			return;
		case KEEPALIVE_KIND:
			writeHead(w, msg);
			return;
		case CHUNK:
			writeHead(w, msg);
			w.u16(limit(msg.chunkId, 0xffff, "chunkId"));
			w.u16(limit(msg.chunkCount, 0xffff, "chunkCount"));
			w.u16(limit(msg.chunkSize, 0xffff, "chunkSize"));
			if (isRequestCode(msg.code) !== (msg.entity !== null)) throw new EncodeError("a chunk has an entity exactly when its code is a request");
			if (msg.entity !== null) {
				w.u8(msg.entity.type);
				w.string(msg.entity.name);
			}
			w.bytes(msg.data);
			return;
	}
	writeEdgeMessage(w, msg, options);
}

/** Writes what the edge sends as a model (a request, AUTH, BIND or UNBIND): a device bundle carries no other kind's writer. */
export function writeEdgeMessage(w: ByteWriter, msg: EdgeMessage, options: CodecOptions = DEFAULT_OPTIONS): void {
	writeHead(w, msg);
	switch (msg.kind) {
		case REQUEST:
			w.u8(msg.entityType);
			w.string(msg.entityName);
			w.u8(msg.characteristicType);
			w.string(msg.characteristicName);
			writePairs(w, msg.headers, "headers");
			writeContent(w, msg.params, NOTHING, options);
			return;
		case AUTH_KIND:
			writePairs(w, msg.claims, "claims");
			return;
		default: // BIND, UNBIND
			if (msg.gateway === null) w.u8(0);
			else {
				w.u8(1);
				w.string(msg.gateway.name);
				w.string(msg.gateway.type);
			}
			w.u16(limit(msg.names.length, 0xffff, "names"));
			for (const name of msg.names) w.string(name);
	}
}

/** The header, once the code is known to carry this kind of body (any code for a chunk). */
function writeHead(w: ByteWriter, msg: Message | ChunkMessage): void {
	if (msg.kind !== CHUNK && messageKind(msg.code) !== msg.kind)
		throw new EncodeError("code 0x" + msg.code.toString(16) + " does not carry a " + msg.kind + " body");
	w.u8(limit(msg.version, 0xff, "version"));
	w.u8(limit(msg.code, 0xff, "code"));
	w.u32(limit(msg.requestId, U32, "requestId"));
	w.u32(limit(msg.endpointId, U32, "endpointId"));
	w.u32(limit(msg.sessionId, U32, "sessionId"));
	w.u8(msg.kind === CHUNK ? 1 : 0);
}

function writePairs(w: ByteWriter, pairs: Array<[string, string]>, what: string): void {
	w.u8(limit(pairs.length, 0xff, what));
	for (const [name, value] of pairs) {
		w.string(name);
		w.string(value);
	}
}

/** The params/content byte and table: 05 + InfoTable, or the given non-table byte (0xFF NOTHING). */
function writeContent(w: ByteWriter, table: InfoTable | null, type: number, options: CodecOptions): void {
	if (table !== null) {
		w.u8(INFOTABLE);
		encodeInfoTable(w, table, options);
	} else if (type === INFOTABLE) throw new EncodeError("content type INFOTABLE without a table");
	else w.u8(limit(type & 0xff, 0xff, "content type"));
}

/**
 * Decodes one WebSocket message: a single-part message, or a chunk (multipart marker set).
 * Malformed input is a DecodeError with the offset and reason.
 */
export function decodeMessage(bytes: Uint8Array, options: CodecOptions = DEFAULT_OPTIONS): Message | ChunkMessage {
	const r = new ByteReader(bytes);
	const head = readHead(r);
	const code = head.code;
	if (r.marker("multipart")) return readChunk(r, head);
	const kind = messageKind(code);
	switch (kind) {
		case REQUEST: {
			const msg: RequestMessage = {
				kind, ...head,
				entityType: r.u8(),
				entityName: r.string(),
				characteristicType: r.u8(),
				characteristicName: r.string(),
				headers: readPairs(r),
				params: null,
			};
			const at = r.position;
			const type = r.i8();
			if (type === INFOTABLE) msg.params = decodeInfoTable(r, options);
			else if (type !== -1) throw new DecodeError(at, "params type " + type + " is neither INFOTABLE nor NOTHING");
			return end(r, msg);
		}
		case RESPONSE:
			return readResponse(r, head, options);
		case AUTH_KIND:
			return end(r, { kind, ...head, claims: readPairs(r) });
		case BIND_KIND:
		case UNBIND_KIND: {
			const gateway = r.marker("gateway") ? { name: r.string(), type: r.string() } : null;
			const names: string[] = [];
			for (let n = r.u16(); n > 0; n--) names.push(r.string());
			return end(r, { kind, ...head, gateway, names });
		}
		case KEEPALIVE_KIND:
			return end(r, { kind, ...head });
	}
	throw unknownCode(code);
}

/**
 * What the edge decodes as a model (client.ts): a response to one of its requests, or a chunk. Requests
 * are read in place (head.ts, params.ts); null for a KEEP_ALIVE, or for an AUTH, BIND or UNBIND, which
 * the platform does not send an edge (answered by their code alone, their bodies unread). A smaller
 * device bundle than decodeMessage's every kind.
 */
export function decodeReply(bytes: Uint8Array, options: CodecOptions = DEFAULT_OPTIONS): ResponseMessage | ChunkMessage | null {
	const r = new ByteReader(bytes);
	const head = readHead(r);
	if (r.marker("multipart")) return readChunk(r, head);
	const kind = messageKind(head.code);
	if (kind === RESPONSE) return readResponse(r, head, options);
	if (kind === KEEPALIVE_KIND) end(r, { kind, ...head });
	else if (kind === undefined || kind === REQUEST) throw unknownCode(head.code);
	return null;
}

function unknownCode(code: number): DecodeError {
	return new DecodeError(1, "unknown message code 0x" + code.toString(16));
}

function readHead(r: ByteReader): MessageHeader {
	r.need(HEADER_SIZE, "header");
	return { version: r.u8(), code: r.u8(), requestId: r.u32(), endpointId: r.u32(), sessionId: r.u32() };
}

function readChunk(r: ByteReader, head: MessageHeader): ChunkMessage {
	return {
		kind: CHUNK, ...head, chunkId: r.u16(), chunkCount: r.u16(), chunkSize: r.u16(),
		entity: isRequestCode(head.code) ? { type: r.u8(), name: r.string() } : null, data: r.view(r.remaining),
	};
}

function readResponse(r: ByteReader, head: MessageHeader, options: CodecOptions): ResponseMessage {
	const reason = r.marker("reason") ? r.string() : null;
	const contentType = r.i8();
	const content = contentType === INFOTABLE ? decodeInfoTable(r, options) : null;
	return { kind: RESPONSE, ...head, reason, content, contentType, trailing: r.remaining };
}

function readPairs(r: ByteReader): Array<[string, string]> {
	const pairs: Array<[string, string]> = [];
	for (let n = r.u8(); n > 0; n--) pairs.push([r.string(), r.string()]);
	return pairs;
}

function end<T extends Message>(r: ByteReader, msg: T): T {
	if (r.remaining !== 0) throw new DecodeError(r.position, r.remaining + " trailing bytes after the " + msg.kind + " body");
	return msg;
}
