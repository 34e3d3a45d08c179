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

/** Starts the gateway against the platform at host:port, HTTP on loopback; logs "gateway: listening <port>". */
export function start(options: { host: string; port: number }): void {
	hal ??= createXsHal({ logLevel: "info" });
	const h = hal;
	const config = gatewayConfig({
		ws_servers: [{ host: options.host, port: options.port }],
		ws_connection: { encryption: "none", compression: false },
		http_server: { port: 0 },
		things: { max_things: 4 },
		logger: { level: "info" },
	});
	gateway = new EdgeGateway(h, config, () => h.store.get("appKey") ?? "");
	gateway.start().then(
		(port) => h.log("info", "gateway: listening " + port),
		(error: Error) => h.log("error", "gateway: start failed " + error.message),
	);
}

/** Closes the HTTP server, UNBINDs and closes; logs "gateway: stopped". */
export function stop(): void {
	gateway!.stop().then(
		() => hal!.log("info", "gateway: stopped"),
		(error: Error) => hal!.log("error", "gateway: stop failed " + error.message),
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
