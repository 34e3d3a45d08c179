/*
 * Faults the emulator plays on request, so that tests and chaos runs can reproduce what a broken
 * platform does (issue 12): a wedged connection (edge-connection.ts's wedge modes) and an
 * administrative unbind (the thing is no longer routed to its connection). Used by the programmatic
 * API (Emulator.wedge / Emulator.unbind) and REST (POST /Emulator/Wedge, POST /Emulator/Unbind).
 */
import { Code } from "../src/protocol";
import type { AlwaysOnHub } from "./alwayson-server";
import { WEDGE_MODES, type WedgeMode } from "./edge-connection";
import { PlatformError, type Platform } from "./platform";

/** A connection by its id, or the one a thing is bound on; `every`: with a thing, every connection that binds it from now on too. */
export interface WedgeTarget {
	thing?: string;
	connection?: number;
	every?: boolean;
}

export class Faults {
	#platform: Platform;
	#hub: AlwaysOnHub;

	constructor(platform: Platform, hub: AlwaysOnHub) {
		this.#platform = platform;
		this.#hub = hub;
	}

	/**
	 * Wedges a connection (`{connection: id}`, or the one `{thing}` is bound on); "silent" for a
	 * `{thing}` leaves only that thing's requests unanswered; `{thing, every: true}` wedges every
	 * connection that binds the thing from now on too ("none" ends it). Returns the connection's id
	 * (-1: `every`, the thing not bound now).
	 */
	wedge(target: WedgeTarget, mode: WedgeMode): number {
		if (!WEDGE_MODES.includes(mode)) throw new PlatformError(Code.BAD_REQUEST, `wedge mode must be one of ${WEDGE_MODES.join(", ")}, not ${String(mode)}`);
		const byId = typeof target.connection === "number";
		if (byId === (typeof target.thing === "string")) throw new PlatformError(Code.BAD_REQUEST, "name either a thing or a connection id");
		if (target.every === true && byId) throw new PlatformError(Code.BAD_REQUEST, "every is for a thing, not a connection");
		if (target.every === true) this.#platform.wedgeEvery(target.thing as string, mode);
		const connection = byId ? this.#hub.find(target.connection as number) : this.#platform.connectionOf(target.thing as string);
		if (!connection && target.every === true) return -1;
		if (!connection) throw new PlatformError(Code.NOT_FOUND, byId ? `no connection ${target.connection}` : `${target.thing} is not bound`);
		connection.wedge(mode, !byId && (mode === "silent" || mode === "none") ? (target.thing as string) : null);
		return connection.id;
	}

	/** An administrative unbind of `thing`; returns the id of the connection it was bound on. */
	unbind(thing: string): number {
		return this.#platform.unbindThing(thing).id;
	}
}
