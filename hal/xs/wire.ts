/*
 * The byte protocol between hal/xs/device.ts (in XS) and hal/xs/bridge.ts (in Node).
 *
 * XS -> Node, through the synchronous `issueCommand(ArrayBuffer)`:
 *   [op u8][id u16][length u32][payload: length bytes][unused rest of a fixed scratch buffer]
 * Node -> XS, through `handleCommand(ArrayBuffer)` in its own crank:
 *   [op u8][id u16][payload: the rest of the buffer]
 * Integers are big-endian. Data bytes travel raw (no JSON in steady state); only HELLO's answer and
 * CONNECT's options, once per run or connection, are JSON text.
 */

/** XS -> Node requests. */
export const Request = Object.freeze({
	/** Answer: JSON {seed: [4 x uint32], now: ms since epoch, window: TX bytes, store: {key: value}}. */
	HELLO: 1,
	/** Payload: JSON {host, port, tls}. Answer empty; the result comes as Event.CONNECT or Event.CLOSE. */
	CONNECT: 2,
	/** Payload: bytes to send. The device side never exceeds the window, so Node takes them all. */
	WRITE: 3,
	/** Ends the connection after pending writes; Event.CLOSE follows. */
	CLOSE: 4,
	/** id: level index in LOG_LEVELS; payload: UTF-8 message. */
	LOG: 5,
	/** A test harness's own traffic (not part of the HAL): id is the harness's tag; answer: its reply bytes. */
	CHANNEL: 6,
	/** id: a listener's (same space as sockets'); payload: JSON {host, port, tls?}. Event.LISTENING or Event.CLOSE follows. */
	LISTEN: 7,
	/** Stops a listener; Event.CLOSE follows. */
	UNLISTEN: 8,
});

/** Socket ids the device makes (CONNECT, LISTEN) are below this; ids of accepted sockets, made by Node, from it up. */
export const ACCEPTED_ID_BASE = 0x8000;

/** Node -> XS events. */
export const Event = Object.freeze({
	CONNECT: 1,
	/** Payload: received bytes. */
	DATA: 2,
	/** Payload: uint32 bytes of the window Node has flushed to the kernel. */
	WRITABLE: 3,
	/** Payload: UTF-8 error message, empty for an orderly close. Last event of a socket. */
	CLOSE: 4,
	/** id 0; payload: uint32 milliseconds to advance the virtual clock by, firing due timers. */
	ADVANCE: 5,
	/** id: the listener's; payload: uint16 bound port. */
	LISTENING: 6,
	/** id: the listener's; payload: uint16 id of the accepted socket (from ACCEPTED_ID_BASE), then its remote address (UTF-8). */
	ACCEPT: 7,
});

export const REQUEST_HEADER = 7;
export const EVENT_HEADER = 3;

export const LOG_LEVELS = Object.freeze(["trace", "debug", "info", "warn", "error"] as const);
