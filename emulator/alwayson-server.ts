/*
 * The AlwaysOn endpoint: WebSocket upgrades on /Thingworx/WS (permessage-deflate accepted with
 * context takeover both ways, as the C SDK offers it, §8.6), one EdgeConnection per socket, and a
 * periodic sweep for idle connections and stale multipart sets.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { Counters } from "./counters";
import { ConnectionState, EdgeConnection, type ConnectionConfig, type EdgeHandler } from "./edge-connection";
import type { Logger } from "./log";
import type { ProtocolLog } from "./protocol-log";

export const ALWAYSON_PATH = "/Thingworx/WS";

export interface HubConfig extends ConnectionConfig {
	/** 0 = never close idle connections. */
	idleTimeoutMs: number;
	perMessageDeflate: boolean;
	/** Chunk at chunkSize whatever the edge's Max-Frame-Size says. */
	ignoreMaxFrameSize: boolean;
}

export class AlwaysOnHub {
	readonly connections = new Set<EdgeConnection>();
	#wss: WebSocketServer;
	#config: HubConfig;
	#handler: EdgeHandler;
	#counters: Counters;
	#log: Logger;
	#frames: ProtocolLog;
	#nextId = 1;
	#sweep: NodeJS.Timeout;

	constructor(config: HubConfig, handler: EdgeHandler, counters: Counters, log: Logger, frames: ProtocolLog) {
		this.#config = config;
		this.#handler = handler;
		this.#counters = counters;
		this.#log = log;
		this.#frames = frames;
		this.#wss = new WebSocketServer({
			noServer: true,
			clientTracking: false,
			maxPayload: config.maxMessageSize,
			perMessageDeflate: config.perMessageDeflate
				? { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, zlibDeflateOptions: { level: 6 } }
				: false,
		});
		const period = config.idleTimeoutMs > 0 ? Math.min(5000, Math.max(100, config.idleTimeoutMs / 4)) : 5000;
		this.#sweep = setInterval(() => this.#sweepConnections(), period);
		this.#sweep.unref();
	}

	/** The live connection `id`, if any. */
	find(id: number): EdgeConnection | undefined {
		for (const connection of this.connections) if (connection.id === id) return connection;
		return undefined;
	}

	/** Takes the upgrade when it is for the AlwaysOn path; false leaves it to others. */
	handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
		const path = (request.url ?? "").split("?")[0];
		if (path !== ALWAYSON_PATH) return false;
		this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, request));
		return true;
	}

	#accept(ws: WebSocket, request: IncomingMessage): void {
		const declared = Number(request.headers["max-frame-size"]);
		const maxFrame = !this.#config.ignoreMaxFrameSize && Number.isInteger(declared) && declared >= 256 && declared <= 0xffff ? declared : Infinity;
		const remote = `${request.socket.remoteAddress}:${request.socket.remotePort}`;
		const connection = new EdgeConnection(this.#nextId++, ws, remote, maxFrame, this.#config, this.#handler, this.#counters, this.#log, this.#frames);
		this.connections.add(connection);
		this.#counters.connectionsOpened++;
		this.#log.info(`${connection.label}: WebSocket open${connection.deflate ? " (permessage-deflate)" : ""}`);
		ws.once("close", () => {
			this.connections.delete(connection);
			this.#counters.connectionsClosed++;
			this.#addReassemblerCounts(this.#counters, connection);
		});
	}

	#addReassemblerCounts(into: Counters, connection: EdgeConnection): void {
		const r = connection.reassembler;
		into.multipartDroppedStale += r.droppedStale;
		into.multipartDroppedOversize += r.droppedOversize;
		into.multipartDroppedInvalid += r.droppedInvalid;
		into.multipartDroppedDuplicate += r.droppedDuplicate;
		into.multipartDroppedBusy += r.droppedTooMany + r.droppedNoRoom;
	}

	/** Counters including the live connections' reassemblers. */
	snapshot(): Counters {
		const out = { ...this.#counters };
		for (const connection of this.connections) this.#addReassemblerCounts(out, connection);
		return out;
	}

	#sweepConnections(): void {
		const now = Date.now();
		for (const connection of this.connections) {
			connection.reassembler.sweep(now);
			const idle = now - connection.lastActivity;
			if (this.#config.idleTimeoutMs > 0 && connection.state === ConnectionState.OPEN && idle > this.#config.idleTimeoutMs) {
				this.#counters.idleCloses++;
				connection.close(1001, `idle for ${idle} ms`);
			}
		}
	}

	/** Closes every connection (1001) and waits until they are gone. */
	async close(): Promise<void> {
		clearInterval(this.#sweep);
		const gone = [...this.connections].map(
			(connection) => new Promise<void>((resolve) => {
				if (connection.state === ConnectionState.CLOSED) return resolve();
				connection.onceClosed(resolve);
				connection.close(1001, "emulator shutting down");
			}),
		);
		await Promise.all(gone);
		this.#wss.close();
	}
}
