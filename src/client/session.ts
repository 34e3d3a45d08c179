/*
 * What the client's parts (bindings.ts, pusher.ts, responder.ts) call back into: the connection of
 * the moment, request ids, failures and the application's callbacks. The EdgeClient is the session;
 * a part holds it as this interface, never as the class.
 */
import type { EdgeMessage } from "../protocol/model";
import type { Transport } from "./config";
import type { Reply } from "./entity";
import type { ClientStats } from "./stats";

/** "No deadline": later than any (deadlines are monotonic ticks; comparing with it allocates nothing). */
export const NEVER = Infinity;

export interface Session {
	readonly stats: ClientStats;
	/** The session id the platform assigned at the last AUTH. */
	readonly sessionId: number;
	/** Counts connections: a reply made for an older one is late. */
	readonly generation: number;
	readonly onBound: ((thingName: string) => void) | null;
	readonly onUnbound: ((thingName: string) => void) | null;
	readonly onSynchronized: ((thingName: string) => void) | null;
	readonly onPush: ((thingName: string, rows: number, bytes: number) => void) | null;
	readonly onDropped: ((thingName: string, rows: number, totalDropped: number) => void) | null;
	/** The transport while bound and not closing (pushes and requests may go out), else null. */
	ready(): Transport | null;
	/** The next request id (1..2^32-1, wrapping). */
	nextId(): number;
	/** Sends a message, or a response (`reply` to request `requestId`), while the connection lasts. */
	send(msg: EdgeMessage | null, reply?: Reply | null, requestId?: number, endpointId?: number): void;
	/** A failure that throws nowhere else: logged, and handed to onError. */
	report(error: unknown): void;
}
