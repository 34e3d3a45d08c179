/*
 * A bounded log of decoded AlwaysOn frames for the dashboard: one line per message each way, with
 * the decoded message kept for the detail view. AUTH claim values are replaced before anything is
 * kept, so no application key ever sits in the log.
 */
import { codeName } from "../src/protocol";
import type { ChunkMessage, Message } from "../src/protocol/model";
import { infoTableToJson } from "./infotable-json";
import { Ring } from "./ring";

export interface FrameEntry {
	id: number;
	time: number;
	connection: number;
	direction: "in" | "out";
	bytes: number;
	summary: string;
	/** The decoded message (AUTH claims redacted); null when it did not decode or is over 64 KiB. */
	message: Message | ChunkMessage | null;
}

const CHARACTERISTICS = ["?", "Properties", "Services", "Events"];
/** Larger messages are logged by summary only: the log is bounded in bytes, not just entries. */
const MAX_KEPT_BYTES = 64 * 1024;

/** One line: `POST SteamSensor/Services/AddNumbers #1004`, `SUCCESS #1004 (InfoTable 1x1)`. */
export function describe(message: Message | ChunkMessage): string {
	const id = `#${message.requestId}`;
	switch (message.kind) {
		case "request": {
			const rows = message.params ? ` (${message.params.rows.length}x${message.params.fields.length})` : "";
			const what = CHARACTERISTICS[message.characteristicType] ?? `char${message.characteristicType}`;
			return `${codeName(message.code)} ${message.entityName}/${what}/${message.characteristicName} ${id}${rows}`;
		}
		case "response": {
			const reason = message.reason ? ` "${message.reason}"` : "";
			const content = message.content ? ` (InfoTable ${message.content.rows.length}x${message.content.fields.length})` : "";
			return `${codeName(message.code)} ${id}${reason}${content}`;
		}
		case "auth":
			return `AUTH ${id} (${message.claims.map(([name]) => name).join(", ")})`;
		case "bind":
		case "unbind": {
			const gateway = message.gateway ? ` via ${message.gateway.name}/${message.gateway.type}` : "";
			return `${message.kind.toUpperCase()} ${message.names.join(", ")} ${id}${gateway}`;
		}
		case "keepalive":
			return `KEEP_ALIVE ${id}`;
		case "chunk":
			return `${codeName(message.code)} ${id} chunk ${message.chunkId}/${message.chunkCount} (${message.data.length} B)`;
	}
}

function redact(message: Message | ChunkMessage): Message | ChunkMessage {
	if (message.kind !== "auth") return message;
	return { ...message, claims: message.claims.map(([name]) => [name, "***"] as [string, string]) };
}

/** The decoded message as JSON for the dashboard's detail view. */
export function messageToJson(message: Message | ChunkMessage): Record<string, unknown> {
	const out: Record<string, unknown> = { ...message, codeName: codeName(message.code) };
	if (message.kind === "request" && message.params) out.params = infoTableToJson(message.params);
	if (message.kind === "response" && message.content) out.content = infoTableToJson(message.content);
	if (message.kind === "chunk") out.data = `${message.data.length} bytes`;
	return out;
}

export class ProtocolLog {
	readonly entries: Ring<FrameEntry>;
	#nextId = 1;
	#listeners = new Set<(entry: FrameEntry) => void>();

	constructor(capacity: number) {
		this.entries = new Ring(capacity);
	}

	on(listener: (entry: FrameEntry) => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	add(connection: number, direction: "in" | "out", bytes: number, message: Message | ChunkMessage | null, summary?: string): void {
		const entry: FrameEntry = {
			id: this.#nextId++,
			time: Date.now(),
			connection,
			direction,
			bytes,
			summary: summary ?? (message ? describe(message) : "?"),
			message: message && bytes <= MAX_KEPT_BYTES ? redact(message) : null,
		};
		this.entries.push(entry);
		for (const listener of this.#listeners) listener(entry);
	}

	find(id: number): FrameEntry | undefined {
		const first = this.entries.at(0);
		return first ? this.entries.at(id - first.id) : undefined;
	}
}
