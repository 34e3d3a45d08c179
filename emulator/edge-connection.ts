/*
 * One edge's WebSocket: the AlwaysOn session state machine (AUTH first, then anything), decoding
 * with every malformed input answered or closed with a reason, multipart both ways, and the
 * platform's own requests to the edge with their timeouts. What the platform does with a message
 * (binding, storing, answering) is the EdgeHandler's business.
 */
import type { WebSocket } from "ws";
import { Characteristic, Code, codeName, chunkCount, decodeMessage, DecodeError, encodeChunk, encodeMessageToBytes, HEADER_SIZE, isRequestCode, isResponseCode, messageKind, Reassembler } from "../src/protocol";
import type { BindMessage, ChunkMessage, InfoTable, Message, RequestMessage, ResponseMessage } from "../src/protocol/model";
import type { Counters } from "./counters";
import type { Logger } from "./log";
import { describe, type ProtocolLog } from "./protocol-log";

export const ConnectionState = Object.freeze({ AWAIT_AUTH: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });

/**
 * A wedged platform, played on purpose (tests, chaos; faults.ts): "silent" answers WebSocket pings and
 * nothing else (no answer, no request, nothing sent); "fragment" begins a WebSocket message that it
 * never finishes, then is silent; "chunk" sends the first chunk of a two-chunk AlwaysOn request, then
 * is silent; "none" serves.
 */
export const WEDGE_MODES = Object.freeze(["none", "silent", "fragment", "chunk"] as const);
export type WedgeMode = (typeof WEDGE_MODES)[number];

/**
 * With permessage-deflate, frames longer than chunkSize - DEFLATE_MARGIN go uncompressed (deflate may
 * grow incompressible data past the 8192 frame limit, §8.3), and so do frames shorter than
 * DEFLATE_MIN (nothing to gain; ws would otherwise queue every message through zlib, since with
 * context takeover it ignores its own threshold). Edges take RSV1 per frame (§8.6).
 */
const DEFLATE_MARGIN = 64;
const DEFLATE_MIN = 256;
/** A peer that does not echo our close frame is cut off after this. */
const CLOSE_GRACE_MS = 1000;

export interface Reply {
	code: number;
	reason?: string | null;
	content?: InfoTable | null;
}

export interface EdgeHandler {
	/** AUTH: true when the claims carry a configured application key. */
	authenticate(claims: Array<[string, string]>): boolean;
	/** A session id unused by any live connection; `previous` (0 = none) is given up (re-AUTH). */
	allocateSession(previous: number): number;
	bind(connection: EdgeConnection, message: BindMessage): Reply;
	/** Runs after the BIND response went out (NotifyPropertyUpdate, GetMetadata). */
	afterBind(connection: EdgeConnection, message: BindMessage): void;
	unbind(connection: EdgeConnection, message: BindMessage): Reply;
	request(connection: EdgeConnection, message: RequestMessage): Reply | Promise<Reply>;
	closed(connection: EdgeConnection): void;
}

export interface ConnectionConfig {
	authTimeoutMs: number;
	chunkSize: number;
	maxMessageSize: number;
	staleMs: number;
	/** Platform -> edge requests waiting for the edge's answer at once; one more is refused (EdgeError busy). */
	maxPendingRequests: number;
	/** Bytes waiting to be written to the edge; more means it is not reading: the connection is closed 1008. */
	maxBufferedBytes: number;
}

export class EdgeError extends Error {
	/** "timeout": no reply in time; "closed": the connection went away first; "send": could not be sent; "malformed": the reply did not decode; "busy": maxPendingRequests already wait. */
	readonly kind: "timeout" | "closed" | "send" | "malformed" | "busy";
	constructor(kind: "timeout" | "closed" | "send" | "malformed" | "busy", message: string) {
		super(message);
		this.kind = kind;
	}
	override get name(): string {
		return "EdgeError";
	}
}

interface Pending {
	resolve: (response: ResponseMessage) => void;
	reject: (error: Error) => void;
	timer: NodeJS.Timeout;
}

