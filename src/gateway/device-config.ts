/*
 * The gateway's configuration on a device, from the flat keys of a Moddable manifest's `config` (what
 * `mcconfig … key=value` overrides, so numbers and flags may arrive as strings) and the HTTP password
 * from the device's store. Stricter than the host's: the device is the gateway for devices on its LAN,
 * so `httpHost` must be given and authentication is always on; and its listener has no TLS, so a host
 * off loopback also needs `insecure` set explicitly. A refusal is a ConfigError saying what to set.
 * Memory is bounded by the device defaults below unless the manifest says otherwise.
 */
import { ConfigError, gatewayConfig, type GatewayConfig } from "./config";
import { isLoopback } from "./http-server";

/** The manifest keys read here (test/drivers/manifest.test.ts checks the example's config has each). */
export const DEVICE_KEYS = Object.freeze(["host", "port", "tls", "httpHost", "httpPort", "httpUser", "insecure", "maxClients", "maxThings", "queueBytes"]);

/** Sized for an ESP32's ~160 KB of XS heap: each client holds head + body bytes, each thing its queue. */
const DEVICE_DEFAULTS = Object.freeze({ maxClients: 4, maxThings: 8, queueBytes: 1024, maxHeaderBytes: 1024, maxBodyBytes: 2048, maxCallbackBytes: 2048, maxCallbacks: 2 });

function text(build: Readonly<Record<string, unknown>>, key: string): string {
	const value = build[key];
	return typeof value === "string" ? value.trim() : "";
}

/** A number, or the decimal text mcconfig passes; anything else is left to gatewayConfig's range check. */
function count(build: Readonly<Record<string, unknown>>, key: string, fallback: number): unknown {
	const value = build[key];
	if (value === undefined || value === "") return fallback;
	return typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
}

function on(build: Readonly<Record<string, unknown>>, key: string, fallback: boolean): boolean {
	const value = build[key];
	if (value === undefined || value === "") return fallback;
	return value === true || value === "true" || value === 1 || value === "1";
}

/**
 * The GatewayConfig a device runs (its application key is asked separately, at every AUTH), or a
 * ConfigError naming the build option or stored secret that is missing. The password is never echoed.
 */
export function deviceGatewayConfig(build: Readonly<Record<string, unknown>>, password: string | undefined): GatewayConfig {
	const host = text(build, "host");
	if (host === "") throw new ConfigError("no platform host: build with host=<platform host>");
	const httpHost = text(build, "httpHost");
	if (httpHost === "") throw new ConfigError("no HTTP host: build with httpHost=<this device's LAN address, or 0.0.0.0 for every interface> (the gateway serves devices on the LAN)");
	const user = text(build, "httpUser");
	if (user === "") throw new ConfigError("no HTTP user: build with httpUser=<name> (authentication is mandatory on the device)");
	if (typeof password !== "string" || password === "") throw new ConfigError('no HTTP password in Preference ("twx"/"httpPassword"): run examples/provision with httpPassword=… (authentication is mandatory on the device)');
	const insecure = on(build, "insecure", false);
	if (!insecure && !isLoopback(httpHost)) {
		throw new ConfigError("httpHost " + httpHost + " is not loopback and the device cannot serve TLS: the password and every request would cross the LAN in clear text; build with insecure=true to accept that on a LAN you trust");
	}
	const d = DEVICE_DEFAULTS;
	return gatewayConfig({
		ws_servers: [{ host, port: count(build, "port", 443) }],
		// No compressor in a device bundle; certificates are verified whenever TLS is on.
		ws_connection: { encryption: on(build, "tls", true) ? "ssl" : "none", compression: false },
		things: { max_things: count(build, "maxThings", d.maxThings), queue_bytes: count(build, "queueBytes", d.queueBytes), max_callbacks: d.maxCallbacks, max_callback_bytes: d.maxCallbackBytes },
		http_server: {
			host: httpHost,
			port: count(build, "httpPort", 8000),
			authenticate: true,
			user,
			password,
			max_clients: count(build, "maxClients", d.maxClients),
			max_header_bytes: d.maxHeaderBytes,
			max_body_bytes: d.maxBodyBytes,
			allow_insecure: insecure,
		},
	});
}
