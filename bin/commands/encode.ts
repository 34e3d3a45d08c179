/** Encode JSON messages (the form decode prints) to hex lines. */
import { EncodeError, encodeMessageToBytes } from "../../src/protocol/index";
import { codecOptions, convertLines, messageFromJson } from "./json";

const USAGE = `usage: twx encode [--long-type-code=<n|none>] [--max-depth=<n>] [json]
Encodes one message given as JSON (the form twx decode prints), or, with no argument, one per stdin
line (JSON Lines). Prints one hex line per message.`;

export async function main(argv: string[]): Promise<number> {
	let parsed;
	try {
		parsed = codecOptions(argv);
	} catch (error) {
		process.stderr.write(`twx encode: ${(error as Error).message}\n${USAGE}\n`);
		return 2;
	}
	const { options, rest, flags } = parsed;
	if (flags.has("--help") || flags.has("-h")) {
		process.stdout.write(USAGE + "\n");
		return 0;
	}
	if (flags.size > 0) {
		process.stderr.write(`twx encode: unknown option ${[...flags][0]}\n${USAGE}\n`);
		return 2;
	}
	return convertLines({
		command: "encode",
		args: rest,
		convert: (line) => Buffer.from(encodeMessageToBytes(messageFromJson(JSON.parse(line)), options)).toString("hex"),
		explain: (error) => (error instanceof EncodeError ? error.reason : (error as Error).message),
	});
}
