/** Encode JSON messages (the form decode prints) to hex lines. */
import { EncodeError, encodeMessageToBytes } from "../../src/protocol/index";
import { codecArguments, convertLines, messageFromJson } from "./json";

const USAGE = `usage: twx encode [--long-type-code=<n|none>] [--max-depth=<n>] [json]
Encodes one message given as JSON (the form twx decode prints), or, with no argument, one per stdin
line (JSON Lines). Prints one hex line per message.`;

export async function main(argv: string[]): Promise<number> {
	const parsed = codecArguments("encode", USAGE, argv, []);
	if (typeof parsed === "number") return parsed;
	const { options, rest } = parsed;
	return convertLines({
		command: "encode",
		args: rest,
		convert: (line) => Buffer.from(encodeMessageToBytes(messageFromJson(JSON.parse(line)), options)).toString("hex"),
		explain: (error) => (error instanceof EncodeError ? error.reason : (error as Error).message),
	});
}
