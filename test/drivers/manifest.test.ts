// manifest.json (and the provisioning app's) against the repository: well-formed, every local path
// exists or is a bundle `npm run build` produces, every module the device code imports is provided by
// the manifest or by an SDK manifest it includes, preloads name modules it defines, config covers the
// keys main.ts reads, and no application key is ever committed in a manifest.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, posix, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { DEVICE_KEYS } from "../../src/gateway/device-config";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// By URL: build/entries.mjs is plain JavaScript without declarations.
const { deviceEntries } = (await import(new URL("../../build/entries.mjs", import.meta.url).href)) as { deviceEntries: Record<string, string> };

interface Manifest {
	include?: string[];
	modules?: Record<string, string | string[]>;
	preload?: string[];
	config?: Record<string, unknown>;
	creation?: unknown;
	typescript?: { tsconfig?: { compilerOptions?: Record<string, unknown> } };
	platforms?: Record<string, Manifest & { error?: string }>;
}

function load(path: string): Manifest {
	return JSON.parse(readFileSync(join(root, path), "utf8")) as Manifest;
}

/** SDK module specifiers device code may import, and the SDK manifest that provides each. */
const SDK_MODULES: Readonly<Record<string, string>> = Object.freeze({
	"mc/config": "(mcconfig)",
	timer: "$(MODDABLE)/examples/manifest_base.json",
	time: "$(MODDABLE)/examples/manifest_base.json",
	Resource: "$(MODDABLE)/examples/manifest_base.json",
	net: "$(MODDABLE)/examples/manifest_net.json",
	"embedded:io/socket/tcp": "$(MODDABLE)/modules/io/manifest.json",
	"embedded:io/socket/listener": "$(MODDABLE)/modules/io/manifest.json",
	securesocket: "$(MODDABLE)/modules/crypt/tls.json",
	crypt: "$(MODDABLE)/modules/crypt/digest/manifest.json",
	"text/decoder": "$(MODDABLE)/modules/data/text/decoder/manifest.json",
	preference: "$(MODDABLE)/modules/files/preference/manifest.json",
	flash: "$(MODDABLE)/modules/files/flash/manifest.json",
});

/**
 * SDK modules whose manifest provides them on some platforms only (their manifest's "platforms"): a
 * module mapped for every platform must not import them, or the app stops at load elsewhere (as it
 * did in the simulator when hal/moddable imported "flash").
 */
const PLATFORM_ONLY: Readonly<Record<string, readonly string[]>> = Object.freeze({
	flash: Object.freeze(["esp", "esp32", "nrf52"]),
});

/** Why `specifier` (mapped for `platform`, "*" for all) cannot import SDK module `imported`, or null. */
function sdkImportProblem(specifier: string, imported: string, platform: string, sdkIncludes: ReadonlySet<string>): string | null {
	const provider = SDK_MODULES[imported];
	if (provider === undefined) return `${specifier} imports "${imported}", which no manifest provides`;
	if (provider !== "(mcconfig)" && !sdkIncludes.has(provider)) return `${specifier} imports "${imported}": include ${provider}`;
	const only = PLATFORM_ONLY[imported];
	if (only !== undefined && !only.includes(platform))
		return `${specifier} is mapped for ${platform === "*" ? "every platform" : platform} but imports "${imported}", which the SDK provides on ${only.join(", ")} only: map it under "platforms"`;
	return null;
}

/** Value imports of a TypeScript source (type-only imports vanish at compile time). */
function valueImports(source: string): string[] {
	const found: string[] = [];
	for (const m of source.matchAll(/^import\s+(type\s+)?[\s\S]*?\sfrom\s+"([^"]+)";/gm)) if (m[1] === undefined) found.push(m[2]);
	return found;
}

