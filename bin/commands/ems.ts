/** Run the edge gateway (EMS-style local REST server on one AlwaysOn connection) from an EMS-shaped config.json. */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createNodeHal } from "../../hal/node/index";
import { ConfigError, gatewayConfig, type GatewayConfig } from "../../src/gateway/config";
import { EdgeGateway } from "../../src/gateway/edge-gateway";
import { permessageDeflate } from "../../src/ws/deflate";

const USAGE = `usage: twx ems --config config.json [--app-key-file FILE] [--store FILE]

Connects to the platform named in ws_servers and serves the EMS's local REST interface on http_server
(127.0.0.1:8000 by default). The application key comes from, in this order: --app-key-file (read at
every AUTH, so it can be rotated), the environment variable TWX_APP_KEY, or "appKey" in the config.
It is never printed or logged. http_server.certificate and private_key name PEM files (relative to
the config file). Registrations made with "persist": true are kept in --store (default: ems-store.json
beside the config) and bound again at the next start. Ctrl-C unbinds, closes and exits.`;

/** The config file read, its PEM file names replaced by their text. */
export function readConfig(path: string): GatewayConfig {
	let json: Record<string, unknown>;
	try {
		json = JSON.parse(readFileSync(path, "utf8"));
	} catch (error) {
		throw new ConfigError(`${path}: ${(error as Error).message}`);
	}
	const http = json.http_server as Record<string, unknown> | undefined;
	if (http && http.ssl === true) {
		for (const key of ["certificate", "private_key"]) {
			if (typeof http[key] !== "string" || http[key] === "") continue;
			const file = resolve(dirname(path), http[key] as string);
			try {
				http[key] = readFileSync(file, "utf8");
			} catch (error) {
				throw new ConfigError(`http_server.${key}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
			}
		}
	}
	return gatewayConfig(json);
}

/** Where the key comes from: a file read at every AUTH, the environment, or the config. */
export function keySource(config: GatewayConfig, keyFile: string | undefined, env: NodeJS.ProcessEnv): () => string {
	if (keyFile !== undefined) return () => readFileSync(keyFile, "utf8").trim();
	const fromEnv = env.TWX_APP_KEY;
	if (fromEnv) return () => fromEnv;
	if (config.appKey) {
		const key = config.appKey;
		return () => key;
	}
	throw new ConfigError("no application key: give --app-key-file, set TWX_APP_KEY, or put appKey in the config");
}

/** The lines a user pastes to try the gateway (`base`: http://host:port). */
export function curlLines(base: string, thing: string, auth: string): string[] {
	const things = `${base}/Thingworx/Things`;
	const json = `-H 'Content-Type: application/json'`;
	return [
		`curl -sS ${auth}-X POST ${json} -d '{"name":"${thing}","persist":true}' ${things}/LocalEms/Services/AddEdgeThing`,
		`curl -sS ${auth}-X PUT ${json} -d '{"Temperature": 21.5}' ${things}/${thing}/Properties/Temperature`,
		`curl -sS ${auth}${things}/${thing}/Properties/Temperature`,
		`curl -sS ${auth}-X POST ${things}/LocalEms/Services/GetEdgeThings`,
		`curl -sS ${auth}-X POST ${json} -d '{"name":"${thing}"}' ${things}/LocalEms/Services/RemoveEdgeThing`,
	];
}

export async function main(argv: string[]): Promise<number> {
	let config: GatewayConfig;
	let appKey: () => string;
	let store: string;
	try {
		const { values } = parseArgs({
			args: argv,
			options: { config: { type: "string" }, "app-key-file": { type: "string" }, store: { type: "string" }, help: { type: "boolean", short: "h" } },
			strict: true,
			allowPositionals: false,
		});
		if (values.help) {
			process.stdout.write(USAGE + "\n");
			return 0;
		}
		if (values.config === undefined) throw new ConfigError("--config is required");
		config = readConfig(values.config);
		appKey = keySource(config, values["app-key-file"], process.env);
		store = values.store ?? resolve(dirname(values.config), "ems-store.json");
	} catch (error) {
		process.stderr.write(`twx ems: ${(error as Error).message}\n\n${USAGE}\n`);
		return 2;
	}
	const hal = createNodeHal({ logLevel: config.logger.level, storePath: store, logSink: (level, message) => process.stderr.write(`${new Date().toISOString()} ${level}: ${message}\n`) });
	let gateway: EdgeGateway;
	let port: number;
	try {
		gateway = new EdgeGateway(hal, config, appKey, permessageDeflate);
		port = await gateway.start();
	} catch (error) {
		process.stderr.write(`twx ems: ${(error as Error).message}\n`);
		return 1;
	}
	const h = config.http_server;
	const base = `${h.ssl ? "https" : "http"}://${h.host.includes(":") ? `[${h.host}]` : h.host}:${port}`;
	const auth = h.authenticate ? `-u ${h.user}:<password> ` : "";
	process.stdout.write(`gateway listening on ${base}, platform ${config.ws_servers[0].host}:${config.ws_servers[0].port} (Ctrl-C stops it)\ntry:\n${curlLines(base, "MyEdgeThing", auth).map((l) => "  " + l).join("\n")}\n`);
	await new Promise<void>((done) => {
		process.once("SIGINT", () => done());
		process.once("SIGTERM", () => done());
	});
	process.stdout.write("stopping: UNBIND and close\n");
	await gateway.stop();
	return 0;
}
