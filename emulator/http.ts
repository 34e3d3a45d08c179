/* Small HTTP helpers shared by the REST API and the dashboard endpoints. */
import type { IncomingMessage, ServerResponse } from "node:http";

const MAX_BODY = 1 << 20;

export class HttpError extends Error {
	readonly status: number;
	constructor(status: number, message: string) {
		super(message);
		this.status = status;
	}
	override get name(): string {
		return "HttpError";
	}
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body);
	res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
	res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
	res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store", ...headers });
	res.end(text);
}

export function sendEmpty(res: ServerResponse, status = 200): void {
	res.writeHead(status, { "Content-Length": 0, "Cache-Control": "no-store" });
	res.end();
}

/** The body parsed as a JSON object ({} when empty). */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req as AsyncIterable<Buffer>) {
		size += chunk.length;
		if (size > MAX_BODY) throw new HttpError(413, `request body larger than ${MAX_BODY} bytes`);
		chunks.push(chunk);
	}
	const text = Buffer.concat(chunks).toString("utf8").trim();
	if (!text) return {};
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		throw new HttpError(400, `body is not JSON: ${(error as Error).message}`);
	}
	if (!value || typeof value !== "object" || Array.isArray(value)) throw new HttpError(400, "body must be a JSON object");
	return value as Record<string, unknown>;
}

/** Path segments, percent-decoded. */
export function segments(path: string): string[] {
	try {
		return path.split("/").filter(Boolean).map(decodeURIComponent);
	} catch {
		throw new HttpError(400, "malformed percent-encoding in the path");
	}
}
