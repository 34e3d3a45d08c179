/*
 * The gateway's ThingBinder on the edge client: a thing registered over REST becomes a
 * RegisteredGatewayThing added to the client's registered set (its own BIND on a live connection, and
 * in every BIND after AUTH), and removing it sends its UNBIND.
 */
import type { Hal } from "../../hal/hal";
import type { BoundEntity } from "../client/entity";
import type { GatewayThing, ThingBinder } from "./gateway";
import { RegisteredGatewayThing } from "./gateway-thing";
import type { HttpClient } from "./http-client";

/** What the binder needs of the edge client (EdgeClient has it). */
export interface ThingRegistry {
	addThing(thing: BoundEntity): void;
	removeThing(name: string): boolean;
	bindAgain(name: string): boolean;
	isBound(name: string): boolean;
	isSynchronized(name: string): boolean;
}

export class ClientBinder implements ThingBinder {
	#hal: Hal;
	#registry: ThingRegistry;
	#http: HttpClient;
	#maxProperties: number;

	/** `http` reaches the applications' callbacks; a registered thing has at most `maxProperties` properties. */
	constructor(hal: Hal, registry: ThingRegistry, http: HttpClient, maxProperties: number) {
		this.#hal = hal;
		this.#registry = registry;
		this.#http = http;
		this.#maxProperties = maxProperties;
	}

	bind(name: string, callback: string): GatewayThing {
		const thing = new RegisteredGatewayThing(this.#hal, name, callback, this.#http, this.#maxProperties);
		this.#registry.addThing(thing);
		return thing;
	}

	unbind(name: string): void {
		this.#registry.removeThing(name);
	}

	rebind(name: string): void {
		this.#registry.bindAgain(name);
	}

	isBound(name: string): boolean {
		return this.#registry.isBound(name);
	}

	isSynchronized(name: string): boolean {
		return this.#registry.isSynchronized(name);
	}
}