/** Local module files: "*" entries keep their basename as the specifier. */
function localModules(manifest: Manifest): Map<string, string> {
	const modules = new Map<string, string>();
	for (const [key, value] of Object.entries(manifest.modules ?? {})) {
		for (const path of Array.isArray(value) ? value : [value]) {
			if (!path.startsWith("./") && !path.startsWith("../")) continue;
			modules.set(key === "*" ? basename(path) : key, path);
		}
	}
	return modules;
}

function sourceOf(manifestDir: string, path: string): string | null {
	for (const ext of [".ts", ".js"]) {
		const file = join(root, manifestDir, path + ext);
		if (existsSync(file)) return file;
	}
	return null;
}

/** [specifier, path, platform] of every mapped module: "*" for those mapped everywhere, "esp32" for the esp32-only ones. */
function byPlatform(everywhere: ReadonlyMap<string, string>, esp32: ReadonlyMap<string, string>): Array<[string, string, string]> {
	const mapped: Array<[string, string, string]> = [...everywhere].map(([specifier, path]) => [specifier, path, "*"]);
	for (const [specifier, path] of esp32) mapped.push([specifier, path, "esp32"]);
	return mapped;
}

const manifest = load("manifest.json");
const modules = localModules(manifest);
/** The modules mapped on esp32 only (its "platforms" entry), by specifier. */
const esp32Modules = localModules(manifest.platforms?.esp32 ?? {});

test("every local module path exists, or is a device bundle that npm run build writes", () => {
	assert.ok(modules.size > 0);
	for (const [specifier, path] of modules) {
		const bundle = /^\.\/build\/dist\/([\w-]+)$/.exec(path);
		if (bundle !== null) {
			const entry = deviceEntries[bundle[1]];
			assert.ok(entry !== undefined, `"${specifier}" maps ${path}: add ${bundle[1]} to deviceEntries in build/entries.mjs`);
			assert.ok(existsSync(join(root, entry)), `deviceEntries.${bundle[1]} = ${entry} does not exist`);
		}
		else assert.ok(sourceOf(".", path) !== null, `"${specifier}" maps ${path}, which has no .ts or .js file`);
	}
});

test("every module the device code imports is provided, on every platform it is mapped for, by this manifest or an SDK manifest it includes", () => {
	const includes = new Set(manifest.include);
	for (const [specifier, path, platform] of byPlatform(modules, esp32Modules)) {
		const file = sourceOf(".", path);
		if (file === null || path.startsWith("./build/")) continue;
		for (const imported of valueImports(readFileSync(file, "utf8"))) {
			if (imported.startsWith(".")) {
				// XS resolves a relative specifier against the importer's module name, not its file.
				const resolved = posix.join(posix.dirname(specifier), imported);
				const target = modules.get(resolved) ?? (platform === "*" ? undefined : esp32Modules.get(resolved));
				assert.ok(target !== undefined, `${specifier} imports ${imported}: no module "${resolved}" in manifest.json for ${platform}`);
				assert.equal(relative(root, sourceOf(".", target) ?? ""), relative(root, join(dirname(file), imported)) + ".ts", `${specifier} imports ${imported}, which the manifest maps to another file`);
			}
			else if (modules.has(imported) || (platform !== "*" && esp32Modules.has(imported))) continue;
			else assert.equal(sdkImportProblem(specifier, imported, platform, includes), null);
		}
	}
});

test("a module mapped for every platform importing a platform-only SDK module is refused (hal/moddable importing flash stopped the simulator)", () => {
	const includes = new Set(manifest.include);
	assert.match(sdkImportProblem("hal", "flash", "*", includes) ?? "", /provides on esp, esp32, nrf52 only/);
	assert.equal(sdkImportProblem("flashpartition", "flash", "esp32", includes), null);
	assert.equal(esp32Modules.get("flashpartition"), "./hal/moddable/flashpartition", "the flash partition HAL is mapped on esp32");
});

