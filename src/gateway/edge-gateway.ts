/*
 * The gateway put together from its configuration (config.ts): the edge client holding the one AlwaysOn
 * connection (no thing of its own: what applications register is its whole bound set, at most
 * `things.max_things`), the REST routes (Gateway) with their binder on that client, the HTTP client that
 * reaches the applications' callbacks, and the HTTP server. start() registers again what was persisted
 * and what auto_bind names, connects, and listens; stop() closes the server, then UNBINDs and closes.
 */
import type { Hal } from "../../hal/hal";
import type { WebSocketExtension } from "../ws/client";
import { EdgeClient } from "../client/client";
import { Reassembler } from "../protocol/multipart";
import { ClientBinder } from "./binder";
import { insecurity, type GatewayConfig } from "./config";
import { Gateway } from "./gateway";
import { HttpClient } from "./http-client";
import { HttpServer } from "./http-server";

export class EdgeGateway {
	readonly client: EdgeClient;
	readonly gateway: Gateway;
	readonly server: HttpServer;
	#hal: Hal;
	#config: GatewayConfig;

	/**
	 * `appKey` is asked at every AUTH (from the config, a key file or the environment: the CLI decides).
	 * `compression` (src/ws/deflate.ts's permessageDeflate) is offered when `ws_connection.compression`
	 * is on and the HAL can compress: injected, so that a bundle without it carries no compressor.
	 */
	constructor(hal: Hal, config: GatewayConfig, appKey: () => string, compression?: (hal: Hal) => WebSocketExtension) {
		const why = insecurity(config.http_server);
		if (why !== null) throw new Error("the gateway will not start: " + why);
		this.#hal = hal;
		this.#config = config;
		const platform = config.ws_servers[0];
		const ssl = config.ws_connection.encryption === "ssl";
		const proxy = config.proxy;
		this.client = new EdgeClient(hal, {
			host: platform.host,
			port: platform.port,
			tls: ssl ? (config.ws_connection.verify ? true : { insecure: true }) : false,
			appKey,
			things: [],
			maxThings: config.things.max_things,
			queueBytes: config.things.queue_bytes,
			// a sync and a push in flight per thing may wait for their answers at once
			maxPending: Math.min(1024, Math.max(8, 2 * config.things.max_things)),
			requestTimeoutMs: config.request_timeout,
			compression: config.ws_connection.compression && hal.compression !== undefined ? compression : undefined,
			proxy: proxy === null ? undefined : { host: proxy.host, port: proxy.port, ...(proxy.user ? { username: proxy.user, password: proxy.password } : {}) },
			// the things of HTTP clients may be sent anything their shapes allow
			reassembly: Reassembler,
		});
		const limits = config.things;
		const http = new HttpClient(hal, { maxResponseBytes: limits.max_callback_bytes, timeoutMs: limits.callback_timeout, maxRequests: limits.max_callbacks });
		this.gateway = new Gateway(hal, this.client, new ClientBinder(hal, this.client, http, limits.max_properties), { maxThings: limits.max_things, bindWaitMs: config.request_timeout });
		const h = config.http_server;
		this.server = new HttpServer(hal, { maxClients: h.max_clients, maxHeadBytes: h.max_header_bytes, maxHeaders: h.max_headers, maxBodyBytes: h.max_body_bytes, readTimeoutMs: h.content_read_timeout }, this.gateway.handle);
		if (h.authenticate) this.server.requireBasicAuth(h.user, h.password);
	}

	/** Registers the persisted and auto_bind things, connects, listens; resolves with the HTTP port. */
	start(): Promise<number> {
		const auto = this.#config.auto_bind.map((b) => ({ name: b.name, callback: b.host !== "" && b.port > 0 ? "http://" + b.host + ":" + b.port + b.path : "" }));
		const names = this.gateway.restore(auto);
		if (names.length > 0) this.#hal.log("info", "gateway: registered at start: " + names.join(", "));
		this.client.start();
		const h = this.#config.http_server;
		return this.server.listen({ host: h.host, port: h.port, ...(h.ssl ? { tls: { certificate: h.certificate, privateKey: h.private_key } } : {}) });
	}

	stop(): Promise<void> {
		this.server.close();
		return this.client.stop();
	}
}
