/*
 * XS side of test/xs/gateway.test.ts: the whole EdgeGateway (src/gateway/edge-gateway.ts) on hal/xs,
 * its AlwaysOn connection and its HTTP listener both carried by the bridge's node:net sockets. The
 * app key comes from the HAL store at each AUTH; what the host needs to know arrives as log lines.
 */
import { createXsHal, type XsHal } from "../../../hal/xs/device";
import { gatewayConfig } from "../../../src/gateway/config";
import { EdgeGateway } from "../../../src/gateway/edge-gateway";

let hal: XsHal | null = null;
let gateway: EdgeGateway | null = null;
/** Further gateways on the same device, by name, each with its own http_server settings. */
const named = new Map<string, EdgeGateway>();

/**
 * Starts a gateway against the platform at host:port, HTTP on loopback; logs "gateway: listening <port>",
 * or with a name "gateway <name>: listening <port>" (then `http_server` is merged into its settings).
 */
export function start(options: { host: string; port: number; name?: string; http_server?: Record<string, unknown> }): void {
	hal ??= createXsHal({ logLevel: "info" });
	const h = hal;
	const config = gatewayConfig({
		ws_servers: [{ host: options.host, port: options.port }],
		ws_connection: { encryption: "none", compression: false },
		http_server: { port: 0, ...options.http_server },
		things: { max_things: 4 },
		logger: { level: "info" },
	});
	const started = new EdgeGateway(h, config, () => h.store.get("appKey") ?? "");
	const label = options.name ? "gateway " + options.name : "gateway";
	if (options.name) named.set(options.name, started);
	else gateway = started;
	started.start().then(
		(port) => h.log("info", label + ": listening " + port),
		(error: Error) => h.log("error", label + ": start failed " + error.message),
	);
}

/** Closes the HTTP server, UNBINDs and closes; logs "gateway: stopped" (or "gateway <name>: stopped"). */
export function stop(name?: string): void {
	const label = name ? "gateway " + name : "gateway";
	(name ? named.get(name)! : gateway!).stop().then(
		() => hal!.log("info", label + ": stopped"),
		(error: Error) => hal!.log("error", label + ": stop failed " + error.message),
	);
}

/** What the edge client holds, as JSON text: connected, and per registered thing bound/synchronized. */
export function state(): string {
	const client = gateway!.client;
	return JSON.stringify({
		connected: client.connected,
		things: client.things.map((t) => ({ name: t.name, synchronized: client.isSynchronized(t.name) })),
	});
}
