/*
 * End-to-end plumbing: the real emulator in-process on loopback, the device on the Node HAL with a
 * log that the tests read, a seeded random source, a TCP proxy that can cut connections, waits.
 */
import * as net from "node:net";
import type { LogLevel } from "../../hal/hal";
import { createNodeHal, type NodeHalOptions } from "../../hal/node/index";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../emulator/index";
import type { Hal } from "../../hal/hal";
import { DEADLINE_MS } from "../support/deadline";

/** A key that must never show up in anything logged. */
export const KEY = "e2e-Key-4f1c9a77-secret";

export async function emulator(options: Partial<EmulatorOptions> = {}, lines?: string[]): Promise<Emulator> {
	return startEmulator({
		port: 0,
		appKeys: [KEY],
		log: lines ? (level, message) => lines.push(level + " " + message) : null,
		logLevel: "debug",
		historySize: 100000,
		...options,
	});
}

export interface DeviceHal {
	hal: Hal;
	logs: Array<[LogLevel, string]>;
}

export function deviceHal(options: NodeHalOptions = {}): DeviceHal {
	const logs: Array<[LogLevel, string]> = [];
	const hal = createNodeHal({ logLevel: "trace", logSink: (level, message) => logs.push([level, message]), lingerMs: 50, ...options });
	return { hal, logs };
}


export async function waitFor(what: string, condition: () => boolean, timeoutMs = DEADLINE_MS): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > end) throw new Error("timed out waiting for " + what);
		await sleep(5);
	}
}

/** A loopback port nothing listens on (a platform that is not there yet). */
export async function freePort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const port = (server.address() as net.AddressInfo).port;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return port;
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function rest(emu: Emulator, method: string, path: string, body?: unknown, key = KEY): Promise<{ status: number; json: any; text: string }> {
	const res = await fetch(emu.restUrl + path, {
		method,
		headers: { appKey: key, "content-type": "application/json", accept: "application/json" },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	let json: unknown = null;
	try {
		json = text ? JSON.parse(text) : null;
	} catch {
		json = null;
	}
	return { status: res.status, json, text };
}

/** A loopback TCP proxy to `port` whose connections can be cut (both sides destroyed, no close frames). */
export class CuttingProxy {
	readonly server: net.Server;
	#pairs = new Set<[net.Socket, net.Socket]>();
	port = 0;
	/** Bytes that went edge -> platform. */
	upstreamBytes = 0;
	downstreamBytes = 0;

	constructor(targetPort: () => number) {
		this.server = net.createServer((client) => {
			const upstream = net.connect(targetPort(), "127.0.0.1");
			const pair: [net.Socket, net.Socket] = [client, upstream];
			this.#pairs.add(pair);
			const drop = () => {
				client.destroy();
				upstream.destroy();
				this.#pairs.delete(pair);
			};
			client.on("data", (d) => {
				this.upstreamBytes += d.length;
				upstream.write(d);
			});
			upstream.on("data", (d) => {
				this.downstreamBytes += d.length;
				client.write(d);
			});
			client.on("close", drop);
			upstream.on("close", drop);
			client.on("error", drop);
			upstream.on("error", drop);
		});
	}

	async listen(): Promise<number> {
		await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
		this.port = (this.server.address() as net.AddressInfo).port;
		return this.port;
	}

	/** Cut every connection now. */
	cut(): number {
		const n = this.#pairs.size;
		for (const [a, b] of [...this.#pairs]) {
			a.destroy();
			b.destroy();
		}
		this.#pairs.clear();
		return n;
	}

	get connections(): number {
		return this.#pairs.size;
	}

	async close(): Promise<void> {
		this.cut();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}
}
