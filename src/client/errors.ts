/*
 * The error a request ends with when the answer is not SUCCESS: the platform's response code by name
 * (docs/protocol.md §2), or a local code for what never got an answer (GATEWAY_TIMEOUT on timeout,
 * SERVICE_UNAVAILABLE when offline), as the C SDK reports them. Service handlers throw it to choose
 * their answer. Messages never carry an application key.
 */
import { codeName } from "../protocol";

export class RequestError extends Error {
	/** The response code (e.g. 0x84). */
	readonly code: number;
	/** Its name (e.g. "NOT_FOUND"). */
	readonly codeName: string;
	/** The platform's reason, or what happened locally; may be empty. */
	readonly reason: string;
	constructor(code: number, reason = "") {
		const name = codeName(code);
		super(reason ? name + ": " + reason : name);
		this.code = code;
		this.codeName = name;
		this.reason = reason;
	}
	override get name() {
		return "RequestError";
	}
}

/**
 * A connection the client gave up on, or a recovery it made: `kind` is the onRecovery kind
 * (recovery.ts), e.g. "outbox-full", the peer stopped reading while the client had answers to send
 * (the outbound queue reached its bound); `thingName` the thing concerned, null for the connection.
 */
export class ConnectionError extends Error {
	readonly kind: string;
	readonly thingName: string | null;
	constructor(kind: string, message: string, thingName: string | null = null) {
		super(message);
		this.kind = kind;
		this.thingName = thingName;
	}
	override get name() {
		return "ConnectionError";
	}
}
