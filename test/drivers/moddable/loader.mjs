// Node module hook for the hal/moddable tests: inside hal/moddable and the device entries, Moddable module specifiers resolve
// to the fakes next to this file (fakes.json: specifier -> file; test/xs/bundles.ts maps the same under XS).
// Registered with module.register() by moddable-hal.test.ts (and the examples' main tests).
import { readFileSync } from "node:fs";

const FAKES = JSON.parse(readFileSync(new URL("fakes.json", import.meta.url), "utf8"));
// The modules the apps' device entries (examples/*/main.ts) take from the library manifests (alwayson.json, alwayson-hal.json), from source.
const LIBRARY = Object.freeze({
	hal: "../../../hal/moddable/hal.ts",
	"alwayson-edge": "../../../src/index.ts",
	"alwayson-gateway": "../../../src/gateway/device.ts",
});

export async function resolve(specifier, context, nextResolve) {
	const fake = FAKES[specifier];
	// Handed on (not short-circuited) so tsx's own resolve sees the .ts file and its load transpiles it.
	if (fake !== undefined && context.parentURL?.includes("/hal/moddable/")) return nextResolve(new URL(fake, import.meta.url).href, context);
	if (context.parentURL?.includes("/examples/")) {
		const module = fake ?? LIBRARY[specifier];
		if (module !== undefined) return nextResolve(new URL(module, import.meta.url).href, context);
	}
	return nextResolve(specifier, context);
}
