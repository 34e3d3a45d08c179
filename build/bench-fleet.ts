/*
 * `npm run bench:fleet [-- --connections N --seconds S --deflate]`: N simulated edges on loopback, each
 * AUTH + BIND of its own thing, synchronized (NotifyPropertyUpdate -> GetPropertySubscriptions), then
 * one UpdateSubscribedPropertyValues a second, phases spread over the second. The emulator runs in a
 * child process so its CPU and memory are its own; the table gives ack latency (push sent -> SUCCESS
 * received, measured by the edges), the emulator's CPU % and RSS, and pushes acknowledged vs sent.
 * Budget (the budgets: README.md, "Figures"): 1000 connections, p99 ack < 20 ms on 2 cores. Reported, never asserted.
 */
import { fork, type ChildProcess } from "node:child_process";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { Characteristic, Code, encodeMessageToBytes } from "../src/protocol";
import type { InfoTable, Message } from "../src/protocol/model";

const KEY = "fleet-bench-key";
const CONNECT_BATCH = 50;

interface Sample {
	cpuMicros: number;
	rss: number;
	counters: Record<string, number>;
}

// ---- the emulator side (child process)

async function child(): Promise<void> {
	const { startEmulator } = await import("../emulator/index");
	const emulator = await startEmulator({ appKeys: [KEY], host: "127.0.0.1", port: 0, idleTimeoutMs: 0, historySize: 100, frameLogSize: 1000 });
	const send = (message: unknown) => process.send?.(message);
	process.on("message", async (message: { type: string }) => {
		if (message.type === "sample") {
			const cpu = process.cpuUsage();
			send({ type: "sample", cpuMicros: cpu.user + cpu.system, rss: process.memoryUsage().rss, counters: emulator.counters() });
		} else if (message.type === "stop") {
			await emulator.close();
			process.exit(0);
		}
	});
	send({ type: "ready", url: emulator.url });
}

// ---- the fleet side

class Fleet {
	readonly latencies: number[] = [];
	/** From the frame written to the socket (after the edge's own compression) to the ack. */
	readonly afterWrite: number[] = [];
	sent = 0;
	acked = 0;
	failed = 0;
	connectFailures = 0;
	#edges: Edge[] = [];

	constructor(readonly url: string, readonly deflate: boolean) {}

	async connect(count: number): Promise<void> {
		for (let i = 0; i < count; i += CONNECT_BATCH) {
			const batch = [];
			for (let j = i; j < Math.min(count, i + CONNECT_BATCH); j++) batch.push(Edge.open(this, `Fleet-${String(j).padStart(5, "0")}`));
			for (const result of await Promise.allSettled(batch)) {
				if (result.status === "fulfilled") this.#edges.push(result.value);
				else this.connectFailures++;
			}
		}
	}

	start(): void {
		const n = this.#edges.length;
		this.#edges.forEach((edge, i) => edge.startPushing(Math.floor((i * 1000) / n)));
	}

