/*
 * The bound set and its synchronization (docs/protocol.md §7.1 steps 5-9): the entities one BIND names,
 * each with its subscribed property manager (push rules and offline queue, subscribed.ts); on each
 * NotifyPropertyUpdate an entity asks GetPropertySubscriptions and applies the platform's push types
 * before anything of it is pushed; a failed synchronization is retried after pushRetryMs.
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import type { Hal } from "../../hal/hal";
import { bytesEqual, type RequestHead } from "../protocol";
import { POST, SERVICES, SUCCESS, THING } from "../protocol/codes";
import type { BindMessage, InfoTable, RequestMessage, ResponseMessage } from "../protocol/model";
import type { Settings } from "./config";
import type { BoundEntity } from "./entity";
import { RequestError } from "./errors";
import { FOR_SYNC, type PendingTable } from "./pending";
import { column } from "./requests";
import { NEVER, type Session } from "./session";
import type { SubscribedProperties } from "./subscribed";

const GET_PROPERTY_SUBSCRIPTIONS = "GetPropertySubscriptions";
const HAS_DEADBAND = '{"hasDeadband":true}';

export class Bindings {
	/** What one BIND names, in order. */
	readonly entities: BoundEntity[] = [];
	/** Each entity's subscribed property manager, at the same index. */
	readonly managers: SubscribedProperties[] = [];
	/** The last BIND was answered SUCCESS on this connection. */
	bound = false;
	/** The earliest synchronization retry (ticks), NEVER when none waits. */
	syncAt = NEVER;
	#hal: Hal;
	#s: Settings;
	#pending: PendingTable;
	#session: Session;
	#gateway: { name: string; type: string } | null;

	constructor(hal: Hal, s: Settings, pending: PendingTable, session: Session, gateway: { name: string; type: string } | null) {
		this.#hal = hal;
		this.#s = s;
		this.#pending = pending;
		this.#session = session;
		this.#gateway = gateway;
	}

	add(entity: BoundEntity, manager: SubscribedProperties): void {
		this.entities.push(entity);
		this.managers.push(manager);
	}

	/** The index of the entity named `name`, or -1. */
	index(name: string): number {
		const entities = this.entities;
		for (let i = 0; i < entities.length; i++) if (entities[i].name === name) return i;
		return -1;
	}

	indexOf(entity: BoundEntity): number {
		return this.entities.indexOf(entity);
	}

	/** The index of the entity a request addresses (its name's bytes), or -1. */
	at(bytes: Uint8Array, head: RequestHead): number {
		const entities = this.entities;
		for (let i = 0; i < entities.length; i++) if (bytesEqual(bytes, head.entityNameOffset, head.entityNameLength, entities[i].nameBytes)) return i;
		return -1;
	}

	/** BIND (or UNBIND) of every entity, with the gateway when one is configured. */
	bindMessage(code: number, requestId: number, sessionId: number, kind: "bind" | "unbind"): BindMessage {
		const names: string[] = [];
		for (const entity of this.entities) names.push(entity.name);
		return { kind, version: 1, code, requestId, endpointId: 0, sessionId, gateway: this.#gateway, names };
	}

	/** The BIND was answered SUCCESS. */
	boundAll(): void {
		this.bound = true;
		this.#hal.log("info", "bound " + this.entities.length + " thing(s)");
		const onBound = this.#session.onBound;
		if (onBound !== null) for (let i = 0; i < this.entities.length; i++) onBound(this.entities[i].name);
	}

	/** The connection is gone: nothing is bound or synchronized any more. */
	lost(): void {
		const onUnbound = this.#session.onUnbound;
		for (let i = 0; i < this.entities.length; i++) {
			const m = this.managers[i];
			m.synchronized = false;
			m.syncWanted = false;
			if (this.bound && onUnbound !== null) onUnbound(this.entities[i].name);
		}
		this.bound = false;
		this.syncAt = NEVER;
	}

	/** The platform POSTed NotifyPropertyUpdate to entity `index`: synchronize it now (startSyncs). */
	wantSync(index: number): void {
		const m = this.managers[index];
		m.syncWanted = true;
		m.syncRetryAt = 0;
		this.syncAt = 0;
	}

	/** Sends GetPropertySubscriptions for every entity that wants it and is due, while bound (BIND's answer calls it again). */
	startSyncs(): void {
		if (this.#session.ready() === null) {
			this.syncAt = NEVER;
			return;
		}
		const now = this.#hal.ticks();
		let next = NEVER;
		for (let i = 0; i < this.entities.length; i++) {
			const m = this.managers[i];
			if (!m.syncWanted) continue;
			if (now < m.syncRetryAt || this.#pending.findKind(FOR_SYNC, i) >= 0) {
				if (m.syncRetryAt < next) next = m.syncRetryAt;
				continue;
			}
			const id = this.#session.nextId();
			if (this.#pending.add(FOR_SYNC, id, now + this.#s.requestTimeoutMs, i, null, null) < 0) {
				// every slot busy: try again once one may have freed
				if (now + this.#s.pushRetryMs < next) next = now + this.#s.pushRetryMs;
				continue;
			}
			m.syncWanted = false;
			this.#session.send(subscriptionsRequest(id, this.#session.sessionId, this.entities[i].name));
		}
		this.syncAt = next;
	}

	/**
	 * The answer to entity `index`'s GetPropertySubscriptions: its push types applied, it is
	 * synchronized (true), or the synchronization waits for its retry (false).
	 */
	subscribed(index: number, response: ResponseMessage): boolean {
		const entity = this.entities[index];
		if (response.code !== SUCCESS) {
			this.syncFailed(index, new RequestError(response.code, GET_PROPERTY_SUBSCRIPTIONS + " of " + entity.name + " refused" + (response.reason ? " (" + response.reason + ")" : "")));
			return false;
		}
		const table = response.content;
		if (table !== null) {
			const name = column(table, "edgeName");
			const type = column(table, "pushType");
			const threshold = column(table, "pushThreshold");
			for (const row of table.rows) {
				const edgeName = name >= 0 ? row[name] : undefined;
				const p = edgeName && typeof edgeName.value === "string" ? find(entity, edgeName.value) : null;
				if (p === null || type < 0) continue;
				const t = row[type];
				const v = threshold >= 0 ? row[threshold] : undefined;
				const limit = v && typeof v.value === "number" ? v.value : 0;
				if (!t || typeof t.value !== "string" || !p.applySubscription(t.value, limit)) {
					this.#hal.log("warn", entity.name + "." + p.name + ": ignored push type " + (t ? String(t.value) : "(none)"));
				}
			}
		}
		this.managers[index].synchronized = true;
		this.#hal.log("info", entity.name + " synchronized");
		const onSynchronized = this.#session.onSynchronized;
		if (onSynchronized !== null) onSynchronized(entity.name);
		return true;
	}

	/** Entity `index`'s synchronization failed (refused, or no answer): retried after pushRetryMs. */
	syncFailed(index: number, error: RequestError): void {
		const m = this.managers[index];
		m.syncWanted = true;
		m.syncRetryAt = this.#hal.ticks() + this.#s.pushRetryMs;
		if (m.syncRetryAt < this.syncAt) this.syncAt = m.syncRetryAt;
		this.#session.report(error);
	}
}

/** GetPropertySubscriptions as the C SDK sends it (options {"hasDeadband":true}). */
function subscriptionsRequest(requestId: number, sessionId: number, entityName: string): RequestMessage {
	const params: InfoTable = { fields: [{ name: "options", description: "", baseType: "JSON", aspects: [] }], rows: [[{ type: "JSON", value: HAS_DEADBAND }]] };
	return {
		kind: "request", version: 1, code: POST, requestId, endpointId: 0, sessionId, entityType: THING,
		entityName, characteristicType: SERVICES, characteristicName: GET_PROPERTY_SUBSCRIPTIONS, headers: [], params,
	};
}

function find(entity: BoundEntity, name: string) {
	const properties = entity.properties;
	for (let i = 0; i < properties.length; i++) if (properties[i].name === name) return properties[i];
	return null;
}
