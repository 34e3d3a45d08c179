/*
 * The emulator's log: levelled lines to a sink, with every configured application key replaced by
 * "***" before a line leaves (keys must never reach a log, whatever a message happens to contain).
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogSink = (level: LogLevel, message: string) => void;

const RANK: Readonly<Record<LogLevel, number>> = Object.freeze({ debug: 0, info: 1, warn: 2, error: 3 });

export class Logger {
	#sink: LogSink | null;
	#min: number;
	#secrets: readonly string[];

	constructor(sink: LogSink | null, secrets: readonly string[], level: LogLevel = "info") {
		this.#sink = sink;
		this.#secrets = secrets.filter((secret) => secret.length > 0);
		this.#min = RANK[level];
	}

	redact(text: string): string {
		let out = text;
		for (const secret of this.#secrets) if (out.includes(secret)) out = out.split(secret).join("***");
		return out;
	}

	write(level: LogLevel, message: string): void {
		if (this.#sink && RANK[level] >= this.#min) this.#sink(level, this.redact(message));
	}

	debug(message: string): void {
		this.write("debug", message);
	}

	info(message: string): void {
		this.write("info", message);
	}

	warn(message: string): void {
		this.write("warn", message);
	}

	error(message: string): void {
		this.write("error", message);
	}
}

/** A sink printing `time level message` lines to stderr (the CLI's). */
export function stderrSink(level: LogLevel, message: string): void {
	process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} ${message}\n`);
}
