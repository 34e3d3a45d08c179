/*
 * The application behind a gateway registration's callback URL, for the gateway tests on Node and under
 * XS: an HTTP server on loopback that records what the gateway forwards, answers the service Add with
 * a + b and refuses writes of the property Locked (403).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface CallbackApp {
	readonly calls: Array<{ method: string; url: string; body: unknown }>;
	readonly server: http.Server;
	/** Listens on a free loopback port; resolves with the callback URL (…/app). */
	listen(): Promise<string>;
	close(): void;
}

export function callbackApp(): CallbackApp {
	const calls: CallbackApp["calls"] = [];
	const server = http.createServer((req, res) => {
		let text = "";
		req.on("data", (d) => (text += d));
		req.on("end", () => {
			const body = text ? JSON.parse(text) : null;
			calls.push({ method: req.method!, url: req.url!, body });
			if (req.url === "/app/Services/Add") {
				res.setHeader("content-type", "application/json");
				res.end(JSON.stringify(body.a + body.b));
			} else if (req.url === "/app/Properties/Locked") {
				res.statusCode = 403;
				res.end();
			} else res.end();
		});
	});
	return {
		calls,
		server,
		async listen() {
			await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
			return `http://127.0.0.1:${(server.address() as AddressInfo).port}/app`;
		},
		close: () => void server.close(),
	};
}
