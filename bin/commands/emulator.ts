/** Run the ThingWorx platform emulator: AlwaysOn server, REST API and live dashboard. */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startEmulator, stderrSink, WEDGE_MODES, type LogLevel, type WedgeMode } from "../../emulator/index";

const USAGE = `usage: twx emulator [--port 8080] [--host 127.0.0.1] [--app-key KEY]... [--tls CERT,KEY]
                    [--bind-policy auto-create|not-found] [--auth-timeout MS] [--request-timeout MS]
                    [--idle-timeout MS] [--log-level debug|info|warn|error] [--wedge THING=MODE]...
Runs the emulator until interrupted. Without --app-key a random key is generated. The dashboard URL
(with a one-time login token) and the key are printed once; the log never shows the key.
--wedge wedges every connection that binds THING (MODE silent, fragment or chunk: a broken platform on
purpose, for tests; POST /Emulator/Wedge changes it while running).`;

const LEVELS: readonly string[] = ["debug", "info", "warn", "error"];

function integer(text: string | undefined, name: string, fallback: number): number {
	if (text === undefined) return fallback;
	const value = Number(text);
	if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
	return value;
}

export async function main(argv: string[]): Promise<number> {
	let options;
	try {
		const { values } = parseArgs({
			args: argv,
			options: {
				port: { type: "string" },
				host: { type: "string" },
				"app-key": { type: "string", multiple: true },
				tls: { type: "string" },
				"bind-policy": { type: "string" },
				"auth-timeout": { type: "string" },
				"request-timeout": { type: "string" },
				"idle-timeout": { type: "string" },
				"log-level": { type: "string" },
				wedge: { type: "string", multiple: true },
				help: { type: "boolean", short: "h" },
			},
			strict: true,
			allowPositionals: false,
		});
		if (values.help) {
			process.stdout.write(USAGE + "\n");
			return 0;
		}
		const policy = values["bind-policy"] ?? "auto-create";
		if (policy !== "auto-create" && policy !== "not-found") throw new Error(`--bind-policy must be auto-create or not-found, got ${policy}`);
		const level = values["log-level"] ?? "info";
		if (!LEVELS.includes(level)) throw new Error(`--log-level must be one of ${LEVELS.join(", ")}`);
		let tls: { cert: Buffer; key: Buffer } | undefined;
		if (values.tls !== undefined) {
			const [certFile, keyFile, extra] = values.tls.split(",");
			if (!certFile || !keyFile || extra !== undefined) throw new Error("--tls takes CERT,KEY (two PEM files)");
			tls = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
		}
		const wedge: Record<string, WedgeMode> = {};
		for (const item of values.wedge ?? []) {
			const [thing, mode] = item.split("=");
			if (!thing || !WEDGE_MODES.includes(mode as WedgeMode) || mode === "none") throw new Error(`--wedge takes THING=MODE (MODE silent, fragment or chunk), got ${JSON.stringify(item)}`);
			wedge[thing] = mode as WedgeMode;
		}
		const keys = values["app-key"] ?? [];
		if (keys.some((key) => key.length === 0)) throw new Error("--app-key must not be empty");
		options = {
			port: integer(values.port, "--port", 8080),
			host: values.host ?? "127.0.0.1",
			appKeys: keys.length ? keys : [randomUUID()],
			tls,
			bindPolicy: policy as "auto-create" | "not-found",
			authTimeoutMs: integer(values["auth-timeout"], "--auth-timeout", 15000),
			requestTimeoutMs: integer(values["request-timeout"], "--request-timeout", 30000),
			idleTimeoutMs: integer(values["idle-timeout"], "--idle-timeout", 60000),
			log: stderrSink,
			logLevel: level as LogLevel,
			wedge,
		};
	} catch (error) {
		process.stderr.write(`twx emulator: ${(error as Error).message}\n${USAGE}\n`);
		return 2;
	}

	let emulator;
	try {
		emulator = await startEmulator(options);
	} catch (error) {
		process.stderr.write(`twx emulator: cannot start: ${(error as Error).message}\n`);
		return 1;
	}
	process.stdout.write(
		`ThingWorx emulator running (Ctrl-C stops it)\n` +
		`  AlwaysOn   ${emulator.url}\n` +
		`  REST       ${emulator.restUrl}\n` +
		`  Dashboard  ${emulator.dashboardUrl}\n` +
		`  App key    ${options.appKeys.join(", ")}\n`,
	);
	const signal = await new Promise<NodeJS.Signals>((resolve) => {
		process.once("SIGINT", resolve);
		process.once("SIGTERM", resolve);
	});
	process.stderr.write(`twx emulator: ${signal}, stopping\n`);
	await emulator.close();
	return 0;
}
