/** Decode AlwaysOn messages (hex) to JSON lines. */
import { DecodeError, decodeMessage } from "../../src/protocol/index";
import { codecOptions, convertLines, messageToJson } from "./json";

const USAGE = `usage: twx decode [--pretty] [--long-type-code=<n|none>] [--max-depth=<n>] [hex...]
Decodes one AlwaysOn message given as hex (spaces and | allowed), or, with no hex argument, one per
stdin line (a capture line {"hex": ...} also works). Prints one JSON line per message; bytes are hex.`;

export async function main(argv: string[]): Promise<number> {
	let parsed;
	try {
		parsed = codecOptions(argv);
	} catch (error) {
		process.stderr.write(`twx decode: ${(error as Error).message}\n${USAGE}\n`);
		return 2;
	}
	const { options, rest, flags } = parsed;
	if (flags.has("--help") || flags.has("-h")) {
		process.stdout.write(USAGE + "\n");
		return 0;
	}
	const unknown = [...flags].filter((f) => f !== "--pretty");
	if (unknown.length > 0) {
		process.stderr.write(`twx decode: unknown option ${unknown[0]}\n${USAGE}\n`);
		return 2;
	}
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