/** Header fields read straight from the bytes, for answering a message that does not decode. */
function peekHeader(bytes: Uint8Array): { code: number; requestId: number; endpointId: number } {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	return { code: bytes[1], requestId: view.getUint32(2), endpointId: view.getUint32(6) };
}

export class EdgeConnection {
	readonly id: number;
	readonly remote: string;
	readonly openedAt = Date.now();
	state: number = ConnectionState.AWAIT_AUTH;
	sessionId = 0;
	/** Things this connection has bound. */
	readonly things = new Set<string>();
	lastActivity = Date.now();
	readonly deflate: boolean;
	readonly chunkSize: number;
	readonly reassembler: Reassembler;
	#ws: WebSocket;
	#maxMessageSize: number;
	#maxPendingRequests: number;
	#maxBufferedBytes: number;
	#handler: EdgeHandler;
	#counters: Counters;
	#log: Logger;
	#frames: ProtocolLog;
	#pending = new Map<number, Pending>();
	#nextRequestId = 1001;
	#authTimer: NodeJS.Timeout | null;
	#closeTimer: NodeJS.Timeout | null = null;
	/** The request id last answered BAD_REQUEST: its twin is the C SDK's mis-split tail (§1.3, §15.12). */
	#rejectedRequestId = -1;
	/** The multipart set last refused, answered once. */
	#refusedMultipartId = -1;
	#wedge: WedgeMode = "none";
	/** Things whose requests go unanswered while the connection serves the others. */
	#silentThings = new Set<string>();

