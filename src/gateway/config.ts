/*
 * The gateway's configuration, in the EMS's own shape (config.json): `ws_servers`, `appKey`,
 * `ws_connection`, `proxy`, `http_server`, `auto_bind`, `logger`, and `things` (the limits on what
 * applications register, ours). A key the gateway does not know is an error
 * naming the closest one it does (a typo must not silently leave a default, least of all a security
 * one). The secure defaults are decided here: loopback only, and a server reachable from elsewhere
 * must authenticate and, off loopback, speak TLS, unless `allow_insecure` says otherwise explicitly.
 */
import { closestName } from "../client/config";
import type { LogLevel } from "../../hal/hal";
import { isLoopback } from "./http-server";

export interface WsServer {
	host: string;
	port: number;
}

export interface HttpServerConfig {
	/** Address to listen on; default "127.0.0.1" (loopback only). */
	host: string;
	/** Default 8000 (the EMS's). */
	port: number;
	ssl: boolean;
	/** PEM text of the certificate chain and key (the CLI reads the files named in config.json). */
	certificate: string;
	private_key: string;
	authenticate: boolean;
	user: string;
	password: string;
	/** Milliseconds a request may take to arrive whole (EMS default 20 s). */
	content_read_timeout: number;
	/** Connections served at once (EMS default 15). */
	max_clients: number;
	max_body_bytes: number;
	max_header_bytes: number;
	max_headers: number;
	/** Start even where the checks say the server would be open to others (not an EMS key). */
	allow_insecure: boolean;
}

export interface AutoBind {
	name: string;
	/** Bound as a gateway entity (EMS), kept for compatibility; the gateway binds every name the same way. */
	gateway: boolean;
	/** With host/port: platform writes and service calls for the thing go to http://host:port/<path> (the Lua Script Resource's role). */
	host: string;
	port: number;
	path: string;
}

/** Limits on what applications register (not EMS keys). */
export interface ThingLimits {
	/** Things registered at once (AddEdgeThing beyond it is a 409); each takes `queue_bytes` up front. */
	max_things: number;
	/** Properties of one registered thing (a PUT of one more is a 409). */
	max_properties: number;
	/** Offline queue of encoded values per registered thing. */
	queue_bytes: number;
	/** A forwarded platform call waits this long for the application's callback (then 504 to the platform). */
	callback_timeout: number;
	/** Callback calls under way at once (more are refused SERVICE_UNAVAILABLE). */
	max_callbacks: number;
	/** Bytes of a callback's answer. */
	max_callback_bytes: number;
}

/** An HTTP proxy (CONNECT) the platform connection goes through. */
export interface ProxyConfig {
	host: string;
	port: number;
	user: string;
	password: string;
}

export interface GatewayConfig {
	ws_servers: WsServer[];
	appKey: string;
	/** compression: offer permessage-deflate (EMS default true). */
	ws_connection: { encryption: "none" | "ssl"; verify: boolean; compression: boolean };
	/** null: connect directly. */
	proxy: ProxyConfig | null;
	things: ThingLimits;
	http_server: HttpServerConfig;
	auto_bind: AutoBind[];
	logger: { level: LogLevel };
	/** Requests to the platform that are not answered within this fail with 504 (not an EMS key). */
	request_timeout: number;
}

const TOP = Object.freeze(["ws_servers", "appKey", "ws_connection", "proxy", "things", "http_server", "auto_bind", "logger", "request_timeout"]);
const WS_SERVER = Object.freeze(["host", "port"]);
const WS_CONNECTION = Object.freeze(["encryption", "verify", "compression"]);
const PROXY = Object.freeze(["host", "port", "user", "password"]);
const THINGS = Object.freeze(["max_things", "max_properties", "queue_bytes", "callback_timeout", "max_callbacks", "max_callback_bytes"]);
const HTTP_SERVER = Object.freeze([
	"host", "port", "ssl", "certificate", "private_key", "authenticate", "user", "password", "content_read_timeout",
	"max_clients", "max_body_bytes", "max_header_bytes", "max_headers", "allow_insecure",
]);
const AUTO_BIND = Object.freeze(["name", "gateway", "host", "port", "path"]);
const LOGGER = Object.freeze(["level"]);
const LEVELS = Object.freeze(["trace", "debug", "info", "warn", "error"]);

