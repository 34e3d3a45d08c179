/** Run the SteamSensor device: against an in-process emulator, or a real ThingWorx. */
import { randomBytes } from "node:crypto";
import { createNodeHal } from "../../hal/node/index";
import type { LogLevel } from "../../hal/hal";
import { startEmulator, stderrSink, type Emulator } from "../../emulator/index";
import { startSteamSensor, type SteamSensor } from "../../src/apps/steamsensor/index";
import { createSimulatedDrivers } from "../../src/drivers/index";
import { gatewayConfig } from "../../src/gateway/config";
import { EdgeGateway } from "../../src/gateway/edge-gateway";
import { permessageDeflate } from "../../src/ws/deflate";
import { curlLines } from "./ems";

const USAGE = `usage: npm start [-- [options]]                        SteamSensor + emulator on this machine
       npm start -- [options] <host> <port> <appKey> [<thingName>]   SteamSensor + a real ThingWorx
       npm start -- --ems [options] [<host> <port> <appKey>]     the edge gateway instead of the SteamSensor
       (or: twx start ...)

With no host, an AlwaysOn platform emulator starts in this process and the SteamSensor (simulated
drivers) connects to it; open the dashboard URL that is printed to watch and drive it. With a host,
the SteamSensor connects to that ThingWorx instead, in the C SDK example's argument order
(thingName defaults to SteamSensor). Each step is printed as it happens; Ctrl-C unbinds, closes and exits.

options:
  --tls              wss:// with certificate verification (default: ws://, as the C SDK on 80/8080)
  --insecure         wss:// accepting any certificate (self-signed test platforms); implies --tls
  --path=<path>      WebSocket path (default /Thingworx/WS)
  --emulator-port=<n>  port of the local emulator (default 8080; 0 = any free port)
  --scan-rate=<ms>   how often the SteamSensor reads its drivers and pushes (default 5000)
  --ems              run the edge gateway (EMS-style local REST server) instead of the SteamSensor, and
                     print the curl lines that register a thing and push its values from another terminal
  --ems-port=<n>     the gateway's HTTP port on 127.0.0.1 (default 8000; 0 = any free port)
  --verbose          the client's and the emulator's own log lines too
  --help             this text

The application key is used for AUTH only: it is never printed or logged. Give "-" as <appKey> to read
it from the environment variable TWX_APP_KEY instead of the command line (which other users may see).`;

interface Options {
	tls: boolean;
	insecure: boolean;
	path: string;
	emulatorPort: number;
	scanRateMs: number;
	verbose: boolean;
	ems: boolean;
	emsPort: number;
	remote: { host: string; port: number; appKey: string; thingName: string } | null;
}

class UsageError extends Error {}

function number(value: string, what: string, min: number, max: number): number {
	const n = Number(value);
	if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${what} must be an integer from ${min} to ${max}`);
	return n;
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Options | "help" {
	const o: Options = { tls: false, insecure: false, path: "/Thingworx/WS", emulatorPort: 8080, scanRateMs: 5000, verbose: false, ems: false, emsPort: 8000, remote: null };
	const positional: string[] = [];
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
		const value = (): string => {
			if (inline !== undefined) return inline;
			if (i + 1 >= argv.length) throw new UsageError(`${flag} needs a value`);
			return argv[++i];
		};
		switch (flag) {
			case "--help": case "-h": return "help";
			case "--tls": o.tls = true; break;
			case "--insecure": o.tls = true; o.insecure = true; break;
			case "--verbose": o.verbose = true; break;
			case "--ems": o.ems = true; break;
			case "--ems-port": o.emsPort = number(value(), "--ems-port", 0, 65535); break;
			case "--path": o.path = value(); if (!o.path.startsWith("/")) throw new UsageError("--path must start with /"); break;
			case "--emulator-port": o.emulatorPort = number(value(), "--emulator-port", 0, 65535); break;
			case "--scan-rate": o.scanRateMs = number(value(), "--scan-rate", 10, 86400000); break;
			default:
				if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option ${arg}`);
				positional.push(arg);
		}
	}
	if (positional.length === 0) return o;
	if (positional.length < 3 || positional.length > 4) throw new UsageError("give <host> <port> <appKey> [<thingName>], or nothing for the emulator");
	const [host, port, key, thingName = "SteamSensor"] = positional;
	const appKey = key === "-" ? env.TWX_APP_KEY ?? "" : key;
	if (!appKey) throw new UsageError(key === "-" ? "TWX_APP_KEY is empty" : "the application key is empty");
	o.remote = { host, port: number(port, "<port>", 1, 65535), appKey, thingName };
	return o;
}

function stamp(): string {
	return new Date().toISOString().slice(11, 23);
}

function say(text: string): void {
	process.stdout.write(`[${stamp()}] ${text}\n`);
}

async function listen(port: number, appKey: string, verbose: boolean): Promise<Emulator> {
	// A throw-away emulator on loopback: its dashboard link keeps working for as long as this runs.
	const options = { port, appKeys: [appKey], log: verbose ? stderrSink : null, logLevel: "info" as const, dashboardLink: "reusable" as const };
	try {
		return await startEmulator(options);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || port === 0) throw error;
		say(`port ${port} is busy: the emulator takes any free port`);
		return startEmulator({ ...options, port: 0 });
	}
}

