// Shared by the protocol tests: hex conversion and the C SDK capture.
import { readFileSync } from "node:fs";
import { STEAMSENSOR_CAPTURE } from "../fixtures/capture-path";

export function unhex(text: string): Uint8Array {
	const clean = text.replace(/[\s|]/g, "");
	if (!/^([0-9a-f]{2})*$/i.test(clean)) throw new Error("bad hex: " + text);
	return new Uint8Array(Buffer.from(clean, "hex"));
}

export function hex(bytes: Uint8Array): string {
	return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** ASCII text as hex (for transcribing docs/protocol.md's `"Temperature"` notation). */
export function ascii(text: string): string {
	return Buffer.from(text, "latin1").toString("hex");
}

export interface CaptureFrame {
	line: number;
	from: "edge" | "platform";
	hex: string;
	what?: string;
	// The capture tool's own notation (see capture.test.ts).
	decoded?: Record<string, unknown>;
}

/** Every capture line that carries a frame (control-frame lines have no hex). */
export function captureFrames(): CaptureFrame[] {
	return readFileSync(STEAMSENSOR_CAPTURE, "utf8")
		.split("\n")
		.map((text, index) => ({ text, line: index + 1 }))
		.filter(({ text }) => text.trim() !== "")
		.map(({ text, line }) => ({ line, ...JSON.parse(text) }))
		.filter((frame) => typeof frame.hex === "string");
}
