/*
 * The WebSocket client on the real XS engine, through hal/xs (Node does the TCP): the interop suite
 * of test/ws against the `ws` server, with messages up to 64 KiB (+ the 64-bit length form), and the
 * client's allocation per echo round in steady state, net of the bridge's own.
 */
import assert from "node:assert/strict";
import * as net from "node:net";
import { after, describe, test } from "node:test";
import { XsHalBridge } from "../../hal/xs/bridge";
import { meterWorker } from "../../hal/xs/meter-worker";
import { registerInteropSuite, wsServer } from "../ws/interop";
import { xsBundle } from "./bundles";
import { costPerRun, describeCost, type UnitCost } from "./measure";
import { XsClients } from "./ws-clients";
import { DEADLINE_MS } from "../support/deadline";

const clients = new XsClients();
after(async () => {
	await clients.close();
	assert.deepEqual(clients.errors, [], "calls into XS failed");
	assert.deepEqual(clients.bridge.errors, [], "device callbacks threw in XS");
});

registerInteropSuite("WebSocket client in XS (hal/xs) vs ws", clients.factory, { maxBytes: 65536 });

/** Echo rounds of `size`-byte binary messages in XS, on a WebSocket client or (baseline) a raw HAL socket. */
async function echoCost(mode: "ws" | "raw", size: number, rounds: number): Promise<{ cost: UnitCost; requests: number; events: number }> {
	// A ws frame: 2 header bytes, 2 more for a 16-bit length, plus a 4-byte mask from the client.
	const header = size > 125 ? 4 : 2;
	const out = size + header + 4;
	const back = size + header;
	const server = mode === "ws"
		? await wsServer((ws) => ws.on("message", (data) => ws.send(data as Buffer, { binary: true })))
		: await rawEchoServer(out, back);
	const bridge = new XsHalBridge({ worker: { name: `echo-${mode}`, binary: meterWorker() ?? undefined } });
	try {
		await bridge.loadBundle({ name: "ws", source: await xsBundle("xs-ws") });
		await bridge.worker.evaluate("bundles.ws.start()");
		await bridge.worker.evaluate(mode === "ws" ? `bundles.ws.openEcho(${server.port}, ${size})` : `bundles.ws.openRaw(${server.port}, ${out}, ${back})`);
		await bridge.waitForLog(`${mode === "ws" ? "echo" : "raw"} open`);
		const counts = { ...bridge.counts };
		const cost = await costPerRun(bridge.worker, async (start, token) => {
			await bridge.worker.evaluate(`${start} bundles.ws.rounds(N, token);`);
			await bridge.waitForLog(`echo done ${token}`, DEADLINE_MS);
			// A flush notice for the last write may still be on its way: let it land in this run.
			await bridge.idle();
			await new Promise((resolve) => setTimeout(resolve, 20));
			await bridge.idle();
		}, rounds);
		const runs = 1 + 1 + 2 + 1; // warm-up, N, 2N, N
		await bridge.worker.evaluate("bundles.ws.closeEcho()");
		return { cost, requests: (bridge.counts.requests - counts.requests) / (runs * rounds), events: (bridge.counts.events - counts.events) / (runs * rounds) };
	} finally {
		await bridge.close();
		await server.close();
	}
}

/** Answers every `out` bytes received with `back` bytes. */
async function rawEchoServer(out: number, back: number): Promise<{ port: number; close(): Promise<void> }> {
	const reply = Buffer.alloc(back, 7);
	const sockets = new Set<net.Socket>();
	const server = net.createServer((socket) => {
		sockets.add(socket);
		let pending = 0;
		socket.setNoDelay(true);
		socket.on("data", (bytes) => {
			for (pending += bytes.length; pending >= out; pending -= out) socket.write(reply);
		});
		socket.on("error", () => {});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	return {
		port: (server.address() as net.AddressInfo).port,
		close: async () => {
			for (const s of sockets) s.destroy();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}

describe("WebSocket client in XS: steady state", () => {
	for (const size of [100, 1000]) {
		test(`an echo round of ${size} B allocates nothing in the client, beyond the bridge's own`, async (t) => {
			const rounds = 100;
			const ws = await echoCost("ws", size, rounds);
			const raw = await echoCost("raw", size, rounds);
			t.diagnostic(`ws echo round (one ${size}-byte frame each way), client + bridge: ${describeCost(ws.cost)}; ${ws.requests} requests, ${ws.events} events per round`);
			t.diagnostic(`raw HAL socket, same bytes, bridge only: ${describeCost(raw.cost)}; ${raw.requests} requests, ${raw.events} events per round`);
			t.diagnostic(`the client alone, per round: compute ${Math.round(ws.cost.compute - raw.cost.compute)}`);
			assert.equal(ws.cost.gcDuringRun || raw.cost.gcDuringRun, false, "no collection inside the runs: the counts are exact");
			// The subtraction is fair only if both crossed the bridge the same way (a flush notice more or
			// less over all runs is timing, and would show in the counts below if it fell in a measured run).
			assert.ok(Math.abs(ws.requests - raw.requests) < 0.01 && Math.abs(ws.events - raw.events) < 0.01, "same bridge traffic per round");
			assert.equal(ws.cost.slots - raw.cost.slots, 0, "slots per round allocated by the WebSocket client");
			if (ws.cost.chunks !== null && raw.cost.chunks !== null) assert.equal(ws.cost.chunks - raw.cost.chunks, 0, "chunk bytes per round allocated by the WebSocket client");
			assert.equal(ws.cost.allocate, 0, "xsnap allocate meter per round");
		});
	}
});