/** A configuration that cannot be used, and why (never with a secret in the message). */
export class ConfigError extends Error {
	override get name(): string {
		return "ConfigError";
	}
}

type Json = Record<string, unknown>;

function object(value: unknown, where: string): Json {
	if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ConfigError(where + " must be an object");
	return value as Json;
}

function known(value: Json, names: readonly string[], where: string): void {
	for (const key of Object.keys(value)) {
		if (names.indexOf(key) < 0) throw new ConfigError("unknown key " + where + key + " (did you mean " + where + closestName(key, names) + "?)");
	}
}

function text(value: unknown, fallback: string, where: string): string {
	if (value === undefined) return fallback;
	if (typeof value !== "string") throw new ConfigError(where + " must be a string");
	return value;
}

function flag(value: unknown, fallback: boolean, where: string): boolean {
	if (value === undefined) return fallback;
	if (typeof value !== "boolean") throw new ConfigError(where + " must be true or false");
	return value;
}

function integer(value: unknown, fallback: number, min: number, max: number, where: string): number {
	if (value === undefined) return fallback;
	if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) throw new ConfigError(where + " must be an integer from " + min + " to " + max);
	return value;
}

/** Reads an EMS-shaped configuration; throws ConfigError naming the first problem. */
export function gatewayConfig(input: unknown): GatewayConfig {
	const top = object(input, "the configuration");
	known(top, TOP, "");
	const servers = top.ws_servers === undefined ? [{ host: "localhost", port: 443 }] : top.ws_servers;
	if (!Array.isArray(servers) || servers.length === 0) throw new ConfigError("ws_servers must be a non-empty array of {host, port}");
	const ws_servers = servers.map((entry, i) => {
		const s = object(entry, "ws_servers[" + i + "]");
		known(s, WS_SERVER, "ws_servers[" + i + "].");
		const host = text(s.host, "", "ws_servers[" + i + "].host");
		if (host === "") throw new ConfigError("ws_servers[" + i + "].host is required");
		return { host, port: integer(s.port, 443, 1, 65535, "ws_servers[" + i + "].port") };
	});
	const wsIn = object(top.ws_connection ?? {}, "ws_connection");
	known(wsIn, WS_CONNECTION, "ws_connection.");
	const encryption = text(wsIn.encryption, "ssl", "ws_connection.encryption");
	if (encryption !== "none" && encryption !== "ssl") throw new ConfigError('ws_connection.encryption must be "ssl" or "none"');
	const httpIn = object(top.http_server ?? {}, "http_server");
	known(httpIn, HTTP_SERVER, "http_server.");
	const http: HttpServerConfig = {
		host: text(httpIn.host, "127.0.0.1", "http_server.host"),
		port: integer(httpIn.port, 8000, 0, 65535, "http_server.port"),
		ssl: flag(httpIn.ssl, false, "http_server.ssl"),
		certificate: text(httpIn.certificate, "", "http_server.certificate"),
		private_key: text(httpIn.private_key, "", "http_server.private_key"),
		authenticate: flag(httpIn.authenticate, false, "http_server.authenticate"),
		user: text(httpIn.user, "", "http_server.user"),
		password: text(httpIn.password, "", "http_server.password"),
		content_read_timeout: integer(httpIn.content_read_timeout, 20000, 1, 3600000, "http_server.content_read_timeout"),
		max_clients: integer(httpIn.max_clients, 15, 1, 1024, "http_server.max_clients"),
		max_body_bytes: integer(httpIn.max_body_bytes, 65536, 16, 16777216, "http_server.max_body_bytes"),
		max_header_bytes: integer(httpIn.max_header_bytes, 8192, 256, 65536, "http_server.max_header_bytes"),
		max_headers: integer(httpIn.max_headers, 32, 1, 256, "http_server.max_headers"),
		allow_insecure: flag(httpIn.allow_insecure, false, "http_server.allow_insecure"),
	};
	if (http.authenticate && (http.user === "" || http.password === "")) throw new ConfigError("http_server.authenticate needs http_server.user and http_server.password");
	if (http.ssl && (http.certificate === "" || http.private_key === "")) throw new ConfigError("http_server.ssl needs http_server.certificate and http_server.private_key");
	const binds = top.auto_bind ?? [];
	if (!Array.isArray(binds)) throw new ConfigError("auto_bind must be an array of {name, gateway?, host?, port?}");
	const auto_bind = binds.map((entry, i) => {
		const b = object(entry, "auto_bind[" + i + "]");
		known(b, AUTO_BIND, "auto_bind[" + i + "].");
		const name = text(b.name, "", "auto_bind[" + i + "].name");
		if (name === "") throw new ConfigError("auto_bind[" + i + "].name is required");
		return { name, gateway: flag(b.gateway, false, "auto_bind[" + i + "].gateway"), host: text(b.host, "", "auto_bind[" + i + "].host"), port: integer(b.port, 0, 0, 65535, "auto_bind[" + i + "].port"), path: text(b.path, "/", "auto_bind[" + i + "].path") };
	});
	const loggerIn = object(top.logger ?? {}, "logger");
	known(loggerIn, LOGGER, "logger.");
	const level = text(loggerIn.level, "info", "logger.level").toLowerCase();
	if (LEVELS.indexOf(level) < 0) throw new ConfigError("logger.level must be one of " + LEVELS.join(", "));
	const appKey = text(top.appKey, "", "appKey");
	let proxy: ProxyConfig | null = null;
	if (top.proxy !== undefined) {
		const p = object(top.proxy, "proxy");
		known(p, PROXY, "proxy.");
		proxy = { host: text(p.host, "", "proxy.host"), port: integer(p.port, 0, 1, 65535, "proxy.port"), user: text(p.user, "", "proxy.user"), password: text(p.password, "", "proxy.password") };
		if (proxy.host === "" || proxy.port === 0) throw new ConfigError("proxy needs host and port");
		if ((proxy.user === "") !== (proxy.password === "")) throw new ConfigError("proxy: give both user and password, or neither");
	}
	const thingsIn = object(top.things ?? {}, "things");
	known(thingsIn, THINGS, "things.");
	const things: ThingLimits = {
		max_things: integer(thingsIn.max_things, 100, 1, 65535, "things.max_things"),
		max_properties: integer(thingsIn.max_properties, 64, 1, 4096, "things.max_properties"),
		queue_bytes: integer(thingsIn.queue_bytes, 4096, 256, 16777216, "things.queue_bytes"),
		callback_timeout: integer(thingsIn.callback_timeout, 10000, 100, 600000, "things.callback_timeout"),
		max_callbacks: integer(thingsIn.max_callbacks, 8, 1, 1024, "things.max_callbacks"),
		max_callback_bytes: integer(thingsIn.max_callback_bytes, 65536, 256, 16777216, "things.max_callback_bytes"),
	};
	return {
		ws_servers,
		appKey,
		ws_connection: { encryption: encryption as "none" | "ssl", verify: flag(wsIn.verify, true, "ws_connection.verify"), compression: flag(wsIn.compression, true, "ws_connection.compression") },
		proxy,
		things,
		http_server: http,
		auto_bind,
		logger: { level: level as LogLevel },
		request_timeout: integer(top.request_timeout, 30000, 100, 600000, "request_timeout"),
	};
}

/**
 * Why this HTTP server must not start, or null. Anyone who reaches it acts with the platform
 * credentials (the application key), so: loopback unless `host` says otherwise; elsewhere only with
 * `authenticate`, and off loopback with TLS too; `allow_insecure` overrides, explicitly.
 */
export function insecurity(http: HttpServerConfig): string | null {
	if (http.allow_insecure || isLoopback(http.host)) return null;
	if (!http.authenticate) return "http_server.host is " + http.host + ", not loopback, and http_server.authenticate is off: anyone on the network could act with the platform credentials (set authenticate, user and password, or allow_insecure to accept that risk)";
	if (!http.ssl) return "http_server.host is " + http.host + ", not loopback, and http_server.ssl is off: the credentials would cross the network in clear text (set ssl with certificate and private_key, or allow_insecure to accept that risk)";
	return null;
}
