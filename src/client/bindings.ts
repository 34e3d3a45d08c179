/*
 * The registered set, its BINDs and its synchronization (docs/protocol.md §4.2, §7.1 steps 5-9): the
 * entities by slot (at most maxThings), each with its subscribed property manager (push rules and
 * offline queue, subscribed.ts) and binding state. The BIND after AUTH names every registered entity;
 * one registered on a live connection (or to be bound again) waits for the next startBinds, which names
 * every such entity in one BIND; one removed gets an UNBIND of its own. On each
 * NotifyPropertyUpdate an entity asks GetPropertySubscriptions and applies the platform's push types
 * before anything of it is pushed; a failed synchronization is retried after pushRetryMs.
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import type { Hal } from "../../hal/hal";
import { bytesEqual, type RequestHead } from "../protocol";
import { BIND, POST, SERVICES, SUCCESS, THING, UNBIND } from "../protocol/codes";
import type { BindMessage, InfoTable, RequestMessage, ResponseMessage } from "../protocol/model";
import type { Settings } from "./config";
import type { BoundEntity } from "./entity";
import { RequestError } from "./errors";
import { FOR_BIND_SOME, FOR_PUSH, FOR_SYNC, FOR_UNBIND_SOME, type PendingTable } from "./pending";
import { column } from "./requests";
import { NEVER, type Session } from "./session";
import type { SubscribedProperties } from "./subscribed";
import { VERBOSE } from "../verbose";

const GET_PROPERTY_SUBSCRIPTIONS = "GetPropertySubscriptions";
const HAS_DEADBAND = '{"hasDeadband":true}';

// A registered entity's binding (SubscribedProperties.bindState).
export const UNBOUND = 0; // not bound on this connection (yet)
export const BINDING = 1; // named by a BIND waiting for its answer (bindId)
export const BOUND = 2;
export const REFUSED = 3; // the platform refused its own BIND: left out of later BINDs until bindAgain
/** bindId of an entity that gets a BIND naming it alone (the BIND after AUTH was refused as a whole). */
const ALONE = -1;

export class Bindings {
	/** The registered entities by slot (null: a free slot); a slot's index is the thing index everywhere. */
	readonly entities: Array<BoundEntity | null> = [];
	/** Each entity's subscribed property manager, at the same index. */
	readonly managers: Array<SubscribedProperties | null> = [];
	/** Entities registered. */
	count = 0;
	/** The earliest synchronization retry (ticks), NEVER when none waits. */
	syncAt = NEVER;
	/** When entities registered (or to bind again) on a live connection get their BIND (ticks), NEVER for none. */
	bindAt = NEVER;
	#hal: Hal;
	#s: Settings;
	#pending: PendingTable;
	#session: Session;
	#gateway: { name: string; type: string } | null;
	#maxThings: number;

	constructor(hal: Hal, s: Settings, pending: PendingTable, session: Session, gateway: { name: string; type: string } | null) {
		this.#hal = hal;
		this.#s = s;
		this.#pending = pending;
		this.#session = session;
		this.#gateway = gateway;
		this.#maxThings = s.maxThings;
	}

	/** A free slot (its index), or -1 when maxThings entities are registered. */
	freeSlot(): number {
		const entities = this.entities;
		for (let i = 0; i < entities.length; i++) if (entities[i] === null) return i;
		return entities.length < this.#maxThings ? entities.length : -1;
	}

