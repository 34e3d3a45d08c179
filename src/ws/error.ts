/** What went wrong; `code` is the close code that goes with it (1006 when no close frame was exchanged). */
export type WebSocketErrorKind =
	| "handshake-status" // the upgrade was answered with something other than 101
	| "handshake-header" // Upgrade/Connection missing or wrong, unrequested extension, header block too big
	| "handshake-accept" // Sec-WebSocket-Accept missing the right value
	| "protocol" // the peer broke RFC 6455 framing (1002)
	| "too-big" // a frame or message over the limits (1009), or send() of more than fits
	| "bad-utf8" // text that is not UTF-8 (1007)
	| "timeout" // no upgrade in time, no close answer in time, or a message left unfinished (messageTimeoutMs)
	| "pong-timeout" // our ping went unanswered
	| "socket" // the connection failed or dropped without a close handshake
	| "state" // a call the current state does not allow (send before open or after close)
	| "usage"; // a bad argument (close code, reason length, offset/length, header text)

export class WebSocketError extends Error {
	readonly kind: WebSocketErrorKind;
	readonly code: number;
	constructor(kind: WebSocketErrorKind, message: string, code: number = ABNORMAL) {
		super(message);
		this.kind = kind;
		this.code = code;
	}
	override get name(): string {
		return "WebSocketError";
	}
}

// RFC 6455 §7.4.1 status codes, as plain constants so that a bundler inlines them.
export const NORMAL = 1000;
export const GOING_AWAY = 1001;
export const PROTOCOL_ERROR = 1002;
export const UNSUPPORTED_DATA = 1003;
export const NO_STATUS = 1005; // never on the wire: the close frame had no code
export const ABNORMAL = 1006; // never on the wire: no close frame at all
export const INVALID_DATA = 1007;
export const POLICY_VIOLATION = 1008;
export const TOO_BIG = 1009;
export const MANDATORY_EXTENSION = 1010;
export const INTERNAL_ERROR = 1011;

export const CloseCode = Object.freeze({ NORMAL, GOING_AWAY, PROTOCOL_ERROR, UNSUPPORTED_DATA, NO_STATUS, ABNORMAL, INVALID_DATA, POLICY_VIOLATION, TOO_BIG, MANDATORY_EXTENSION, INTERNAL_ERROR });

/** Outgoing text that is not UTF-8; `what` names the call (only evaluated on failure: XS allocates a literal each time). */
export function notUtf8(what: string): WebSocketError {
	return new WebSocketError("bad-utf8", what + ": text message is not valid UTF-8", INVALID_DATA);
}

/** Codes an endpoint may put in a close frame (§7.4.1, 7.4.2; 1012-1014 registered with IANA since). */
export function isValidCloseCode(code: number): boolean {
	return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}