export async function main(argv: string[]): Promise<number> {
	let options: Options | "help";
	try {
		options = parseArgs(argv);
	} catch (error) {
		if (!(error instanceof UsageError)) throw error;
		process.stderr.write(`start: ${error.message}\n\n${USAGE}\n`);
		return 2;
	}
	if (options === "help") {
		process.stdout.write(USAGE + "\n");
		return 0;
	}
	const o = options;
	let emulator: Emulator | null = null;
	let target: { host: string; port: number; appKey: string; thingName: string };
	if (o.remote) {
		target = o.remote;
	} else {
		const appKey = randomBytes(16).toString("hex");
		emulator = await listen(o.emulatorPort, appKey, o.verbose);
		say(`emulator listening: AlwaysOn ${emulator.url}, REST ${emulator.restUrl}`);
		say(`dashboard: ${emulator.dashboardUrl} (works until you stop npm start, in any browser on this machine)`);
		target = { host: emulator.host === "0.0.0.0" ? "127.0.0.1" : emulator.host, port: emulator.port, appKey, thingName: "SteamSensor" };
	}
	const secret = target.appKey;
	const logLevel: LogLevel = o.verbose ? "debug" : "warn";
	const hal = createNodeHal({ logLevel, logSink: (level, message) => process.stderr.write(`[${stamp()}] ${level}: ${message}\n`) });
	if (o.ems) return runGateway(hal, target, o, emulator);
	const scheme = o.tls ? "wss" : "ws";
	say(`SteamSensor "${target.thingName}" connecting to ${scheme}://${target.host}:${target.port}${o.path}`);
	let lastState = "";
	let sensor: SteamSensor;
	try {
		sensor = startSteamSensor({
			hal,
			drivers: createSimulatedDrivers({ random: Math.random }),
			config: {
				host: target.host,
				port: target.port,
				tls: o.tls ? (o.insecure ? { insecure: true } : true) : false,
				path: o.path,
				appKey: () => secret,
				thingName: target.thingName,
				scanRateMs: o.scanRateMs,
				logDirectory: process.cwd() + "/logs",
			},
			callbacks: {
				onStateChange(state) {
					if (state === "authenticating") say("connected (WebSocket open)");
					else if (state === "waiting" && lastState !== "waiting") say("not connected: retrying with back-off");
					lastState = state;
				},
				onAuthenticated: (credential) => say(`authenticated (${credential})`),
				onBound: (name) => say(`bound ${name}`),
				onUnbound: (name) => say(`unbound ${name}`),
				onSynchronized: (name) => say(`synchronized ${name}`),
				onPush: (name, rows, bytes) => say(`pushing ${rows} value${rows === 1 ? "" : "s"} of ${name} (${bytes} bytes)`),
				onDropped: (name, rows, total) => say(rows < 0 ? `${name}: a value too large to push was refused` : `${name}: offline queue full, ${rows} oldest value(s) dropped (${total} in all)`),
				onError: (error) => say(`error: ${error.message}`),
			},
		});
	} catch (error) {
		process.stderr.write(`start: ${(error as Error).message}\n`);
		await emulator?.close();
		return 1;
	}
	await interrupted();
	say("stopping: UNBIND and close");
	await sensor.stop();
	if (emulator) await emulator.close();
	say("stopped");
	return 0;
}

/** Resolves at the first Ctrl-C (or SIGTERM); a second one exits at once. */
function interrupted(): Promise<void> {
	return new Promise<void>((resolve) => {
		const quit = (): void => {
			process.off("SIGINT", quit);
			process.off("SIGTERM", quit);
			process.once("SIGINT", () => process.exit(130));
			resolve();
		};
		process.on("SIGINT", quit);
		process.on("SIGTERM", quit);
	});
}

/** --ems: the edge gateway on that platform, its REST server on loopback, the curl lines to try it printed. */
async function runGateway(hal: ReturnType<typeof createNodeHal>, target: { host: string; port: number; appKey: string }, o: Options, emulator: Emulator | null): Promise<number> {
	const secret = target.appKey;
	let gateway: EdgeGateway;
	let port: number;
	try {
		const config = gatewayConfig({
			ws_servers: [{ host: target.host, port: target.port }],
			ws_connection: { encryption: o.tls ? "ssl" : "none", verify: !o.insecure },
			http_server: { port: o.emsPort },
		});
		gateway = new EdgeGateway(hal, config, () => secret, permessageDeflate);
		const client = gateway.client;
		client.onAuthenticated = (credential) => say(`authenticated (${credential})`);
		client.onBound = (name) => say(`bound ${name}`);
		client.onUnbound = (name) => say(`unbound ${name}`);
		client.onSynchronized = (name) => say(`synchronized ${name}`);
		client.onPush = (name, rows, bytes) => say(`pushing ${rows} value${rows === 1 ? "" : "s"} of ${name} (${bytes} bytes)`);
		client.onError = (error) => say(`error: ${error.message}`);
		port = await listenGateway(gateway, o.emsPort);
	} catch (error) {
		process.stderr.write(`start: ${(error as Error).message}
`);
		await emulator?.close();
		return 1;
	}
	say(`gateway listening: http://127.0.0.1:${port} (loopback only), platform ${o.tls ? "wss" : "ws"}://${target.host}:${target.port}`);
	say("from another terminal, register a thing, push a value, read it back, list and remove:");
	for (const line of curlLines(`http://127.0.0.1:${port}`, "MyEdgeThing", "")) process.stdout.write(`  ${line}\n`);
	await interrupted();
	say("stopping: UNBIND and close");
	await gateway.stop();
	if (emulator) await emulator.close();
	say("stopped");
	return 0;
}

/** Starts the gateway; when its port is taken, on any free one. */
async function listenGateway(gateway: EdgeGateway, port: number): Promise<number> {
	try {
		return await gateway.start();
	} catch (error) {
		if (!/EADDRINUSE/.test(String((error as Error).message) + String((error as NodeJS.ErrnoException).code)) || port === 0) throw error;
		say(`port ${port} is busy: the gateway takes any free port`);
		return gateway.server.listen({ host: "127.0.0.1", port: 0 });
	}
}
