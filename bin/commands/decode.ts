/** Decode AlwaysOn messages (hex) to JSON lines. */
import { DecodeError, decodeMessage } from "../../src/protocol/index";
import { codecArguments, convertLines, messageToJson } from "./json";

const USAGE = `usage: twx decode [--pretty] [--long-type-code=<n|none>] [--max-depth=<n>] [hex...]
Decodes one AlwaysOn message given as hex (spaces and | allowed), or, with no hex argument, one per
stdin line (a capture line {"hex": ...} also works). Prints one JSON line per message; bytes are hex.`;

export async function main(argv: string[]): Promise<number> {
	const parsed = codecArguments("decode", USAGE, argv, ["--pretty"]);
	if (typeof parsed === "number") return parsed;
	const { options, rest, flags } = parsed;
	return convertLines({
		command: "decode",
		args: rest,
		convert(line) {
			const message = decodeMessage(hexBytes(line), options);
			return JSON.stringify(messageToJson(message), null, flags.has("--pretty") ? 2 : undefined);
		},
		explain: (error) => (error instanceof DecodeError ? `offset ${error.offset}: ${error.reason}` : (error as Error).message),
	});
}

function hexBytes(line: string): Uint8Array {
	let text = line;
	if (text.startsWith("{")) {
		const hex = (JSON.parse(text) as { hex?: unknown }).hex;
		if (typeof hex !== "string") throw new Error("JSON line without a hex field");
		text = hex;
	}
	text = text.replace(/[\s|]/g, "").replace(/^0x/i, "");
	if (!/^([0-9a-fA-F]{2})+$/.test(text)) throw new Error("not hex bytes");
	return new Uint8Array(Buffer.from(text, "hex"));
}
