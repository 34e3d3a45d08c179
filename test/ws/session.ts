/*
 * Drives a WebSocket client under test from promises: records what it delivers, waits with bounds.
 * The client is anything with WebSocketClient's surface, so the same tests can drive the client
 * built on any HAL (Node here; a bridge into XS elsewhere).
 */
import type { Hal } from "../../hal/hal";
import { WebSocketClient, type WebSocketClientOptions, type WebSocketError } from "../../src/ws/index";
import { withTimeout } from "./peer";
import { DEADLINE_MS } from "../support/deadline";

export interface ClientUnderTest {
	open(): void;
	send(bytes: Uint8Array, offset?: number, length?: number, binary?: boolean): boolean;
	close(code?: number, reason?: string): void;
	onOpen: (() => void) | null;
	onMessage: ((bytes: Uint8Array, binary: boolean) => void) | null;
	onWritable: (() => void) | null;
	/** A bridge from another engine rebuilds the error as a WebSocketError (kind, message, code). */
	onClose: ((code: number, reason: string, error: WebSocketError | null) => void) | null;
}

export type ClientFactory = (options: WebSocketClientOptions) => ClientUnderTest;

/** The client built on a HAL: `halClients(() => createNodeHal())`. */
export function halClients(makeHal: () => Hal): ClientFactory {
	return (options) => new WebSocketClient(makeHal(), options);
}

export interface Received {
	data: Buffer;
	binary: boolean;
}

export interface CloseResult {
	code: number;
	reason: string;
	error: WebSocketError | null;
}

export class Session {
	readonly client: ClientUnderTest;
	readonly messages: Received[] = [];
	/** Resolves on onOpen; rejects with the close result if the client closes first. */
	readonly opened: Promise<void>;
	readonly closed: Promise<CloseResult>;
	closeCount = 0;
	#read = 0;
	#messageWaiter: (() => void) | null = null;
	#writableWaiter: (() => void) | null = null;

	constructor(make: ClientFactory, options: WebSocketClientOptions) {
		const client = make(options);
		this.client = client;
		let opened = (): void => {};
		let failedOpen = (_: unknown): void => {};
		this.opened = new Promise<void>((resolve, reject) => {
			opened = resolve;
			failedOpen = reject;
		});
		this.opened.catch(() => {});
		this.closed = new Promise<CloseResult>((resolve) => {
			client.onClose = (code, reason, error) => {
				this.closeCount++;
				const result = { code, reason, error };
				failedOpen(Object.assign(new Error(`closed before open: ${code} ${error?.kind ?? ""} ${error?.message ?? ""}`), { result }));
				resolve(result);
				this.#messageWaiter?.();
			};
		});
		client.onOpen = () => opened();
		client.onMessage = (bytes, binary) => {
			this.messages.push({ data: Buffer.from(bytes), binary });
			this.#messageWaiter?.();
		};
		client.onWritable = () => this.#writableWaiter?.();
		client.open();
	}

	/** The next message not yet taken. */
	async next(timeoutMs = DEADLINE_MS): Promise<Received> {
		if (this.#read < this.messages.length) return this.messages[this.#read++];
		await withTimeout(
			new Promise<void>((resolve) => {
				this.#messageWaiter = resolve;
			}),
			timeoutMs,
			"no message",
		);
		this.#messageWaiter = null;
		if (this.#read < this.messages.length) return this.messages[this.#read++];
		throw new Error(`closed while waiting for a message: ${JSON.stringify(await this.closed)}`);
	}

	/** send(), waiting for onWritable while it says false. */
	async send(data: Uint8Array, binary = true, timeoutMs = DEADLINE_MS): Promise<void> {
		while (!this.client.send(data, 0, data.length, binary)) {
			await withTimeout(
				new Promise<void>((resolve) => {
					this.#writableWaiter = resolve;
				}),
				timeoutMs,
				"no onWritable",
			);
			this.#writableWaiter = null;
		}
	}

	async waitClosed(timeoutMs = DEADLINE_MS): Promise<CloseResult> {
		return withTimeout(this.closed, timeoutMs, "no onClose");
	}
}
