// The Node HAL's listening socket: accepted connections are open HalSockets (plain and TLS), bind
// failures are typed errors, close() stops accepting and reports once, after close() returns.
import * as assert from "node:assert/strict";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import { test } from "node:test";
import * as tls from "node:tls";
import type { HalListener, HalSocket, ListenOptions } from "../../hal/hal";
import { createNodeHal, SocketError } from "../../hal/node/index";

const fixtures = new URL("./fixtures/", import.meta.url);
const certificate = readFileSync(new URL("cert.pem", fixtures), "utf8");
const privateKey = readFileSync(new URL("key.pem", fixtures), "utf8");

const hal = createNodeHal({ logLevel: "error" });

/** Listens and echoes every accepted socket's bytes back, upper-cased; resolves with the port. */
function echoServer(options: ListenOptions): { listener: HalListener; port: Promise<number>; remotes: string[] } {
	const listener = hal.createListener!();
	const remotes: string[] = [];
	listener.onAccept = (socket: HalSocket, remote: string) => {
		remotes.push(remote);
		socket.onData = (bytes) => {
			const upper = Buffer.from(Buffer.from(bytes).toString("latin1").toUpperCase(), "latin1");
			assert.equal(socket.write(upper, 0, upper.length), upper.length);
		};
		socket.onClose = () => {};
	};
	const port = new Promise<number>((resolve, reject) => {
		listener.onListening = resolve;
		listener.onClose = (error) => reject(error ?? new Error("closed before listening"));
	});
	listener.listen(options);
	return { listener, port, remotes };
}

async function exchange(socket: net.Socket, text: string): Promise<string> {
	socket.write(text);
	const [reply] = (await once(socket, "data")) as [Buffer];
	return reply.toString("latin1");
}

test("plain TCP: an ephemeral port, accepted sockets write at once, the peer's address is given", async () => {
	const { listener, port, remotes } = echoServer({ host: "127.0.0.1", port: 0 });
	const bound = await port;
	assert.ok(bound > 0);
	const client = net.connect({ host: "127.0.0.1", port: bound });
	await once(client, "connect");
	assert.equal(await exchange(client, "hello"), "HELLO");
	assert.deepEqual(remotes, ["127.0.0.1"]);
	client.destroy();
	listener.close();
});

test("TLS: the handshake uses the given identity; the accepted socket carries plain bytes", async () => {
	const { listener, port } = echoServer({ host: "127.0.0.1", port: 0, tls: { certificate, privateKey } });
	const client = tls.connect({ host: "127.0.0.1", port: await port, ca: certificate, servername: "localhost" });
	await once(client, "secureConnect");
	assert.equal(await exchange(client, "secret"), "SECRET");
	client.destroy();
	listener.close();
});

test("a loopback-bound listener is not reachable on another address", async () => {
	const { listener, port } = echoServer({ host: "127.0.0.1", port: 0 });
	const client = net.connect({ host: "127.0.0.2", port: await port });
	const [error] = (await once(client, "error")) as [NodeJS.ErrnoException];
	assert.equal(error.code, "ECONNREFUSED");
	listener.close();
});

test("a port in use: onClose with a SocketError naming the address and the reason", async () => {
	const first = echoServer({ host: "127.0.0.1", port: 0 });
	const taken = await first.port;
	const second = hal.createListener!();
	let listening = false;
	second.onListening = () => (listening = true);
	const closed = new Promise<Error | null>((resolve) => (second.onClose = resolve));
	second.listen({ host: "127.0.0.1", port: taken });
	const error = await closed;
	assert.ok(error instanceof SocketError);
	assert.equal(error.code, "EADDRINUSE");
	assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${taken}: the port is in use`));
	assert.equal(listening, false);
	first.listener.close();
});

test("close(): onClose(null) once, after close() returns; open connections stay open; new ones are refused", async () => {
	const { listener, port } = echoServer({ host: "127.0.0.1", port: 0 });
	const bound = await port;
	const client = net.connect({ host: "127.0.0.1", port: bound });
	await once(client, "connect");
	assert.equal(await exchange(client, "a"), "A");
	let closes = 0;
	let inside = true;
	const closed = new Promise<Error | null>((resolve) => {
		listener.onClose = (error) => {
			closes++;
			assert.equal(inside, false, "onClose from inside close()");
			resolve(error);
		};
	});
	listener.close();
	listener.close();
	inside = false;
	assert.equal(await closed, null);
	assert.equal(closes, 1);
	assert.equal(await exchange(client, "still here"), "STILL HERE");
	const late = net.connect({ host: "127.0.0.1", port: bound });
	const [error] = (await once(late, "error")) as [NodeJS.ErrnoException];
	assert.equal(error.code, "ECONNREFUSED");
	client.destroy();
});
