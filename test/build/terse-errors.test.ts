// Device bundles carry short errors (src/verbose.ts is false there, build/rollup.config.mjs): the sentences
// and the option spell-checker are gone from build/dist/client.js, and a bad option is still a typed
// error that names it. Hosts and these tests keep the sentences (test/client/*.test.ts).
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { deviceBundle } from "../xs/bundles";

const file = fileURLToPath(new URL("../../build/dist/client.js", import.meta.url));

test("the client bundle has no error sentences and no spell-checker, and names the bad option in a typed error", async () => {
	const text = deviceBundle("client");
	for (const sentence of ["must be between", "did you mean", "appKey must be a function", "at least one thing is required"])
		assert.ok(!text.includes(sentence), `"${sentence}" left in the device bundle`);
	const { EdgeClient, Thing } = (await import(pathToFileURL(file).href)) as typeof import("../../src/index");
	const base = { host: "h", port: 1, tls: false, appKey: () => "k", things: [new Thing({ name: "T" })] };
	const hal = {} as ConstructorParameters<typeof EdgeClient>[0]; // never reached: the configuration is checked first
	assert.throws(() => new EdgeClient(hal, { ...base, chunkSize: 100 }), (e: Error) => e instanceof RangeError && e.message === "range chunkSize");
	assert.throws(() => new EdgeClient(hal, { ...base, host: "" }), (e: Error) => e instanceof TypeError && e.message === "required host");
	assert.throws(() => new EdgeClient(hal, { ...base, appKey: "k" as never }), (e: Error) => e instanceof TypeError && e.message === "type appKey");
	assert.throws(() => new EdgeClient(hal, { ...base, proxy: { host: "p", port: 0 } }), (e: Error) => e instanceof RangeError && e.message === "range proxy.port");
});
