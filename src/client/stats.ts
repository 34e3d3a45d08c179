/* The client's counters: what it sent, received, pushed, dropped and missed since construction. */

/** Counters since construction; read them, never write them. */
export interface ClientStats {
	/** AlwaysOn messages (chunks count one each) and their bytes, without WebSocket framing. */
	messagesSent: number;
	bytesSent: number;
	messagesReceived: number;
	bytesReceived: number;
	/** UpdateSubscribedPropertyValues sent / answered SUCCESS, rows in the answered ones. */
	pushes: number;
	pushesAcknowledged: number;
	rowsAcknowledged: number;
	/** Pushes answered with an error or not at all (their rows stayed queued). */
	pushFailures: number;
	/** Rows dropped from full queues (never one the platform may have stored: ring.ts), and changes refused as too big for any message. */
	rowsDropped: number;
	rowsRefused: number;
	/** Queued requests dropped from the full request queue, and requests refused (full, or too big for it). */
	requestsDropped: number;
	requestsRefused: number;
	/** The journal (when persisted): flash writes, bytes written, sectors erased; rows and requests restored at start. */
	journalWrites: number;
	journalBytes: number;
	journalErases: number;
	rowsRestored: number;
	/** Requests of any kind that got no answer in time. */
	timeouts: number;
	/** BIND messages sent: the one after each AUTH, and those of things registered or bound again while connected. */
	binds: number;
	/** Connection attempts after the first. */
	reconnects: number;
	/**
	 * Losses detected on a connection that looked alive, each followed by a reconnect (recovery.ts):
	 * maxConsecutiveTimeouts requests unanswered in a row, an incoming message left unfinished, the peer not reading.
	 */
	lostUnanswered: number;
	lostStaleMessage: number;
	lostOutboxFull: number;
	/** Pushes answered FORBIDDEN/NOT_FOUND for a thing this connection bound: the thing was bound again. */
	bindingsLost: number;
	/** Received messages that could not be decoded, answers nobody waited for, replies for a closed connection. */
	decodeErrors: number;
	/** Chunks of multipart messages dropped because no `reassembly` was configured. */
	chunksRefused: number;
	/** Messages over chunkSize (a platform that ignored Max-Frame-Size), skipped by the transport: a request among them answered ENTITY_TOO_LARGE. */
	messagesRefused: number;
	unmatchedResponses: number;
	lateReplies: number;
}

export function newStats(): ClientStats {
	return {
		messagesSent: 0, bytesSent: 0, messagesReceived: 0, bytesReceived: 0, pushes: 0, pushesAcknowledged: 0,
		rowsAcknowledged: 0, pushFailures: 0, rowsDropped: 0, rowsRefused: 0, requestsDropped: 0, requestsRefused: 0, journalWrites: 0, journalBytes: 0, journalErases: 0, rowsRestored: 0, timeouts: 0, binds: 0, reconnects: 0,
		lostUnanswered: 0, lostStaleMessage: 0, lostOutboxFull: 0, bindingsLost: 0,
		decodeErrors: 0, chunksRefused: 0, messagesRefused: 0, unmatchedResponses: 0, lateReplies: 0,
	};
}