	stop(): void {
		for (const edge of this.#edges) edge.stopPushing();
	}

	get outstanding(): number {
		return this.#edges.reduce((sum, edge) => sum + edge.outstanding.size, 0);
	}

	close(): void {
		for (const edge of this.#edges) edge.ws.terminate();
	}
}

class Edge {
	sessionId = 0;
	nextId = 1;
	/** requestId -> [push started, frame written (0 until then)] */
	readonly outstanding = new Map<number, [number, number]>();
	#timer: NodeJS.Timeout | null = null;
	#waiting = new Map<number, (code: number, session: number) => void>();
	#synchronized!: () => void;
	readonly synchronized = new Promise<void>((resolve) => (this.#synchronized = resolve));

	private constructor(readonly fleet: Fleet, readonly ws: WebSocket, readonly thing: string) {
		ws.on("message", (data: Buffer) => this.#onMessage(data));
		ws.on("error", () => {});
	}

	static async open(fleet: Fleet, thing: string): Promise<Edge> {
		const ws = new WebSocket(fleet.url, { perMessageDeflate: fleet.deflate, headers: { "Max-Frame-Size": "8192" } });
		await new Promise<void>((resolve, reject) => {
			ws.once("open", () => resolve());
			ws.once("error", reject);
		});
		const edge = new Edge(fleet, ws, thing);
		const auth = await edge.#call({ kind: "auth", version: 1, code: Code.AUTH, requestId: 0, endpointId: 0, sessionId: 0xffffffff, claims: [["appKey", KEY]] });
		if (auth.code !== Code.SUCCESS) throw new Error(`AUTH answered ${auth.code}`);
		edge.sessionId = auth.session;
		const bind = await edge.#call({ kind: "bind", version: 1, code: Code.BIND, requestId: 0, endpointId: 0, sessionId: 0, gateway: null, names: [thing] });
		if (bind.code !== Code.SUCCESS) throw new Error(`BIND answered ${bind.code}`);
		await edge.synchronized;
		return edge;
	}

	#request(name: string, params: InfoTable | null): Message {
		return { kind: "request", version: 1, code: Code.POST, requestId: 0, endpointId: 0, sessionId: 0, entityType: 0x0a, entityName: this.thing, characteristicType: Characteristic.SERVICES, characteristicName: name, headers: [], params };
	}

	#call(message: Message): Promise<{ code: number; session: number }> {
		const requestId = this.nextId++;
		this.ws.send(encodeMessageToBytes({ ...message, requestId, sessionId: message.code === Code.AUTH ? 0xffffffff : this.sessionId } as Message));
		return new Promise((resolve) => this.#waiting.set(requestId, (code, session) => resolve({ code, session })));
	}

	#onMessage(data: Buffer): void {
		const code = data[1];
		const requestId = data.readUInt32BE(2);
		if (code >= Code.SUCCESS) {
			const times = this.outstanding.get(requestId);
			if (times !== undefined) {
				const now = performance.now();
				this.outstanding.delete(requestId);
				this.fleet.latencies.push(now - times[0]);
				if (times[1] > 0) this.fleet.afterWrite.push(now - times[1]);
				if (code === Code.SUCCESS) this.fleet.acked++;
				else this.fleet.failed++;
				return;
			}
			const waiter = this.#waiting.get(requestId);
			this.#waiting.delete(requestId);
			waiter?.(code, data.readUInt32BE(10));
			return;
		}
		// A platform request: NotifyPropertyUpdate -> SUCCESS then synchronize; anything else NOT_FOUND.
		const name = data.subarray(15).toString("latin1");
		const notify = name.includes("NotifyPropertyUpdate");
		this.ws.send(encodeMessageToBytes({ kind: "response", version: 1, code: notify ? Code.SUCCESS : Code.NOT_FOUND, requestId, endpointId: 0, sessionId: this.sessionId, reason: null, content: null, contentType: 0xff, trailing: 0 }));
		if (notify) this.#call(this.#request("GetPropertySubscriptions", null)).then(() => this.#synchronized());
	}

	startPushing(phaseMs: number): void {
		this.#timer = setTimeout(() => {
			this.#push();
			this.#timer = setInterval(() => this.#push(), 1000);
		}, phaseMs);
	}

	stopPushing(): void {
		if (this.#timer) clearInterval(this.#timer);
		this.#timer = null;
	}

	#push(): void {
		const requestId = this.nextId++;
		const now = Date.now();
		const params: InfoTable = {
			fields: [{ name: "values", description: "", baseType: "INFOTABLE", aspects: [] }],
			rows: [[{ type: "INFOTABLE", value: {
				fields: [
					{ name: "name", description: "", baseType: "STRING", aspects: [] },
					{ name: "value", description: "", baseType: "VARIANT", aspects: [] },
					{ name: "time", description: "", baseType: "DATETIME", aspects: [] },
					{ name: "quality", description: "", baseType: "STRING", aspects: [] },
				],
				rows: [[{ type: "STRING", value: "Temperature" }, { type: "VARIANT", value: { type: "NUMBER", value: 400 + (now % 40) } }, { type: "DATETIME", value: now }, { type: "STRING", value: "GOOD" }]],
			} }]],
		};
		const bytes = encodeMessageToBytes({ ...this.#request("UpdateSubscribedPropertyValues", params), requestId, sessionId: this.sessionId } as Message);
		const times: [number, number] = [performance.now(), 0];
		this.outstanding.set(requestId, times);
		this.fleet.sent++;
		this.ws.send(bytes, () => (times[1] = performance.now()));
	}
}

function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function sample(emulator: ChildProcess): Promise<Sample> {
	return new Promise((resolve) => {
		const listener = (message: { type: string } & Sample) => {
			if (message.type !== "sample") return;
			emulator.off("message", listener);
			resolve(message);
		};
		emulator.on("message", listener);
		emulator.send({ type: "sample" });
	});
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
	const { values } = parseArgs({ options: { connections: { type: "string", default: "1000" }, seconds: { type: "string", default: "20" }, deflate: { type: "boolean", default: false } } });
	const connections = Number(values.connections);
	const seconds = Number(values.seconds);
	if (!(Number.isInteger(connections) && connections > 0 && Number.isFinite(seconds) && seconds > 0)) throw new Error("--connections and --seconds must be positive numbers");
	const emulator = fork(new URL(import.meta.url).pathname, ["--emulator-child"], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
	const deadline = setTimeout(() => {
		console.error("bench:fleet: overall time limit reached");
		emulator.kill("SIGKILL");
		process.exit(1);
	}, (seconds + 120) * 1000);
	deadline.unref();
	try {
		const url = await new Promise<string>((resolve, reject) => {
			emulator.once("message", (message: { type: string; url: string }) => resolve(message.url));
			emulator.once("exit", (code) => reject(new Error(`emulator exited (${code})`)));
		});
		const fleet = new Fleet(url, values.deflate);
		const connectStart = performance.now();
		await fleet.connect(connections);
		const connectMs = performance.now() - connectStart;
		const idle = await sample(emulator);
		const started = performance.now();
		fleet.start();
		let peakRss = idle.rss;
		for (let s = 0; s < seconds; s++) {
			await sleep(1000);
			peakRss = Math.max(peakRss, (await sample(emulator)).rss);
		}
		fleet.stop();
		for (let waited = 0; fleet.outstanding > 0 && waited < 2000; waited += 50) await sleep(50);
		const end = await sample(emulator);
		const wallMs = performance.now() - started;
		fleet.close();
		emulator.send({ type: "stop" });

		const sorted = fleet.latencies.slice().sort((a, b) => a - b);
		const afterWrite = fleet.afterWrite.slice().sort((a, b) => a - b);
		const cpu = ((end.cpuMicros - idle.cpuMicros) / 1000 / wallMs) * 100;
		const rows: Array<[string, string]> = [
			["connections (bound + synchronized)", `${connections - fleet.connectFailures} of ${connections}${values.deflate ? ", permessage-deflate" : ""} (connect + sync ${(connectMs / 1000).toFixed(1)} s)`],
			["measured window", `${(wallMs / 1000).toFixed(1)} s`],
			["pushes sent", String(fleet.sent)],
			["pushes acknowledged (SUCCESS)", `${fleet.acked} (${fleet.failed} errors, ${fleet.outstanding} unanswered)`],
			["values stored by the emulator", String(end.counters.rowsStored - idle.counters.rowsStored)],
			["ack latency p50", `${percentile(sorted, 50).toFixed(2)} ms`],
			["ack latency p99", `${percentile(sorted, 99).toFixed(2)} ms  (budget < 20 ms)`],
			["ack latency max", `${percentile(sorted, 100).toFixed(2)} ms`],
			["  of which after the frame left the edge", `p50 ${percentile(afterWrite, 50).toFixed(2)} ms, p99 ${percentile(afterWrite, 99).toFixed(2)} ms (the rest: the simulated edges' own send queue, compression included)`],
			["emulator CPU", `${cpu.toFixed(1)} % of one core`],
			["emulator RSS", `${(idle.rss / 1048576).toFixed(0)} MiB idle after connect, ${(peakRss / 1048576).toFixed(0)} MiB peak`],
			["emulator drops/refusals", String(["authFailures", "malformedMessages", "badParams", "rowsUnbound", "requestTimeouts", "sendsDropped", "internalErrors"].reduce((s, k) => s + (end.counters[k] ?? 0), 0))],
		];
		const width = Math.max(...rows.map(([k]) => k.length));
		console.log(`\nfleet bench: ${connections} edges x 1 push/s for ${seconds} s, loopback, emulator in a child process (node ${process.version})`);
		for (const [key, value] of rows) console.log(`  ${key.padEnd(width)}  ${value}`);
	} finally {
		clearTimeout(deadline);
		await new Promise((resolve) => (emulator.exitCode !== null ? resolve(null) : emulator.once("exit", resolve)));
	}
}

if (process.argv.includes("--emulator-child")) await child();
else await main();