	constructor(id: number, ws: WebSocket, remote: string, maxFrameSize: number, config: ConnectionConfig, handler: EdgeHandler, counters: Counters, log: Logger, frames: ProtocolLog) {
		this.id = id;
		this.remote = remote;
		this.#ws = ws;
		this.#maxMessageSize = config.maxMessageSize;
		this.#maxPendingRequests = config.maxPendingRequests;
		this.#maxBufferedBytes = config.maxBufferedBytes;
		this.#handler = handler;
		this.#counters = counters;
		this.#log = log;
		this.#frames = frames;
		this.deflate = ws.extensions.includes("permessage-deflate");
		this.chunkSize = Math.min(config.chunkSize, maxFrameSize);
		this.reassembler = new Reassembler({ maxMessageSize: config.maxMessageSize, staleMs: config.staleMs });
		this.#authTimer = setTimeout(() => {
			this.#counters.authTimeouts++;
			this.close(1008, `no AUTH within ${config.authTimeoutMs} ms`);
		}, config.authTimeoutMs);
		ws.on("message", (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
		ws.on("ping", () => {
			this.lastActivity = Date.now();
			this.#counters.pings++;
		});
		ws.on("pong", () => (this.lastActivity = Date.now()));
		ws.on("error", (error: Error & { code?: string }) => {
			if (error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") this.#counters.oversizeFrames++;
			else this.#counters.socketErrors++;
			this.#log.warn(`connection ${this.id}: ${error.message}`);
		});
		ws.on("close", (code: number, reason: Buffer) => this.#onClose(code, reason.toString()));
	}

	get label(): string {
		return `connection ${this.id} (${this.remote}${this.things.size ? " " + [...this.things].join(",") : ""})`;
	}

	get pendingRequests(): number {
		return this.#pending.size;
	}

	get wedged(): WedgeMode {
		return this.#wedge;
	}

	/**
	 * Wedges the connection (`thing` null) or, for "silent", only the requests about `thing`; "none"
	 * serves again (a message left open stays open: the edge is expected to give the connection up).
	 */
	wedge(mode: WedgeMode, thing: string | null = null): void {
		if (thing !== null && mode !== "none" && mode !== "silent") throw new RangeError(`wedge mode ${mode} is for a whole connection, not one thing`);
		this.#log.warn(`${this.label}: wedged ${mode}${thing === null ? "" : " for " + thing}`);
		if (thing !== null) {
			if (mode === "none") this.#silentThings.delete(thing);
			else this.#silentThings.add(thing);
			return;
		}
		if (mode === "none") this.#silentThings.clear();
		if (this.state < ConnectionState.CLOSING && this.#wedge === "none" && (mode === "fragment" || mode === "chunk")) this.#leaveOpen(mode);
		this.#wedge = mode;
	}

	/** The start of a message that never ends: a WebSocket fragment (FIN clear), or chunk 1 of 2. */
	#leaveOpen(mode: "fragment" | "chunk"): void {
		const thing = this.things.values().next().value ?? "Wedge";
		const text = "x".repeat(this.chunkSize);
		const bytes = encodeMessageToBytes({
			kind: "request", version: 1, code: Code.POST, requestId: this.#nextRequestId++, endpointId: 0, sessionId: this.sessionId, entityType: 0x0a,
			entityName: thing, characteristicType: Characteristic.SERVICES, characteristicName: "Wedge", headers: [],
			params: { fields: [{ name: "text", description: "", baseType: "STRING", aspects: [] }], rows: [[{ type: "STRING", value: text }]] },
		});
		this.#counters.framesOut++;
		if (mode === "fragment") {
			this.#ws.send(bytes.subarray(0, HEADER_SIZE), { binary: true, fin: false, compress: false });
			return;
		}
		const chunk = new Uint8Array(this.chunkSize);
		this.#ws.send(chunk.subarray(0, encodeChunk(bytes, bytes.length, 1, this.chunkSize, chunk, 0)), { binary: true, compress: false });
	}

	onceClosed(callback: () => void): void {
		this.#ws.once("close", () => callback());
	}

	/** Closes with a WebSocket status and reason; further input is ignored. */
	close(code: number, reason: string): void {
		if (this.state >= ConnectionState.CLOSING) return;
		this.state = ConnectionState.CLOSING;
		this.#log.info(`${this.label}: closing ${code} ${reason}`);
		this.#clearAuthTimer();
		let text = reason;
		while (Buffer.byteLength(text) > 123) text = text.slice(0, -1);
		this.#ws.close(code, text);
		this.#closeTimer = setTimeout(() => this.#ws.terminate(), CLOSE_GRACE_MS);
	}

	/** Encodes and sends `message`, AlwaysOn-chunked when it is larger than one chunk. */
	send(message: Message): void {
		if (this.state >= ConnectionState.CLOSING || this.#ws.readyState !== this.#ws.OPEN) {
			this.#counters.sendsDropped++;
			throw new EdgeError("send", `${this.label} is closed`);
		}
		const bytes = encodeMessageToBytes(message);
		this.#frames.add(this.id, "out", bytes.length, message);
		const chunks = chunkCount(bytes, bytes.length, this.chunkSize);
		if (chunks === 1) {
			this.#sendFrame(bytes);
			return;
		}
		this.#counters.multipartSent++;
		for (let k = 1; k <= chunks; k++) {
			const chunk = new Uint8Array(this.chunkSize);
			this.#sendFrame(chunk.subarray(0, encodeChunk(bytes, bytes.length, k, this.chunkSize, chunk, 0)));
		}
	}

	#sendFrame(bytes: Uint8Array): void {
		if (this.#wedge !== "none") {
			this.#counters.wedgedDrops++;
			return;
		}
		if (this.state >= ConnectionState.CLOSING) {
			this.#counters.sendsDropped++;
			return;
		}
		if (this.#ws.bufferedAmount + bytes.length > this.#maxBufferedBytes) {
			this.#counters.outboxOverflows++;
			this.#counters.sendsDropped++;
			this.close(1008, `the edge is not reading: over ${this.#maxBufferedBytes} bytes wait for it`);
			return;
		}
		this.#counters.framesOut++;
		const compress = this.deflate && bytes.length >= DEFLATE_MIN && bytes.length <= this.chunkSize - DEFLATE_MARGIN;
		this.#ws.send(bytes, { binary: true, compress });
	}

	/** Platform -> edge request; resolves with the edge's response (any status), rejects with an EdgeError. */
	request(code: number, thing: string, characteristic: number, name: string, params: InfoTable | null, timeoutMs: number): Promise<ResponseMessage> {
		const requestId = this.#nextRequestId;
		this.#nextRequestId = this.#nextRequestId >= 0xffffffff ? 1 : this.#nextRequestId + 1;
		const what = `${codeName(code)} ${thing}/${name} #${requestId}`;
		if (this.#pending.size >= this.#maxPendingRequests) {
			this.#counters.requestsRefusedBusy++;
			return Promise.reject(new EdgeError("busy", `${what}: ${this.#pending.size} requests already wait for ${this.label} (maxPendingRequests ${this.#maxPendingRequests})`));
		}
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.#pending.delete(requestId);
				this.#counters.requestTimeouts++;
				this.#log.warn(`${this.label}: ${what}: no reply within ${timeoutMs} ms`);
				reject(new EdgeError("timeout", `${what}: no reply from the edge within ${timeoutMs} ms`));
			}, timeoutMs);
			this.#pending.set(requestId, { resolve, reject, timer });
			try {
				this.#counters.requestsToEdge++;
				this.send({
					kind: "request", version: 1, code, requestId, endpointId: 0, sessionId: this.sessionId,
					entityType: 0x0a, entityName: thing, characteristicType: characteristic, characteristicName: name, headers: [], params,
				});
			} catch (error) {
				clearTimeout(timer);
				this.#pending.delete(requestId);
				reject(error instanceof EdgeError ? error : new EdgeError("send", `${what}: ${(error as Error).message}`));
			}
		});
	}

	#reply(to: { requestId: number; endpointId: number }, reply: Reply, sessionId = this.sessionId): void {
		if (this.state >= ConnectionState.CLOSING) {
			this.#counters.sendsDropped++;
			return;
		}
		const response = (code: number, reason: string | null, content: InfoTable | null): Message => ({
			kind: "response", version: 1, code, requestId: to.requestId, endpointId: to.endpointId, sessionId,
			reason, content, contentType: content ? 5 : 0xff, trailing: 0,
		});
		try {
			this.send(response(reply.code, reply.reason ?? null, reply.content ?? null));
		} catch (error) {
			this.#counters.internalErrors++;
			this.#log.error(`${this.label}: could not send ${codeName(reply.code)} #${to.requestId}: ${(error as Error).message}`);
			if (reply.code !== Code.INTERNAL_SERVER_ERROR && !(error instanceof EdgeError)) {
				this.send(response(Code.INTERNAL_SERVER_ERROR, "the reply could not be encoded", null));
			}
		}
	}

	#onMessage(data: Buffer, isBinary: boolean): void {
		this.lastActivity = Date.now();
		this.#counters.framesIn++;
		if (this.state >= ConnectionState.CLOSING) {
			this.#counters.ignoredAfterClose++;
			return;
		}
		if (this.#wedge !== "none") {
			this.#counters.wedgedDrops++;
			return;
		}
		if (!isBinary) {
			this.#counters.textFrames++;
			this.close(1003, "AlwaysOn messages are binary frames");
			return;
		}
		try {
			this.#receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), false);
		} catch (error) {
			this.#counters.internalErrors++;
			this.#log.error(`${this.label}: ${(error as Error)?.stack ?? error}`);
			this.close(1011, "internal error");
		}
	}

	#receive(bytes: Uint8Array, reassembled: boolean): void {
		if (bytes.length < HEADER_SIZE) {
			this.#counters.unreadableHeaders++;
			this.#frames.add(this.id, "in", bytes.length, null, `unreadable: ${bytes.length} bytes, shorter than the 15-byte header`);
			this.close(1002, `message of ${bytes.length} bytes is shorter than the 15-byte AlwaysOn header`);
			return;
		}
		let message: Message | ChunkMessage;
		try {
			message = decodeMessage(bytes);
		} catch (error) {
			if (!(error instanceof DecodeError)) throw error;
			this.#malformed(bytes, error);
			return;
		}
		this.#frames.add(this.id, "in", bytes.length, message, reassembled ? `reassembled ${describe(message)}` : undefined);
		if (this.state === ConnectionState.AWAIT_AUTH && message.kind !== "auth") {
			this.#counters.beforeAuth++;
			this.close(1008, `${codeName(message.code)} before AUTH: authenticate first`);
			return;
		}
		switch (message.kind) {
			case "auth":
				this.#auth(message.requestId, message.endpointId, message.claims);
				return;
			case "bind":
				this.#bind(message);
				return;
			case "unbind":
				this.#reply(message, this.#handler.unbind(this, message));
				return;
			case "keepalive":
				this.#counters.keepAlives++;
				return;
			case "request":
				this.#request(message);
				return;
			case "response":
				this.#response(message);
				return;
			case "chunk":
				this.#chunk(message);
		}
	}

	/** A message whose header reads but whose body does not decode. */
	#malformed(bytes: Uint8Array, error: DecodeError): void {
		const head = peekHeader(bytes);
		const name = codeName(head.code);
		this.#frames.add(this.id, "in", bytes.length, null, `malformed ${name} #${head.requestId}: ${error.message}`);
		if (this.state === ConnectionState.AWAIT_AUTH) {
			this.#counters.beforeAuth++;
			this.close(1008, `malformed ${name} before AUTH: ${error.reason}`);
			return;
		}
		if (messageKind(head.code) === undefined) {
			this.#counters.unknownCodes++;
			this.#log.warn(`${this.label}: unknown message code 0x${head.code.toString(16)} #${head.requestId}: BAD_REQUEST`);
			this.#reply(head, { code: Code.BAD_REQUEST, reason: `unknown message code 0x${head.code.toString(16)}` });
			return;
		}
		if (isResponseCode(head.code)) {
			this.#counters.malformedResponses++;
			this.#log.warn(`${this.label}: malformed ${name} response #${head.requestId}: ${error.message}`);
			const pending = this.#pending.get(head.requestId);
			if (pending) {
				this.#settle(head.requestId, pending);
				pending.reject(new EdgeError("malformed", `malformed response from the edge: ${error.message}`));
			}
			return;
		}
		if (head.requestId === this.#rejectedRequestId) {
			this.#counters.splitBugTails++;
			this.#log.warn(`${this.label}: ignored unparsable second message #${head.requestId} (the C SDK's split near the chunk limit, docs/protocol.md §1.3)`);
			return;
		}
		this.#rejectedRequestId = head.requestId;
		this.#counters.malformedMessages++;
		this.#log.warn(`${this.label}: malformed ${name} #${head.requestId}: ${error.message}: BAD_REQUEST`);
		this.#reply(head, { code: Code.BAD_REQUEST, reason: `malformed message: ${error.message}` });
	}

	#auth(requestId: number, endpointId: number, claims: Array<[string, string]>): void {
		if (!this.#handler.authenticate(claims)) {
			this.#counters.authFailures++;
			this.#log.warn(`${this.label}: AUTH rejected (claims: ${claims.map(([name]) => name).join(", ") || "none"})`);
			this.#reply({ requestId, endpointId }, { code: Code.UNAUTHORIZED, reason: "authentication failed" }, 0);
			this.close(1008, "authentication failed");
			return;
		}
		this.#clearAuthTimer();
		this.sessionId = this.#handler.allocateSession(this.sessionId);
		this.state = ConnectionState.OPEN;
		this.#log.info(`${this.label}: authenticated, session 0x${this.sessionId.toString(16)}`);
		this.#reply({ requestId, endpointId }, { code: Code.SUCCESS });
	}

	#bind(message: BindMessage): void {
		const reply = this.#handler.bind(this, message);
		this.#reply(message, reply);
		this.#handler.afterBind(this, message);
	}

	#request(message: RequestMessage): void {
		this.#counters.requestsFromEdge++;
		if (this.#silentThings.has(message.entityName)) {
			this.#counters.wedgedDrops++;
			return;
		}
		let result: Reply | Promise<Reply>;
		try {
			result = this.#handler.request(this, message);
		} catch (error) {
			result = this.#internalError(message, error);
		}
		if (result instanceof Promise) {
			result.then(
				(reply) => this.#reply(message, reply),
				(error) => this.#reply(message, this.#internalError(message, error)),
			);
		} else {
			this.#reply(message, result);
		}
	}

	#internalError(message: RequestMessage, error: unknown): Reply {
		this.#counters.internalErrors++;
		this.#log.error(`${this.label}: ${codeName(message.code)} ${message.entityName}/${message.characteristicName} failed: ${(error as Error)?.stack ?? error}`);
		return { code: Code.INTERNAL_SERVER_ERROR, reason: "internal error" };
	}

	#response(message: ResponseMessage): void {
		if (message.trailing > 0) this.#counters.trailingBytesTolerated++;
		const pending = this.#pending.get(message.requestId);
		if (!pending) {
			this.#counters.unmatchedResponses++;
			this.#log.debug(`${this.label}: ${codeName(message.code)} #${message.requestId} matches no request (late or unknown)`);
			return;
		}
		this.#settle(message.requestId, pending);
		pending.resolve(message);
	}

	#settle(requestId: number, pending: Pending): void {
		clearTimeout(pending.timer);
		this.#pending.delete(requestId);
	}

	#chunk(chunk: ChunkMessage): void {
		const r = this.reassembler;
		const before = r.droppedOversize + r.droppedInvalid + r.droppedDuplicate + r.droppedTooMany + r.droppedNoRoom;
		const oversize = r.droppedOversize;
		const busy = r.droppedTooMany + r.droppedNoRoom;
		const whole = r.add(chunk, Date.now());
		this.#counters.chunksIn++;
		if (whole) {
			this.#counters.multipartReassembled++;
			this.#receive(whole, true);
			return;
		}
		if (r.droppedOversize + r.droppedInvalid + r.droppedDuplicate + r.droppedTooMany + r.droppedNoRoom === before) return;
		const why = r.droppedOversize > oversize ? "set too large" : r.droppedTooMany + r.droppedNoRoom > busy ? "too many sets under way" : "invalid or duplicate";
		this.#log.warn(`${this.label}: dropped chunk ${chunk.chunkId}/${chunk.chunkCount} of #${chunk.requestId} (${why})`);
		if (!isRequestCode(chunk.code) || this.#refusedMultipartId === chunk.requestId) return;
		this.#refusedMultipartId = chunk.requestId;
		if (r.droppedOversize > oversize) {
			this.#reply(chunk, { code: Code.ENTITY_TOO_LARGE, reason: `multipart message larger than ${this.#maxMessageSize} bytes` });
		} else if (r.droppedTooMany + r.droppedNoRoom > busy) {
			this.#reply(chunk, { code: Code.SERVICE_UNAVAILABLE, reason: "too many multipart messages under way" });
		} else {
			this.#reply(chunk, { code: Code.BAD_REQUEST, reason: `invalid chunk ${chunk.chunkId}/${chunk.chunkCount}` });
		}
	}

	#clearAuthTimer(): void {
		if (this.#authTimer) clearTimeout(this.#authTimer);
		this.#authTimer = null;
	}

	#onClose(code: number, reason: string): void {
		if (this.state === ConnectionState.CLOSED) return;
		this.state = ConnectionState.CLOSED;
		this.#clearAuthTimer();
		if (this.#closeTimer) clearTimeout(this.#closeTimer);
		for (const [requestId, pending] of this.#pending) {
			this.#settle(requestId, pending);
			pending.reject(new EdgeError("closed", `${this.label} closed (${code}${reason ? " " + reason : ""}) before the edge answered`));
		}
		this.#log.info(`${this.label}: closed ${code}${reason ? " " + reason : ""}`);
		this.#handler.closed(this);
	}
}
