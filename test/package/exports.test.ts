// package.json "exports": a host application imports the runtime by the package's name, and gets the
// same classes as the sources (TypeScript sources: run under tsx, or bundle them; the device path is
// build/dist and manifest.json, not this).
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { EdgeClient, Thing } from "alwayson-edge";
import { createNodeHal } from "alwayson-edge/hal/node";
import { EdgeClient as SourceEdgeClient } from "../../src/index";

test('import { EdgeClient } from "alwayson-edge" and the Node HAL from "alwayson-edge/hal/node"', () => {
	assert.equal(EdgeClient, SourceEdgeClient);
	const hal = createNodeHal({ logLevel: "error" });
	const client = new EdgeClient(hal, { host: "127.0.0.1", port: 1, tls: false, appKey: () => "k", things: [new Thing({ name: "T" })] });
	assert.equal(client.state, "stopped");
});