test("preloads name modules of this manifest, never main, and only where preloading is safe (esp32)", () => {
	assert.equal(manifest.preload, undefined, "top-level preload would also apply to the simulator, whose preference module reads files at load");
	const preload = manifest.platforms?.esp32?.preload ?? [];
	assert.ok(preload.length > 0);
	for (const specifier of preload) {
		assert.ok(modules.has(specifier) || esp32Modules.has(specifier), `preload "${specifier}" is not a module of manifest.json`);
		assert.notEqual(specifier, "main");
	}
});

test("config has a default for every key main.ts reads, and nothing else; never an application key", () => {
	const main = readFileSync(join(root, "examples/steamsensor/main.ts"), "utf8");
	const read = new Set([...main.matchAll(/\b(?:text|number|integer|flag)\("(\w+)"|\bconfig\.(\w+)/g)].map((m) => m[1] ?? m[2]));
	const config = manifest.config ?? {};
	assert.deepEqual([...read].sort(), Object.keys(config).sort());
	assert.equal("appKey" in config, false);
	assert.equal(config.host, "", "no platform host committed");
});

test("TypeScript 5.x overrides the es2025 target mcconfig 8.2.3 generates", () => {
	const options = manifest.typescript?.tsconfig?.compilerOptions ?? {};
	assert.equal(options.target, "es2024");
	assert.deepEqual(options.lib, ["es2024"]);
});

test("ESP32 creation: fixed heaps that hold the app budget plus a TLS handshake and a full TLS record", () => {
	const creation = manifest.platforms?.esp32?.creation as { static: number; chunk: { initial: number; incremental: number }; heap: { initial: number; incremental: number }; stack: number };
	const SLOT = 16; // bytes per slot on a 32-bit MCU
	// budget: <= 24 KB XS heap after synchronization; securesocket.md: a handshake needs 10 KB chunk,
	// 6 KB slots, 4 KB stack free; a TLS record is up to 16 KB + 2 KB of overhead, buffered whole.
	assert.ok(creation.chunk.initial >= 24 * 1024 + 10 * 1024 + 18 * 1024, "chunk heap");
	assert.ok(creation.heap.initial * SLOT >= 6 * 1024 + 24 * 1024, "slot heap");
	assert.ok(creation.stack * SLOT >= 4 * 1024, "stack");
	// The SDK's own ESP32 boards give XS 78848 + 4928·16 + 512·16 bytes (~162 KB) and still run Wi-Fi and TLS.
	assert.ok(creation.chunk.initial + (creation.heap.initial + creation.stack) * SLOT <= 78848 + (4928 + 512) * SLOT);
});

test("unsupported platforms fail the build with a message; the simulator platforms are listed", () => {
	const platforms = manifest.platforms ?? {};
	for (const name of ["esp32", "lin", "mac", "win"]) assert.ok(name in platforms, name);
	assert.match(platforms["..."]?.error ?? "", /supported/);
});

test("the provisioning app: its module exists, and it carries no secret (application key, gateway HTTP password)", () => {
	const provision = load("examples/provision/manifest.json");
	for (const path of localModules(provision).values()) assert.ok(sourceOf("examples/provision", path) !== null, path);
	assert.deepEqual(provision.config, { appKey: "", httpPassword: "" });
	const source = readFileSync(join(root, "examples/provision/main.ts"), "utf8");
	for (const imported of valueImports(source)) assert.ok(imported in SDK_MODULES, imported);
	assert.doesNotMatch(source, /trace\([^)]*given/, "a secret is never traced");
});

/** What a manifest and the local manifests it includes (paths relative to each one's directory) provide. */
interface Provided {
	modules: Map<string, string>;
	/** Mapped on esp32 only. */
	esp32: Map<string, string>;
	sdkIncludes: Set<string>;
	preload: string[];
	local: string[];
}

function provided(path: string, into: Provided = { modules: new Map(), esp32: new Map(), sdkIncludes: new Set(), preload: [], local: [] }): Provided {
	const manifest = load(path);
	into.local.push(path);
	for (const include of manifest.include ?? []) {
		if (include.startsWith("$(MODDABLE)")) into.sdkIncludes.add(include);
		else provided(posix.join(posix.dirname(path), include), into);
	}
	for (const [specifier, module] of localModules(manifest)) into.modules.set(specifier, join(root, dirname(path), module));
	for (const [specifier, module] of localModules(manifest.platforms?.esp32 ?? {})) into.esp32.set(specifier, join(root, dirname(path), module));
	into.preload.push(...(manifest.platforms?.esp32?.preload ?? []));
	return into;
}

const EXAMPLES = Object.freeze([["counter", "alwayson.json"], ["gateway", "alwayson-hal.json"]]);

for (const [example, library] of EXAMPLES) test(`examples/${example} and the library manifest it includes (${library}): every module exists, every import is provided, preloads are modules`, () => {
	const app = load(`examples/${example}/manifest.json`);
	assert.ok(app.include?.includes("../../" + library), "the example includes the library manifest, as an app includes mqtt/manifest.json");
	const { modules, esp32, sdkIncludes, preload, local } = provided(`examples/${example}/manifest.json`);
	for (const path of local) assert.ok(existsSync(join(root, path)), path);
	for (const [specifier, path, platform] of byPlatform(modules, esp32)) {
		const bundle = /\/build\/dist\/([\w-]+)$/.exec(path);
		if (bundle !== null) {
			assert.ok(deviceEntries[bundle[1]] !== undefined, `"${specifier}" maps ${path}, which no device entry builds`);
			continue;
		}
		const file = [".ts", ".js"].map((ext) => path + ext).find((f) => existsSync(f));
		assert.ok(file !== undefined, `"${specifier}" maps ${path}, which has no .ts or .js file`);
		for (const imported of valueImports(readFileSync(file, "utf8"))) {
			if (imported.startsWith(".")) assert.ok(modules.has(posix.join(posix.dirname(specifier), imported)), `${specifier} imports ${imported}`);
			else if (!modules.has(imported) && !(platform !== "*" && esp32.has(imported))) assert.equal(sdkImportProblem(specifier, imported, platform, sdkIncludes), null);
		}
	}
	assert.ok(preload.length > 0);
	for (const specifier of preload) assert.ok(modules.has(specifier) || esp32.has(specifier), `preload "${specifier}"`);
	assert.equal(app.config?.host, "", "no platform host committed");
	assert.equal("appKey" in (app.config ?? {}), false);
	for (const name of ["esp32", "lin", "mac", "win"]) assert.ok(name in (app.platforms ?? {}), name);
});

test("the gateway app carries one runtime: the gateway bundle, not the client bundle too", () => {
	const { modules } = provided("examples/gateway/manifest.json");
	const bundles = [...modules.values()].filter((path) => path.includes("/build/dist/")).map((path) => basename(path));
	assert.deepEqual(bundles, ["gateway"]);
	assert.ok(provided("alwayson.json").modules.has("hal"), "alwayson.json still brings the HAL (through alwayson-hal.json)");
});

test("examples/gateway: its config has a default for every key deviceGatewayConfig reads and nothing else; no host, user or secret committed, cleartext off", () => {
	const app = load("examples/gateway/manifest.json");
	const config = app.config ?? {};
	assert.deepEqual(Object.keys(config).sort(), [...DEVICE_KEYS].sort());
	assert.deepEqual([config.host, config.httpHost, config.httpUser, config.insecure], ["", "", "", false]);
	for (const secret of ["appKey", "httpPassword", "password"]) assert.equal(secret in config, false, secret);
	const main = readFileSync(join(root, "examples/gateway/main.ts"), "utf8");
	assert.match(main, /deviceGatewayConfig\(config, hal\.store\.get\("httpPassword"\)\)/, "main.ts hands the whole config and the stored password to deviceGatewayConfig");
	assert.doesNotMatch(main, /\bconfig\.\w+/, "main.ts reads no config key of its own");
});
