/*
 * Runs inside XS (bundled by build/bench-ems.ts): the gateway's registered things as the edge client
 * holds them (RegisteredGatewayThing added with addThing, one value written each), on a client that is
 * not connected, so that the XS meters see what a registered thing keeps: the client's buffer (every
 * queue, maxThings x queueBytes) is allocated at setup and is not part of it.
 */
import type { Hal, HalSocket } from "../../../hal/hal";
import { EdgeClient } from "../../../src/client/client";
import type { Transport } from "../../../src/client/config";
import { RegisteredGatewayThing } from "../../../src/gateway/gateway-thing";
import { HttpClient } from "../../../src/gateway/http-client";

const hal: Hal = {
	createSocket(): HalSocket {
		throw new Error("no sockets here");
	},
	timers: { set: () => 1, repeat: () => 2, create: () => 3, schedule() {}, clear() {} },
	now: () => 1700000000000,
	ticks: () => 0,
	randomBytes() {},
	sha1: () => new Uint8Array(20),
	base64Encode: () => "",
	base64Decode: () => new Uint8Array(0),
	utf8EncodeInto: () => -1,
	utf8Decode: () => "",
	log() {},
	logEnabled: () => false,
	store: { get: () => undefined, set() {}, delete() {} },
};

let client: EdgeClient;
let http: HttpClient;
const things: RegisteredGatewayThing[] = [];
let next = 0;

/** A client for up to `max` things with queues of `queueBytes`, never connected. */
export function setup(max: number, queueBytes: number): number {
	client = new EdgeClient(hal, {
		host: "platform", port: 80, tls: false, appKey: () => "key", things: [], maxThings: max, queueBytes,
		transport: () => ({}) as Transport,
	});
	http = new HttpClient(hal, { maxResponseBytes: 65536, timeoutMs: 10000, maxRequests: 8 });
	return client.things.length;
}

/** Registers `n` things, each with one NUMBER written (queued for the platform). */
export function register(n: number): number {
	for (let i = 0; i < n; i++) {
		const thing = new RegisteredGatewayThing(hal, "GatewayThing" + next++, "", http, 64);
		client.addThing(thing);
		thing.write("Level", { type: "NUMBER", value: i }, 1700000000000 + i);
		things.push(thing);
	}
	return client.things.length;
}

/** Removes every registered thing. */
export function unregister(): number {
	for (const thing of things) client.removeThing(thing.name);
	things.length = 0;
	return client.things.length;
}