	/** Registers `entity` in `slot` (freeSlot). On a live connection it is bound at `bindAt`. */
	add(slot: number, entity: BoundEntity, manager: SubscribedProperties): void {
		if (slot === this.entities.length) {
			this.entities.push(entity);
			this.managers.push(manager);
		} else {
			this.entities[slot] = entity;
			this.managers[slot] = manager;
		}
		this.count++;
		if (this.#session.ready() !== null) this.bindLater(manager);
	}

	/**
	 * Forgets entity `index`: its requests waiting are dropped (their answers will match nothing) and,
	 * when the platform has it bound or is binding it, an UNBIND of it alone goes out.
	 */
	remove(index: number): void {
		const entity = this.entities[index]!;
		const m = this.managers[index]!;
		this.entities[index] = null;
		this.managers[index] = null;
		this.count--;
		const pending = this.#pending;
		for (let slot = pending.findKind(FOR_SYNC, index); slot >= 0; slot = pending.findKind(FOR_SYNC, index)) pending.free(slot);
		for (let slot = pending.findKind(FOR_PUSH, index); slot >= 0; slot = pending.findKind(FOR_PUSH, index)) pending.free(slot);
		if (m.bindState === BINDING || m.bindState === BOUND) {
			const id = this.#session.nextId();
			// untracked when every slot is busy: its answer then only counts as unmatched
			pending.add(FOR_UNBIND_SOME, id, this.#hal.ticks() + this.#s.requestTimeoutMs, -1, null, null);
			this.#session.send(this.message(UNBIND, id, [entity.name]));
		}
		if (m.bindState === BOUND && this.#session.onUnbound !== null) this.#session.onUnbound(entity.name);
		m.bindState = UNBOUND;
	}

	/** The index of the entity named `name`, or -1. */
	index(name: string): number {
		const entities = this.entities;
		for (let i = 0; i < entities.length; i++) if (entities[i]?.name === name) return i;
		return -1;
	}

	indexOf(entity: BoundEntity): number {
		return this.entities.indexOf(entity);
	}

	/** The index of the entity a request addresses (its name's bytes), or -1. */
	at(bytes: Uint8Array, head: RequestHead): number {
		const entities = this.entities;
		for (let i = 0; i < entities.length; i++) {
			const e = entities[i];
			if (e !== null && bytesEqual(bytes, head.entityNameOffset, head.entityNameLength, e.nameBytes)) return i;
		}
		return -1;
	}

	/**
	 * The BIND after AUTH (every registered entity but those refused, each then BINDING under
	 * `requestId`), or the UNBIND before closing (every bound one); null when it would name none.
	 */
	allMessage(code: number, requestId: number): BindMessage | null {
		const names: string[] = [];
		const managers = this.managers;
		for (let i = 0; i < managers.length; i++) {
			const m = managers[i];
			if (m === null) continue;
			if (code === BIND ? m.bindState === REFUSED : m.bindState === UNBOUND || m.bindState === REFUSED) continue;
			if (code === BIND) this.binding(m, requestId);
			names.push(m.thing.name);
		}
		return names.length === 0 ? null : this.message(code, requestId, names);
	}

	/**
	 * Entity `index` is bound again with a BIND of its own (at `bindAt`), then synchronized before it
	 * pushes (the platform sends NotifyPropertyUpdate after a BIND), its values queued meanwhile: after
	 * a refused BIND, or when the platform has lost its binding (a push answered FORBIDDEN).
	 */
	bindAgain(index: number): void {
		const m = this.managers[index];
		if (m !== null && this.#session.ready() !== null) this.bindLater(m);
	}

	/**
	 * The platform no longer routes entity `index` to this connection (a push of it answered FORBIDDEN or
	 * NOT_FOUND): it is bound again with a BIND of its own and re-synchronized, its values queued
	 * meanwhile. The BIND waits pushRetryMs, doubled for each binding lost or re-BIND refused in a row
	 * (a streak that ends once the thing stays bound for backoffCapMs), at most backoffCapMs: two
	 * connections binding the same thing, or a platform that refuses it, never make a loop. Returns the wait.
	 */
	lostBinding(index: number): number {
		const m = this.managers[index]!;
		const now = this.#hal.ticks();
		const was = m.bindState;
		if (was === BOUND && now - m.boundAt >= this.#s.backoffCapMs) m.lostStreak = 0;
		const cap = this.#s.backoffCapMs;
		const delay = m.lostStreak >= 30 ? cap : Math.min(cap, this.#s.pushRetryMs * 2 ** m.lostStreak);
		m.lostStreak++;
		this.binding(m, 0);
		m.rebinding = true;
		m.rebindAt = now + delay;
		if (m.rebindAt < this.bindAt) this.bindAt = m.rebindAt;
		if (was === BOUND && this.#session.onUnbound !== null) this.#session.onUnbound(m.thing.name);
		return delay;
	}

	/** Sends one BIND naming every entity that waits for one and is due (an entity's own BIND, batched per turn). */
	startBinds(): void {
		this.bindAt = NEVER;
		if (this.#session.ready() === null) return;
		const managers = this.managers;
		const now = this.#hal.ticks();
		for (let i = 0; i < managers.length; i++) {
			const m = managers[i];
			if (m === null || m.bindState !== BINDING || m.bindId !== ALONE) continue;
			const id = this.#session.nextId();
			if (this.#pending.add(FOR_BIND_SOME, id, now + this.#s.requestTimeoutMs, -1, null, null) < 0) {
				this.bindAt = now + this.#s.pushRetryMs; // every slot busy: the others once one may have freed
				return;
			}
			m.bindId = id;
			this.#session.stats.binds++;
			this.#session.send(this.message(BIND, id, [m.thing.name]));
		}
		let waiting = 0;
		for (let i = 0; i < managers.length; i++) {
			const m = managers[i];
			if (!waitsForBind(m)) continue;
			if (m!.rebindAt <= now) waiting++;
			else if (m!.rebindAt < this.bindAt) this.bindAt = m!.rebindAt;
		}
		if (waiting === 0) return;
		const id = this.#session.nextId();
		if (this.#pending.add(FOR_BIND_SOME, id, now + this.#s.requestTimeoutMs, -1, null, null) < 0) {
			this.bindAt = now + this.#s.pushRetryMs; // every slot busy: try again once one may have freed
			return;
		}
		const names: string[] = [];
		for (let i = 0; i < managers.length; i++) {
			const m = managers[i];
			if (!waitsForBind(m) || m!.rebindAt > now) continue;
			m!.bindId = id;
			names.push(m!.thing.name);
		}
		this.#session.stats.binds++;
		this.#session.send(this.message(BIND, id, names));
	}

	/**
	 * The answer to BIND `requestId`: its entities are bound (the platform synchronizes them next), or,
	 * refused, left out of later BINDs (`all`: the BIND after AUTH, whose refusal fails the connection
	 * unless it named several entities: true when each now gets a BIND of its own, isolate()).
	 */
	bindAnswered(requestId: number, response: ResponseMessage, all: boolean): boolean {
		const refused = response.code !== SUCCESS;
		const managers = this.managers;
		if (refused && all && this.isolate(requestId)) return true;
		let bound = 0;
		let lostAgain = 0;
		for (let i = 0; i < managers.length; i++) {
			const m = managers[i];
			if (m === null || m.bindState !== BINDING || m.bindId !== requestId) continue;
			m.bindId = 0;
			if (refused && !all && m.rebinding) {
				lostAgain++;
				this.lostBinding(i); // a lost binding's re-BIND refused: tried again, later each time
				continue;
			}
			m.bindState = refused ? (all ? UNBOUND : REFUSED) : BOUND;
			if (m.thing.bindAnswered !== undefined) m.thing.bindAnswered(response.code, response.reason);
			if (refused) continue;
			m.boundAt = this.#hal.ticks();
			m.rebinding = false;
			bound++;
			if (this.#session.onBound !== null) this.#session.onBound(m.thing.name);
		}
		if (refused && !all) this.#session.report(new RequestError(response.code, VERBOSE ? "BIND refused" + (response.reason ? " (" + response.reason + ")" : "") + (lostAgain > 0 ? "; a lost binding is tried again later" : "; not bound until bound again") : "BIND"));
		if (bound > 0) this.#hal.log("info", "bound " + bound + " thing(s)");
		// registered while the BIND after AUTH was on its way: their own BIND now
		if (all && !refused) for (let i = 0; i < managers.length; i++) {
			const m = managers[i];
			if (m !== null && m.bindState === UNBOUND) this.bindLater(m);
		}
		return false;
	}

	/**
	 * The BIND after AUTH (`requestId`) was refused as a whole: when it named more than one entity, each
	 * is asked for again with a BIND naming it alone, so that only those the platform refuses are left
	 * out (a thing deleted on the platform must not keep the others from binding). False when it named
	 * one: that refusal is the connection's (it fails, and is retried with back-off).
	 */
	private isolate(requestId: number): boolean {
		const managers = this.managers;
		let named = 0;
		for (let i = 0; i < managers.length; i++) {
			const m = managers[i];
			if (m !== null && m.bindState === BINDING && m.bindId === requestId) named++;
		}
		if (named < 2) return false;
		for (let i = 0; i < managers.length; i++) {
			const m = managers[i];
			if (m !== null && m.bindState === BINDING && m.bindId === requestId) m.bindId = ALONE;
		}
		this.bindAt = 0;
		return true;
	}

	/** The connection is gone: nothing is bound or synchronized any more. */
	lost(): void {
		const onUnbound = this.#session.onUnbound;
		const managers = this.managers;
		for (let i = 0; i < managers.length; i++) {
			const m = managers[i];
			if (m === null) continue;
			const was = m.bindState;
			m.bindState = was === REFUSED ? REFUSED : UNBOUND;
			m.bindId = 0;
			m.rebinding = false;
			m.synchronized = false;
			m.syncWanted = false;
			if (was === BOUND && onUnbound !== null) onUnbound(m.thing.name);
		}
		this.syncAt = NEVER;
		this.bindAt = NEVER;
	}

	private bindLater(m: SubscribedProperties): void {
		this.binding(m, 0);
		m.rebinding = false;
		m.rebindAt = 0;
		this.bindAt = 0;
	}

	/** `m` waits for BIND `requestId` (0: the next startBinds); nothing of it is pushed before it is synchronized again. */
	private binding(m: SubscribedProperties, requestId: number): void {
		m.bindState = BINDING;
		m.bindId = requestId;
		m.synchronized = false;
	}

	private message(code: number, requestId: number, names: string[]): BindMessage {
		return { kind: code === BIND ? "bind" : "unbind", version: 1, code, requestId, endpointId: 0, sessionId: this.#session.sessionId, gateway: this.#gateway, names };
	}

	/** The platform POSTed NotifyPropertyUpdate to entity `index`: synchronize it now (startSyncs). */
	wantSync(index: number): void {
		const m = this.managers[index]!;
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
		const managers = this.managers;
		for (let i = 0; i < managers.length; i++) {
			const m = managers[i];
			if (m === null || !m.syncWanted) continue;
			if (this.#pending.findKind(FOR_SYNC, i) >= 0) continue; // its answer (slotFreed) or timeout (syncFailed) brings it back
			if (now < m.syncRetryAt) {
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
			this.#session.send(subscriptionsRequest(id, this.#session.sessionId, m.thing.name));
		}
		this.syncAt = next;
	}

	/**
	 * The answer to entity `index`'s GetPropertySubscriptions: its push types applied, it is
	 * synchronized (true), or the synchronization waits for its retry (false).
	 */
	subscribed(index: number, response: ResponseMessage): boolean {
		const entity = this.entities[index]!;
		if (response.code !== SUCCESS) {
			this.syncFailed(index, new RequestError(response.code, VERBOSE ? GET_PROPERTY_SUBSCRIPTIONS + " of " + entity.name + " refused" + (response.reason ? " (" + response.reason + ")" : "") : "sync"));
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
		this.managers[index]!.synchronized = true;
		this.#hal.log("info", entity.name + " synchronized");
		const onSynchronized = this.#session.onSynchronized;
		if (onSynchronized !== null) onSynchronized(entity.name);
		return true;
	}

	/**
	 * A synchronization was answered: those waiting for a free request slot, or for this one's answer
	 * (a NotifyPropertyUpdate that came meanwhile), go at the end of this turn.
	 */
	slotFreed(): void {
		const managers = this.managers;
		for (let i = 0; i < managers.length; i++) {
			if (managers[i]?.syncWanted) {
				this.syncAt = 0;
				return;
			}
		}
	}

		/** Entity `index`'s synchronization failed (refused, or no answer): retried after pushRetryMs. */
	syncFailed(index: number, error: RequestError): void {
		const m = this.managers[index]!;
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

function waitsForBind(m: SubscribedProperties | null): boolean {
	return m !== null && m.bindState === BINDING && m.bindId === 0;
}

function find(entity: BoundEntity, name: string) {
	const properties = entity.properties;
	for (let i = 0; i < properties.length; i++) if (properties[i].name === name) return properties[i];
	return null;
}
