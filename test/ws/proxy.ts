/*
 * A TCP proxy that re-cuts the byte stream in both directions: each piece is written on its own
 * event-loop turn with Nagle off, so the client's reads see the cuts (or smaller ones).
 */
import { once } from "node:events";
import * as net from "node:net";

export interface SplittingProxy {
	port: number;
	close(): Promise<void>;
}

/** `toClient()` / `toServer()` give the size of the next piece (>= 1) in each direction. */
export async function splittingProxy(targetPort: number, toClient: () => number, toServer: () => number = toClient): Promise<SplittingProxy> {
	const sockets = new Set<net.Socket>();
	const server = net.createServer((client) => {
		const upstream = net.connect({ host: "127.0.0.1", port: targetPort });
		for (const s of [client, upstream]) {
			sockets.add(s);
			s.setNoDelay(true);
			s.on("error", () => {});
			s.on("close", (hadError) => {
				sockets.delete(s);
				// An orderly end is relayed after the queued bytes (see relay); a reset is passed on at once.
				if (hadError) (s === client ? upstream : client).destroy();
			});
		}
		relay(client, upstream, toServer);
		relay(upstream, client, toClient);
	});
	server.listen(0, "127.0.0.1");
	await once(server, "listening");
	return {
		port: (server.address() as net.AddressInfo).port,
		async close() {
			for (const s of sockets) s.destroy();
			server.close();
			await once(server, "close");
		},
	};
}

function relay(from: net.Socket, to: net.Socket, cut: () => number): void {
	const queue: Buffer[] = [];
	let pumping = false;
	let ended = false;
	const pump = async (): Promise<void> => {
		pumping = true;
		while (queue.length > 0 && !to.destroyed) {
			let chunk = queue[0];
			const size = Math.max(1, Math.min(cut(), chunk.length));
			if (size < chunk.length) {
				queue[0] = chunk.subarray(size);
				chunk = chunk.subarray(0, size);
			} else {
				queue.shift();
			}
			if (!to.write(chunk)) await once(to, "drain").catch(() => {});
			await new Promise((resolve) => setImmediate(resolve));
		}
		pumping = false;
		if (ended && queue.length === 0 && !to.destroyed) to.end();
	};
	from.on("data", (data: Buffer) => {
		queue.push(data);
		if (!pumping) void pump();
	});
	from.on("end", () => {
		ended = true;
		if (!pumping && queue.length === 0) to.end();
	});
}
