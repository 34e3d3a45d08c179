/* The C SDK SteamSensor session capture (docs/protocol.md §0 CAP): edge frames from the SDK, platform frames from a test emulator. */
import { readFileSync } from "node:fs";
import { STEAMSENSOR_CAPTURE } from "../fixtures/capture-path";

export interface CaptureLine {
	from: "edge" | "platform";
	hex?: string;
	what?: string;
	control?: string;
	/** The capture tool's own decoding of edge frames (independent of our codec). */
	decoded?: {
		code: number;
		reqId: number;
		session: number;
		entity?: [number, string];
		char?: [number, string];
		params?: { fields: Array<[string, string, number, unknown[]]>; rows: unknown[][] };
		content?: { fields: Array<[string, string, number, unknown[]]>; rows: unknown[][] };
	};
}

export function loadCapture(): CaptureLine[] {
	return readFileSync(STEAMSENSOR_CAPTURE, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as CaptureLine);
}
