/* The C SDK SteamSensor session capture (docs/protocol.md §10, CAP): frames by direction and request id. */
import { readFileSync } from "node:fs";
import { STEAMSENSOR_CAPTURE } from "../fixtures/capture-path";
import { ByteReader, ByteWriter, Code, decodeInfoTable, encodeMessageToBytes, readRequestHead, RequestHead } from "../../src/protocol";
import type { RequestMessage } from "../../src/protocol/model";
import type { Reply } from "../../src/client/entity";
import type { Thing } from "../../src/thing/index";
import { ParamsReader } from "../../src/protocol/params";

interface Frame {
	from: "edge" | "platform";
	what?: string;
	hex?: string;
	decoded?: { reqId?: number; content?: { rows: Array<Array<[number, string]>> } };
}

export function frames(): Frame[] {
	return readFileSync(STEAMSENSOR_CAPTURE, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Frame);
}

/** The hex of the edge frame with this request id (responses carry the platform's id). */
export function edgeFrame(reqId: number): string {
	const f = frames().find((x) => x.from === "edge" && x.decoded?.reqId === reqId);
	if (!f?.hex) throw new Error("no edge frame " + reqId);
	return f.hex;
}

/** The hex of the platform frame whose description starts with `what`. */
export function platformFrame(what: string): string {
	const f = frames().find((x) => x.from === "platform" && x.what?.startsWith(what));
	if (!f?.hex) throw new Error("no platform frame " + what);
	return f.hex;
}

/** The C SDK's GetMetadata JSON for SteamSensor (edge response 1005). */
export function capturedMetadata(): unknown {
	const f = frames().find((x) => x.from === "edge" && x.decoded?.reqId === 1005);
	const cell = f?.decoded?.content?.rows[0][0];
	if (!cell) throw new Error("no GetMetadata response in the capture");
	return JSON.parse(cell[1]);
}

export function bytes(hexText: string): Uint8Array {
	return new Uint8Array(Buffer.from(hexText, "hex"));
}

/**
 * Answers `request` as the client does: from its bytes (readRequestHead, the params opened, Thing.answer). A GET's
 * reply, which carries the property, gets the table the client would write for it, read back by the
 * codec; malformed params are BAD_REQUEST with the DecodeError's message, as the client answers them.
 */
export function dispatch(thing: Thing, request: RequestMessage): Reply | Promise<Reply> {
	const bytes = encodeMessageToBytes(request);
	const head = new RequestHead();
	readRequestHead(bytes, 0, bytes.length, head);
	let reply: Reply | Promise<Reply>;
	try {
		const params = new ParamsReader();
		params.open(bytes, head.paramsOffset, bytes.length);
		reply = thing.answer(bytes, head, params);
	} catch (error) {
		return { code: Code.BAD_REQUEST, reason: (error as Error).message, content: null, property: null };
	}
	if (reply instanceof Promise || reply.property === null) return reply;
	const w = new ByteWriter(new Uint8Array(65536));
	reply.property.writeTable(w);
	return { ...reply, property: null, content: decodeInfoTable(new ByteReader(w.buffer, 0, w.position)) };
}
