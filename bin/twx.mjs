#!/usr/bin/env node
// `twx <command> [args]`: runs bin/commands/<command>.ts (through tsx) and exits with its main()'s code.
import { register } from "tsx/esm/api";
import { readdirSync, readFileSync } from "node:fs";

const dir = new URL("./commands/", import.meta.url);

/** Command modules: the .ts files in bin/commands that export main(); the summary is their first comment line. */
function commands() {
	return readdirSync(dir)
		.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
		.map((file) => ({ name: file.slice(0, -3), text: readFileSync(new URL(file, dir), "utf8") }))
		.filter(({ text }) => /export\s+(async\s+)?function\s+main\b|export\s+const\s+main\b/.test(text))
		.map(({ name, text }) => ({ name, summary: /^\s*(?:\/\*\*?|\/\/)\s*(.*?)(?:\s*\*\/)?$/m.exec(text)?.[1] ?? "" }))
		.sort((a, b) => a.name.localeCompare(b.name));
}

function help() {
	const list = commands().map(({ name, summary }) => `  ${name.padEnd(10)} ${summary}`).join("\n");
	return `usage: twx <command> [args]   (twx <command> --help for its options)\n\ncommands:\n${list}\n`;
}

const [command, ...args] = process.argv.slice(2);
if (command === undefined || command === "--help" || command === "-h" || command === "help") {
	process.stdout.write(help());
	process.exitCode = command === undefined ? 2 : 0;
} else if (!commands().some(({ name }) => name === command)) {
	process.stderr.write(`twx: unknown command "${command}"\n${help()}`);
	process.exitCode = 2;
} else {
	register();
	const module = await import(new URL(`${command}.ts`, dir).href);
	process.exitCode = await module.main(args);
}
