/*
 * WebSocket clients that live in XS, seen from Node as test/ws/session.ts's ClientUnderTest, so the
 * interop suite (test/ws/interop.ts) runs unchanged against them. One xsnap worker hosts them all; the
 * virtual clock follows real time (ping intervals, timeouts).
 *
 * Differences from a client in Node, all on the harness side: calls reach XS in order but after the
 * crank in progress; send() cannot know XS's answer, so it says true and a send the client refuses
 * waits in XS for onWritable (the back-pressure itself still happens, inside XS).
 */
import { XsHalBridge } from "../../hal/xs/bridge";
import { WebSocketError, type WebSocketErrorKind, type WebSocketClientOptions } from "../../src/ws/index";
import type { ClientFactory, ClientUnderTest } from "../ws/session";
import { xsBundle } from "./bundles";
import { CLOSE, EVENT, MESSAGE, OPEN, PULL } from "./suites/ws";

export class XsClients {
	readonly bridge: XsHalBridge;
	/** Failures of calls into XS (an exception thrown by open/send/close there). */
	readonly errors: Error[] = [];
	#ready: Promise<unknown>;
	#clients = new Map<number, XsClient>();
	#staged = new Map<number, Buffer[]>();
	#nextId = 1;

	constructor() {
		this.bridge = new XsHalBridge({ worker: { name: "ws-clients" }, onChannel: (tag, payload) => this.#channel(tag, payload) });
		this.#ready = xsBundle("xs-ws")
			.then((source) => this.bridge.loadBundle({ name: "ws", source }))
			.then(() => this.bridge.worker.evaluate("bundles.ws.start()"))
			.then(() => this.bridge.runClock());
	}

	readonly factory: ClientFactory = (options) => {
		const id = this.#nextId++;
		const client = new XsClient(this, id, options);
		this.#clients.set(id, client);
		return client;
	};

	/** Runs `script` in XS after every earlier call. */
	call(script: string): void {
		this.#ready = this.#ready.then(() => this.bridge.worker.evaluate(script)).catch((error: Error) => this.errors.push(error));
	}

	stage(id: number, bytes: Buffer): void {
		const queue = this.#staged.get(id) ?? [];
		queue.push(bytes);
		this.#staged.set(id, queue);
	}

	async close(): Promise<void> {
		await this.#ready;
		await this.bridge.close();
	}

	#channel(tag: number, payload: Uint8Array): Uint8Array | void {
		const id = (payload[tag === PULL ? 0 : 1]! << 8) | payload[tag === PULL ? 1 : 2]!;
		if (tag === PULL) {
			const bytes = this.#staged.get(id)?.shift();
			if (!bytes) throw new Error(`client ${id} pulled a send that was never staged`);
			return bytes;
		}
		if (tag !== EVENT) throw new Error(`unknown channel ${tag}`);
		const client = this.#clients.get(id);
		if (!client) throw new Error(`event for unknown client ${id}`);
		const body = Buffer.from(payload.subarray(3));
		switch (payload[0]) {
			case OPEN:
				return void client.onOpen?.();
			case MESSAGE:
				return void client.onMessage?.(body.subarray(1), body[0] === 1);
			case CLOSE: {
				const { code, reason, error } = JSON.parse(body.toString("utf8")) as { code: number; reason: string; error: { kind: WebSocketErrorKind; message: string; code: number } | null };
				this.#clients.delete(id);
				return void client.onClose?.(code, reason, error && new WebSocketError(error.kind, error.message, error.code));
			}
		}
	}
}

class XsClient implements ClientUnderTest {
	onOpen: (() => void) | null = null;
	onMessage: ((bytes: Uint8Array, binary: boolean) => void) | null = null;
	onWritable: (() => void) | null = null;
	onClose: ((code: number, reason: string, error: WebSocketError | null) => void) | null = null;
	#owner: XsClients;
	#id: number;
	#options: WebSocketClientOptions;

	constructor(owner: XsClients, id: number, options: WebSocketClientOptions) {
		this.#owner = owner;
		this.#id = id;
		this.#options = options;
	}

	open(): void {
		this.#owner.call(`bundles.ws.open(${this.#id}, ${JSON.stringify(JSON.stringify(this.#options))})`);
	}

	send(bytes: Uint8Array, offset = 0, length = bytes.length - offset, binary = true): boolean {
		this.#owner.stage(this.#id, Buffer.from(bytes.subarray(offset, offset + length)));
		this.#owner.call(`bundles.ws.send(${this.#id}, ${binary})`);
		return true;
	}

	close(code?: number, reason?: string): void {
		this.#owner.call(`bundles.ws.close(${this.#id}, ${code ?? "undefined"}, ${JSON.stringify(reason ?? "")})`);
	}
}
