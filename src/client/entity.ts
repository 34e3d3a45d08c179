/*
 * The seam between the client and what it binds (docs/protocol.md §7.1-7.4). The client knows a bound
 * entity only through these interfaces, never through src/thing: a virtual thing declared by an
 * application (src/thing's Thing) and a thing a gateway registers at run time both bind the same way.
 *
 * An entity gives the client: its name (text and encoded bytes: the entity address of every message
 * about it), its pushed properties (the push rules read them when they change; the platform's
 * subscriptions rewrite their push settings), an answer to each platform request addressed to it
 * (read in place from the received bytes), and a place to keep the link through which it reports
 * changes, events and NotifyPropertyUpdate. Nothing else: metadata, services and value checks are
 * the entity's business.
 */
import type { ByteWriter, ParamsReader, RequestHead } from "../protocol";
import type { InfoTable, TypedValue } from "../protocol/model";
import type { RequestOptions } from "./requestqueue";

/** Push type names by the C SDK's numbers (twSubscribedProps.c:21-26); the index is the code. */
export const PUSH_TYPES: readonly string[] = Object.freeze(["ALWAYS", "NEVER", "VALUE", "ON", "OFF", "DEADBAND"]);
/** Push type codes: indexes into PUSH_TYPES (plain constants: a bundle inlines them). */
export const PUSH_ALWAYS = 0;
export const PUSH_NEVER = 1;
export const PUSH_VALUE = 2;
export const PUSH_ON = 3;
export const PUSH_OFF = 4;
export const PUSH_DEADBAND = 5;

/** Sets `target`'s push code and threshold from the platform's push type name; false for a name it does not know. */
export function applyPushType(target: { pushCode: number; pushThreshold: number }, pushType: string, threshold: number): boolean {
	const code = PUSH_TYPES.indexOf(pushType);
	if (code < 0) return false;
	target.pushCode = code;
	target.pushThreshold = threshold;
	return true;
}

/** A table a reply writes straight into the TX buffer, e.g. a GET's one-row property table. */
export interface TableWriter {
	writeTable(w: ByteWriter): void;
}

/**
 * What a platform request is answered with: a code, a reason, and a table (`content`), or for a GET
 * the property whose one-row table (`property.writeTable`) is the answer.
 */
export interface Reply {
	code: number;
	reason: string | null;
	content: InfoTable | null;
	property: TableWriter | null;
}

/**
 * A property as the push path reads it when it changes (src/thing's Property is one). The value,
 * time and quality are read in place, never copied until they are encoded into the offline queue.
 */
export interface PushedProperty {
	readonly name: string;
	/** The name as encodeName makes it (length prefix included), copied into every row. */
	readonly nameBytes: Uint8Array;
	/** Its position in its entity's `properties`: it indexes the client's per-property push state. */
	readonly index: number;
	/** KIND_* of its base type (src/protocol/kinds.ts): how its values are compared. */
	readonly kind: number;
	/** Folded: only the latest value waits to be pushed, never a row per change. */
	readonly fold: boolean;
	/** PUSH_* code and threshold; the platform's subscriptions (applySubscription) may replace them. */
	readonly pushCode: number;
	readonly pushThreshold: number;
	readonly value: TypedValue;
	/** Milliseconds since the epoch. */
	readonly time: number;
	readonly quality: string;
	/** The quality as encodeName makes it. */
	readonly qualityBytes: Uint8Array;
	/** The platform's push type (a PUSH_TYPES name) and threshold for this property; false for a name it does not know. */
	applySubscription(pushType: string, threshold: number): boolean;
}

/** Where a bound entity reports to its client (the EdgeClient is the link). */
export interface EntityLink {
	/** The wall clock values are stamped with. */
	now(): number;
	/** One of the entity's properties has a new value, time or quality: the push rules decide. */
	propertyChanged(entity: BoundEntity, property: PushedProperty): void;
	/** The platform POSTed NotifyPropertyUpdate to the entity: it is synchronized again once the reply is out. */
	propertyUpdateNotified(entity: BoundEntity): void;
	/** POSTs an event of `entityName` (characteristic EVENTS, docs/protocol.md §7.3); queued while offline unless `options` say otherwise. */
	fireEvent(entityName: string, eventName: string, data: InfoTable, options?: RequestOptions): Promise<void>;
}

/** What the client binds: one per BIND name. */
export interface BoundEntity {
	readonly name: string;
	/** The name as encodeName makes it: compared with each request's entity address, written into each push. */
	readonly nameBytes: Uint8Array;
	/**
	 * The properties the platform may subscribe to, `properties[i].index === i`. An entity may add
	 * properties while bound (append only); it bounds how many itself.
	 */
	readonly properties: readonly PushedProperty[];
	/**
	 * Answers a platform request addressed to this entity: `head` is readRequestHead's view of
	 * `bytes`, `params` their params, opened (checked whole) on them; the bytes are valid only during
	 * the call. A value that cannot be decoded is a DecodeError (answered BAD_REQUEST). A reply may
	 * come later (a Promise); a reply's `property` is written before the next request is read.
	 */
	answer(bytes: Uint8Array, head: RequestHead, params: ParamsReader): Reply | Promise<Reply>;
	/** The client attaches itself while the entity is registered with it, and detaches (null) when it is removed. */
	attach(link: EntityLink | null): void;
	/** Optional: the platform's answer to a BIND that named the entity (SUCCESS, or the code it refused it with). */
	bindAnswered?(code: number, reason: string | null): void;
}
