// The interop suite again through a proxy that re-cuts every byte stream: one byte per write, then
// random cuts from a seeded generator. The results must be the same as straight to the server.
import { createNodeHal } from "../../hal/node/index";
import { registerInteropSuite } from "./interop";
import { seeded } from "../support/seeded";
import { splittingProxy } from "./proxy";
import { halClients } from "./session";

const clients = halClients(() => createNodeHal({ logLevel: "error" }));

// One byte per write costs an event-loop turn per byte (~100 KB/s, far less on a loaded machine): the
// server's bytes reach the client one at a time for messages up to 4000 bytes (every length form up
// to 65536 bytes, cut one byte per read, is in segmentation.test.ts); the client's go in 1-4 KiB pieces.
const upstream = seeded(1);
registerInteropSuite("through a proxy that writes the server's bytes one at a time", clients, {
	route: (port) => splittingProxy(port, () => 1, () => 1 + Math.floor(upstream() * 4096)),
	maxBytes: 4000,
});

const random = seeded(0x5eed);
registerInteropSuite("through a random-cut splitting proxy (seed 0x5eed)", clients, {
	route: (port) => splittingProxy(port, () => (random() < 0.5 ? 1 + Math.floor(random() * 16) : 1 + Math.floor(random() * 4096))),
});
