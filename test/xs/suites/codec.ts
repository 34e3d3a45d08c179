/*
 * XS side of test/xs/codec.test.ts: the codec, bundled by rollup like the device build, run on real XS.
 * Node passes frames as hex and compares what comes back with its own run of the same codec (and with
 * docs/protocol.md where the test says so). Every function returns plain JSON (see canonical.ts).
 */
import {
	ByteReader, ByteWriter, chunkCount, decodeMessage, decodeTypedValue, encodeChunk, encodeMessageToBytes, encodeName,
	encodeTypedValue, PushWriter, Reassembler, readRequestHead, RequestHead, bytesEqual, type ChunkMessage, type TypedValue,
} from "../../../src/protocol/index";
import { SteamPush } from "../../protocol/fixtures/steam-push";
import { canonical, fromCanonical, fromHex, toHex } from "./canonical";

export type Outcome = { value: unknown; hex?: string } | { error: { name: string; offset?: number; reason?: string; message: string } };

function attempt(run: () => { value: unknown; hex?: string }): Outcome {
	try {
		return run();
	} catch (e) {
		const error = e as Error & { offset?: number; reason?: string };
		return { error: { name: error.name, offset: error.offset, reason: error.reason, message: error.message } };
	}
}

/** Decodes each frame; for a decoded message also re-encodes it. */
export function decodeFrames(frames: string[]): Outcome[] {
	return frames.map((text) => attempt(() => {
		const message = decodeMessage(fromHex(text));
		const reencoded = message.kind === "chunk" ? undefined : toHexAll(encodeMessageToBytes(message));
		return { value: canonical(message), hex: reencoded };
	}));
}

/** Encodes each typed value (canonical JSON) on its own; decodes the bytes back. */
export function roundTripValues(values: unknown[]): Outcome[] {
	const w = new ByteWriter(new Uint8Array(65536));
	return values.map((json) => attempt(() => {
		w.position = 0;
		encodeTypedValue(w, fromCanonical(json) as TypedValue);
		const bytes = w.buffer.subarray(0, w.position);
		const r = new ByteReader(bytes);
		const back = decodeTypedValue(r);
		if (r.remaining !== 0) throw new Error(`${r.remaining} bytes left after decoding`);
		return { value: canonical(back), hex: toHexAll(bytes) };
	}));
}

/** Decodes typed values from hex (primitive snippets, malformed values). */
export function decodeValues(values: string[]): Outcome[] {
	return values.map((text) => attempt(() => {
		const r = new ByteReader(fromHex(text));
		const value = decodeTypedValue(r);
		return { value: canonical(value), hex: String(r.remaining) };
	}));
}

/** The SteamSensor push through PushWriter, and §10.7's one-row message. */
export function pushes(requestId: number, sessionId: number, timeMs: number): { steam: string; one: string } {
	const w = new ByteWriter(new Uint8Array(2048));
	const length = new SteamPush().write(w, requestId, sessionId, timeMs);
	const steam = toHex(w.buffer, 0, length);
	w.position = 0;
	const writer = new PushWriter();
	writer.begin(w, 4, 0xbeef, encodeName("SteamSensor"));
	writer.row(w, encodeName("Temperature"), { type: "NUMBER", value: 42.5 }, 1700000000000, encodeName("GOOD"));
	writer.end(w);
	return { steam, one: toHex(w.buffer, 0, w.position) };
}

/** readRequestHead's view of a request, plus name checks with bytesEqual. */
export function requestHead(text: string, entity: string, characteristic: string): Outcome {
	return attempt(() => {
		const bytes = fromHex(text);
		const head = new RequestHead();
		readRequestHead(bytes, 0, bytes.length, head);
		return {
			value: {
				...head,
				entityIs: bytesEqual(bytes, head.entityNameOffset, head.entityNameLength, encodeName(entity)),
				characteristicIs: bytesEqual(bytes, head.characteristicNameOffset, head.characteristicNameLength, encodeName(characteristic)),
			},
		};
	});
}

/** Splits a message into chunks of `chunkSize`, decodes each chunk and reassembles them in `order`. */
export function multipart(text: string, chunkSize: number, order: number[]): { chunks: string[]; reassembled: string | null; pending: number } {
	const message = fromHex(text);
	const count = chunkCount(message, message.length, chunkSize);
	const into = new Uint8Array(chunkSize);
	const chunks: string[] = [];
	for (let k = 1; k <= count; k++) chunks.push(toHex(into, 0, encodeChunk(message, message.length, k, chunkSize, into, 0)));
	const reassembler = new Reassembler({ maxMessageSize: 1 << 20, staleMs: 1000 });
	let reassembled: Uint8Array | null = null;
	for (const index of order) {
		const chunk = decodeMessage(fromHex(chunks[index]!)) as ChunkMessage;
		reassembled = reassembler.add(chunk, 0) ?? reassembled;
	}
	return { chunks, reassembled: reassembled && toHexAll(reassembled), pending: reassembler.pending };
}

function toHexAll(bytes: Uint8Array): string {
	return toHex(bytes, 0, bytes.length);
}
