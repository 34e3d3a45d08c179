/*
 * The client's host-side connection options against the real emulator: permessage-deflate (the
 * emulator accepts it, context takeover both ways) and an HTTP proxy with basic credentials
 * (Node's own http server as the CONNECT proxy). Every value set reaches the platform's history.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import * as http from "node:http";
import * as net from "node:net";
import { test } from "node:test";
import { EdgeClient, type EdgeClientConfig } from "../../src/client/index";
import { Thing } from "../../src/thing/index";
import { permessageDeflate } from "../../src/ws/deflate";
import { deviceHal, emulator, KEY, waitFor } from "./helpers";

const PROXY_PASSWORD = "Pr0xy-pass-77c2";

async function pushValues(port: number, config: Partial<EdgeClientConfig>, emuStored: () => number[]): Promise<{ logs: string[] }> {
	const d = deviceHal();
	const thing = new Thing({ name: "Counter", properties: [{ name: "n", baseType: "NUMBER" }] });
	const client = new EdgeClient(d.hal, { host: "127.0.0.1", port, tls: false, appKey: () => KEY, things: [thing], queueBytes: 65536, ...config });
	client.start();
	try {
		for (let i = 0; i < 50; i++) thing.set("n", i);
		await waitFor("all 50 values stored", () => new Set(emuStored()).size === 50, 20000);
		assert.deepEqual([...new Set(emuStored())].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
	} finally {
		await client.stop();
	}
	return { logs: d.logs.map(([, m]) => m) };
}

test("permessage-deflate with the emulator: negotiated, every value stored", async () => {
	const lines: string[] = [];
	const emu = await emulator({}, lines);
	try {
		const stored = () => (emu.store.get("Counter")?.properties.get("n")?.history.toArray() ?? []).map((v) => (v.value.type === "VARIANT" ? v.value.value.value : v.value.value) as number);
		await pushValues(emu.port, { compression: permessageDeflate }, stored);
		assert.ok(lines.some((l) => /WebSocket open \(permessage-deflate\)/.test(l)), "the emulator saw a compressed connection");
	} finally {
		await emu.close();
	}
});

test("through an HTTP proxy with basic credentials: tunnelled, every value stored, the password in no log line", async () => {
	const emu = await emulator();
	const targets: string[] = [];
	const sockets = new Set<net.Socket>();
	const proxy = http.createServer();
	proxy.on("connect", (req: http.IncomingMessage, client: net.Socket) => {
		sockets.add(client);
		client.on("error", () => {});
		targets.push(req.url ?? "");
		if (req.headers["proxy-authorization"] !== `Basic ${Buffer.from(`edge:${PROXY_PASSWORD}`).toString("base64")}`) {
			client.end("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
			return;
		}
		const [host, port] = (req.url ?? "").split(":");
		const upstream = net.connect(Number(port), host, () => {
			client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
			client.pipe(upstream).pipe(client);
		});
		sockets.add(upstream);
		upstream.on("error", () => client.destroy());
	});
	proxy.listen(0, "127.0.0.1");
	await once(proxy, "listening");
	const proxyPort = (proxy.address() as net.AddressInfo).port;
	try {
		const stored = () => (emu.store.get("Counter")?.properties.get("n")?.history.toArray() ?? []).map((v) => (v.value.type === "VARIANT" ? v.value.value.value : v.value.value) as number);
		const { logs } = await pushValues(emu.port, { proxy: { host: "127.0.0.1", port: proxyPort, username: "edge", password: PROXY_PASSWORD } }, stored);
		assert.ok(targets.length >= 1 && targets.every((t) => t === `127.0.0.1:${emu.port}`), `CONNECT targets ${targets.join(", ")}`);
		assert.ok(!logs.some((l) => l.includes(PROXY_PASSWORD)));
	} finally {
		for (const s of sockets) s.destroy();
		proxy.close();
		await emu.close();
	}
});

test("proxy options are checked when the client is made", () => {
	const thing = new Thing({ name: "Counter", properties: [{ name: "n", baseType: "NUMBER" }] });
	const base = { host: "h", port: 1, appKey: () => KEY, things: [thing] };
	const hal = deviceHal().hal;
	assert.throws(() => new EdgeClient(hal, { ...base, proxy: { host: "", port: 3128 } }), /proxy\.host is required/);
	assert.throws(() => new EdgeClient(hal, { ...base, proxy: { host: "p", port: 0 } }), /proxy\.port must be between 1 and 65535/);
	assert.throws(() => new EdgeClient(hal, { ...base, proxy: { host: "p", port: 3128, username: "u" } }), /both username and password/);
});
