/*
 * A seeded fault-injecting TCP proxy between the edge and the platform (loopback). Each fault acts on
 * the connections open when it is injected, or on the next ones:
 * - reset:     the next bytes in either direction are cut part-way (a random prefix goes through), then
 *              both sockets are destroyed: a reset in the middle of a frame;
 * - stall:     a black hole: the open connections carry nothing more in either direction and stay open
 *              (only the edge's keep-alive or request deadlines can tell);
 * - halfopen:  platform -> edge stops, edge -> platform still flows (pushes stored, answers lost);
 * - segments:  for a while every write is split into 1-byte segments (no loss: must be absorbed);
 * - jitter:    for a while every chunk is held a random 0..jitterMs, order kept (no loss);
 * - refuse:    the open connections are cut and new ones refused for a while (a platform going away).
 * The random choices (cut points, delays) come from the seed; when they happen depends on the traffic.
 */
import * as net from "node:net";
import { seeded } from "../support/seeded";

export const FAULT_KINDS = ["reset", "stall", "halfopen", "segments", "jitter", "refuse"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** Faults after which the edge must notice a loss and connect again. */
export const LOSS_KINDS: readonly FaultKind[] = ["reset", "stall", "halfopen", "refuse"];

export interface ChaosProxyOptions {
	target: () => number;
	seed: number;
	/** How long segments, jitter and refuse last. */
	windowMs: number;
	/** Largest hold of a jittered chunk. */
	jitterMs: number;
}

/** One direction of one connection: where its bytes go, and how. */
class Pipe {
	/** Chunks held by jitter, in order. */
	#held: Buffer[] = [];
	#releasing = false;
	/** 0 flowing, 1 black hole. */
	blocked = 0;

	constructor(readonly to: net.Socket, readonly proxy: ChaosProxy) {}

	forward(data: Buffer): void {
		if (this.blocked || this.to.destroyed) return;
		this.proxy.bytes += data.length;
		if (this.proxy.cutPending()) return this.proxy.cutAfter(this.to, data);
		if (this.#held.length || this.proxy.jittering()) {
			this.#held.push(data);
			if (!this.#releasing) this.#release();
			return;
		}
		this.#write(data);
	}

	#release(): void {
		this.#releasing = true;
		setTimeout(() => {
			const data = this.#held.shift();
			if (data && !this.blocked && !this.to.destroyed) this.#write(data);
			if (this.#held.length) this.#release();
			else this.#releasing = false;
		}, this.proxy.delay());
	}

	#write(data: Buffer): void {
		if (!this.proxy.segmenting()) {
			this.to.write(data);
			return;
		}
		for (let i = 0; i < data.length; i++) this.to.write(data.subarray(i, i + 1));
	}
}

interface Connection {
	edge: net.Socket;
	platform: net.Socket;
	up: Pipe;
	down: Pipe;
}

export class ChaosProxy {
	readonly server: net.Server;
	port = 0;
	/** Bytes forwarded, both directions. */
	bytes = 0;
	/** Connections accepted and refused. */
	accepted = 0;
	refused = 0;
	readonly injected: Record<FaultKind, number> = { reset: 0, stall: 0, halfopen: 0, segments: 0, jitter: 0, refuse: 0 };
	#options: ChaosProxyOptions;
	#random: () => number;
	#connections = new Set<Connection>();
	#cut = false;
	#segmentsUntil = 0;
	#jitterUntil = 0;
	#refuseUntil = 0;

	constructor(options: ChaosProxyOptions) {
		this.#options = options;
		this.#random = seeded(options.seed);
		this.server = net.createServer((edge) => this.#accept(edge));
	}

	async listen(): Promise<number> {
		await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
		this.port = (this.server.address() as net.AddressInfo).port;
		return this.port;
	}

	#accept(edge: net.Socket): void {
		edge.on("error", () => {});
		if (Date.now() < this.#refuseUntil) {
			this.refused++;
			edge.destroy();
			return;
		}
		this.accepted++;
		const platform = net.connect(this.#options.target(), "127.0.0.1");
		platform.on("error", () => {});
		edge.setNoDelay(true);
		platform.setNoDelay(true);
		const c: Connection = { edge, platform, up: new Pipe(platform, this), down: new Pipe(edge, this) };
		this.#connections.add(c);
		edge.on("data", (d) => c.up.forward(d));
		platform.on("data", (d) => c.down.forward(d));
		const drop = () => {
			edge.destroy();
			platform.destroy();
			this.#connections.delete(c);
		};
		edge.on("close", drop);
		platform.on("close", drop);
	}

	/** Injects one fault now. */
	inject(kind: FaultKind): void {
		this.injected[kind]++;
		const until = Date.now() + this.#options.windowMs;
		switch (kind) {
			case "reset":
				this.#cut = true;
				return;
			case "stall":
				for (const c of this.#connections) c.up.blocked = c.down.blocked = 1;
				return;
			case "halfopen":
				for (const c of this.#connections) c.down.blocked = 1;
				return;
			case "segments":
				this.#segmentsUntil = until;
				return;
			case "jitter":
				this.#jitterUntil = until;
				return;
			case "refuse":
				this.#refuseUntil = until;
				this.cutAll();
				return;
		}
	}

	/** A reset waits for the next bytes to cut; with no traffic at all it is a plain cut. */
	cutPending(): boolean {
		return this.#cut;
	}

	cutAfter(to: net.Socket, data: Buffer): void {
		this.#cut = false;
		const keep = Math.floor(this.#random() * data.length);
		if (keep > 0) to.write(data.subarray(0, keep));
		this.cutAll();
	}

	cutAll(): void {
		this.#cut = false;
		for (const c of this.#connections) {
			c.edge.destroy();
			c.platform.destroy();
		}
		this.#connections.clear();
	}

	segmenting(): boolean {
		return Date.now() < this.#segmentsUntil;
	}

	jittering(): boolean {
		return Date.now() < this.#jitterUntil;
	}

	delay(): number {
		return Math.floor(this.#random() * this.#options.jitterMs);
	}

	get connections(): number {
		return this.#connections.size;
	}

	async close(): Promise<void> {
		this.cutAll();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}
}
