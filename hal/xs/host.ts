/*
 * Node side of the XS test harness: runs `xsnap-worker` (the real XS 13.3 engine from @agoric/xsnap)
 * as a child process and speaks its netstring protocol directly, without the package's Node API
 * (which needs an SES lockdown of the whole Node realm).
 *
 * Protocol (xsnap-worker.c): netstrings `<len>:<bytes>,` on fd 3 (to XS) and fd 4 (from XS).
 * To XS: `e<script>` evaluates a script, `?<bytes>` calls the global `handleCommand(ArrayBuffer)`,
 * `q` quits. From XS: `.<meter JSON>\x01<reply>` ends a crank, `!<message>` reports an uncaught
 * exception, `?<bytes>` is a synchronous `issueCommand(ArrayBuffer)` that blocks XS until we answer
 * `/<bytes>`. XS runs its promise jobs and setImmediate callbacks before it replies.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";

export const XSNAP_WORKER = fileURLToPath(
	new URL("../../node_modules/@agoric/xsnap/xsnap-native/xsnap/build/bin/lin/release/xsnap-worker", import.meta.url),
);

/** Bytes per XS slot on 64-bit hosts (the `allocate` meter at start: 256 Ki slots + 4097 stack slots at 32 B, plus the 32 MiB chunk heap). */
export const XS_SLOT_SIZE = 32;

/** The meters xsnap-worker reports at the end of every crank. */
export interface XsMeters {
	/** Compute units spent by the crank (XS's meter index: bytecodes plus weighted native work). */
	compute: number;
	/** Bytes XS obtained from the OS for its heaps since start. It moves only when a heap grows, so it
	 *  shows retained growth (leaks), never garbage: a loop that allocates and drops leaves it unchanged. */
	allocate: number;
	/** Slots in use: live ones plus garbage since the last collection (every object, array, closure or view takes slots). */
	currentHeapCount: number;
	/** Chunk bytes in use, live plus garbage since the last collection (strings, BigInts, buffer storage,
	 *  property tables); only from the metering worker (hal/xs/meter-worker.ts), otherwise null. */
	chunks: number | null;
	/** The deepest the XS stack went during the crank, in slots from its top (the worker's own frames
	 *  included); only from the metering worker, otherwise null. */
	stack: number | null;
	/** Wall-clock seconds (µs resolution) when XS got the crank, sent and got back each issueCommand, and replied. */
	timestamps: number[];
}

export interface XsCrank {
	/** The ArrayBuffer the crank returned (the script's completion value or handleCommand's result), else empty. */
	reply: Uint8Array;
	meters: XsMeters;
}

/** Answers XS's synchronous `issueCommand(ArrayBuffer)`; XS stays blocked until it settles. */
export type XsCommandHandler = (request: Uint8Array) => Uint8Array | string | void | Promise<Uint8Array | string | void>;

export interface XsWorkerOptions {
	/** Shown in errors and as argv[0] of the worker. */
	name?: string;
	/** Compute units allowed per crank; 0 for none. A crank over the limit kills the worker. Default 1e8. */
	meteringLimit?: number;
	/** Worker executable; default the package's release build. */
	binary?: string;
	/** A command the worker runs under, e.g. ["valgrind", "--tool=callgrind"]. */
	wrapper?: string[];
	handleCommand?: XsCommandHandler;
	/** Lines XS prints (`print`, `trace`). Default: kept in `output`. */
	onPrint?: (line: string) => void;
}

export interface BundleOptions {
	/** Module specifier of the bundle; its namespace becomes `globalThis.bundles[name]` in the worker. */
	name: string;
	/** ES-module source text (a rollup bundle). */
	source: string;
	/** Shim modules for the bundle's external specifiers (e.g. "timer"): specifier -> ES-module source text. */
	modules?: Record<string, string>;
}

/** A failure inside XS (uncaught exception, with XS's message) or of the worker process. */
export class XsError extends Error {
	constructor(message: string, readonly xsMessage: string | null = null) {
		super(message);
	}
	override get name() {
		return "XsError";
	}
}

const EXIT_REASONS: Readonly<Record<number, string>> = Object.freeze({
	1: "bad argument usage",
	2: "I/O error",
	11: "not enough memory",
	12: "stack overflow",
	15: "unhandled exception",
	16: "property key space exhausted",
	17: "too much computation (metering limit)",
});

const OK = 0x2e; // "."
const EXCEPTION = 0x21; // "!"
const QUERY = 0x3f; // "?"
const METER_END = 0x01;
const COLON = 0x3a;
const COMMA = 0x2c;

interface Pending {
	message: Buffer;
	resolve: (crank: XsCrank) => void;
	reject: (error: Error) => void;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killOnExit(child: ChildProcess) {
	live.add(child);
	child.once("exit", () => live.delete(child));
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	// A test that throws before close() must not leave a worker behind.
	process.once("exit", () => {
		for (const c of live) c.kill("SIGKILL");
	});
}

/**
 * One XS machine in a child process. Cranks (evaluate, command) run one at a time in call order;
 * calling them from a command handler queues them after the current crank, which is how events
 * reach XS "after the current crank". The child holds the Node event loop only while a crank runs.
 */
export class XsWorker {
	readonly name: string;
	/** Lines printed by XS when no onPrint was given. */
	readonly output: string[] = [];
	#child: ChildProcess;
	#toXs: Writable;
	#fromXs: Readable;
	#handler: XsCommandHandler | null;
	#onPrint: (line: string) => void;
	#queue: Pending[] = [];
	#current: Pending | null = null;
	#inbox: Buffer = Buffer.alloc(0);
	#stderr = "";
	#printed = "";
	#failure: XsError | null = null;
	#computeTotal = 0;
	#stackPeak = 0;
	#scripts = 0;
	#exited: Promise<void>;
	#stderrDone: Promise<void>;

	constructor(options: XsWorkerOptions = {}) {
		const binary = options.binary ?? XSNAP_WORKER;
		if (!existsSync(binary)) throw new XsError(`xsnap worker not found at ${binary} (is @agoric/xsnap installed and built?)`);
		this.name = options.name ?? "xs";
		this.#handler = options.handleCommand ?? null;
		this.#onPrint = options.onPrint ?? ((line) => this.output.push(line));
		const limit = options.meteringLimit ?? 1e8;
		const args = [this.name.replace(/^-+/, ""), ...(limit > 0 ? ["-l", String(limit)] : [])];
		const [command, ...prefix] = [...(options.wrapper ?? []), binary];
		this.#child = spawn(command!, [...prefix, ...args], { stdio: ["ignore", "pipe", "pipe", "pipe", "pipe", "ignore", "ignore"] });
		killOnExit(this.#child);
		const stdio = this.#child.stdio;
		this.#toXs = stdio[3] as Writable;
		this.#fromXs = stdio[4] as Readable;
		this.#toXs.on("error", () => {}); // EPIPE after a crash: the exit handler reports it
		this.#fromXs.on("data", (chunk: Buffer) => this.#receive(chunk));
		this.#child.stdout!.setEncoding("utf8").on("data", (text: string) => this.#print(text));
		this.#child.stderr!.setEncoding("utf8").on("data", (text: string) => {
			this.#stderr = (this.#stderr + text).slice(-4000);
		});
		this.#stderrDone = new Promise((resolve) => this.#child.stderr!.once("close", resolve));
		this.#exited = new Promise((resolve) => {
			this.#child.once("error", (error) => {
				this.#fail(new XsError(`${this.name}: cannot run ${binary}: ${error.message}`));
				resolve();
			});
			this.#child.once("exit", (code, signal) => {
				const why = signal ? `killed by ${signal}` : `exited with ${code}${EXIT_REASONS[code ?? -1] ? ` (${EXIT_REASONS[code ?? -1]})` : ""}`;
				const detail = this.#stderr.trim();
				this.#fail(new XsError(`${this.name}: worker ${why}${detail ? `: ${detail}` : ""}`));
				resolve();
			});
		});
		this.#hold(false);
	}

	get pid(): number | undefined {
		return this.#child.pid;
	}

	/** Compute units of every crank so far (for work that spans many cranks, such as socket traffic). */
	get computeTotal(): number {
		return this.#computeTotal;
	}

	/** The deepest stack (slots) of any crank since the last `resetStackPeak()`; 0 without the metering worker. */
	get stackPeak(): number {
		return this.#stackPeak;
	}

	resetStackPeak(): void {
		this.#stackPeak = 0;
	}

	/**
	 * Scripts evaluated so far. xsnap keeps a slot and a few chunk bytes of every evaluated script for
	 * good (commands keep nothing): a heap measured across evaluations holds that much of the harness.
	 */
	get scripts(): number {
		return this.#scripts;
	}

	/** The last 4000 characters the worker (or its wrapper) wrote to stderr. */
	get stderr(): string {
		return this.#stderr;
	}

	/** Evaluates a script (not a module) in the start compartment. */
	evaluate(script: string): Promise<XsCrank> {
		this.#scripts++;
		return this.#crank(Buffer.concat([Buffer.from("e"), Buffer.from(script, "utf8")]));
	}

	/** Evaluates `expression` and returns its JSON-serialised value (the JSON work is metered too). */
	async evaluateJson<T = unknown>(expression: string): Promise<{ value: T; meters: XsMeters }> {
		const { reply, meters } = await this.evaluate(`new TextEncoder().encode(JSON.stringify({ v: (${expression}) })).buffer`);
		return { value: (JSON.parse(Buffer.from(reply).toString("utf8")) as { v: T }).v, meters };
	}

	/** Calls XS's `globalThis.handleCommand(ArrayBuffer)`; its ArrayBuffer result (if any) is the reply. */
	command(bytes: Uint8Array | string): Promise<XsCrank> {
		const body = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
		return this.#crank(Buffer.concat([Buffer.from("?"), body]));
	}

	/**
	 * Imports an ES-module bundle in a new Compartment whose module map holds `modules` (shims for
	 * Moddable specifiers) and the bundle. The compartment sees the worker's host globals
	 * (issueCommand, print, gc, setImmediate, TextEncoder/TextDecoder, performance), and a
	 * `handleCommand` the bundle assigns to its globalThis receives this worker's commands.
	 */
	loadBundle({ name, source, modules = {} }: BundleOptions): Promise<XsCrank> {
		const entries = Object.entries({ ...modules, [name]: source })
			.map(([specifier, text]) => `${JSON.stringify(specifier)}: { source: new ModuleSource(${JSON.stringify(text)}) }`)
			.join(",\n");
		return this.evaluate(`(() => {
	const globals = { issueCommand, print, gc, setImmediate, TextEncoder, TextDecoder, performance };
	const loadNowHook = (specifier) => { throw new Error("module " + specifier + " is not in the compartment's map (give it a shim)"); };
	const compartment = new Compartment({ globals, modules: { ${entries} }, loadNowHook });
	const namespace = compartment.importNow(${JSON.stringify(name)});
	globalThis.bundles ??= {};
	globalThis.bundles[${JSON.stringify(name)}] = namespace;
	globalThis.handleCommand = (buffer) => {
		const handler = compartment.globalThis.handleCommand;
		if (typeof handler !== "function") throw new TypeError("bundle ${name} set no handleCommand");
		return handler(buffer);
	};
})()`);
	}

	/** Ends the worker: `q` when idle, otherwise (or if it lingers past `graceMs`) SIGKILL; resolves once the process is gone. Pending cranks reject. */
	async close(graceMs = 1000): Promise<void> {
		if (this.#child.exitCode === null && this.#child.signalCode === null) {
			if (this.#current || this.#failure) this.#child.kill("SIGKILL");
			else this.#toXs.end(netstring(Buffer.from("q")));
			const timer = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
			await this.#exited;
			clearTimeout(timer);
		}
		// What a wrapper (valgrind) prints at exit may still be in the pipe.
		await Promise.race([this.#stderrDone, new Promise((resolve) => setTimeout(resolve, 500).unref())]);
		this.#fail(new XsError(`${this.name}: closed`));
	}

	#crank(message: Buffer): Promise<XsCrank> {
		if (this.#failure) return Promise.reject(this.#failure);
		return new Promise((resolve, reject) => {
			this.#queue.push({ message, resolve, reject });
			this.#next();
		});
	}

	#next() {
		if (this.#current || this.#failure) return;
		const pending = this.#queue.shift();
		this.#hold(pending !== undefined);
		if (!pending) return;
		this.#current = pending;
		this.#toXs.write(netstring(pending.message));
	}

	#receive(chunk: Buffer) {
		this.#inbox = this.#inbox.length ? Buffer.concat([this.#inbox, chunk]) : chunk;
		for (;;) {
			const colon = this.#inbox.indexOf(COLON);
			if (colon < 0) return;
			const length = Number(this.#inbox.toString("latin1", 0, colon));
			if (!Number.isInteger(length) || colon > 10) return this.#protocolError("bad netstring length");
			const end = colon + 1 + length;
			if (this.#inbox.length <= end) return;
			if (this.#inbox[end] !== COMMA) return this.#protocolError("netstring without ','");
			const message = this.#inbox.subarray(colon + 1, end);
			this.#inbox = this.#inbox.subarray(end + 1);
			this.#dispatch(message);
		}
	}

	#dispatch(message: Buffer) {
		const current = this.#current;
		if (!current) return this.#protocolError(`message outside a crank: ${message.toString("latin1", 0, 40)}`);
		switch (message[0]) {
			case OK: {
				const separator = message.indexOf(METER_END);
				const raw = separator < 0 ? {} : (JSON.parse(message.toString("utf8", 1, separator)) as Partial<XsMeters>);
				const meters: XsMeters = {
					compute: raw.compute ?? 0,
					allocate: raw.allocate ?? 0,
					currentHeapCount: raw.currentHeapCount ?? 0,
					chunks: raw.chunks ?? null,
					stack: raw.stack ?? null,
					timestamps: raw.timestamps ?? [],
				};
				// Copy: the reply must outlive the inbox buffer it was cut from.
				const reply = new Uint8Array(message.subarray(separator < 0 ? 1 : separator + 1));
				this.#computeTotal += meters.compute;
				if (meters.stack !== null && meters.stack > this.#stackPeak) this.#stackPeak = meters.stack;
				this.#current = null;
				current.resolve({ reply, meters });
				return this.#next();
			}
			case EXCEPTION: {
				const text = message.toString("utf8", 1);
				this.#current = null;
				current.reject(new XsError(`${this.name}: ${text}`, text));
				return this.#next();
			}
			case QUERY:
				return void this.#answer(new Uint8Array(message.subarray(1)));
			default:
				return this.#protocolError(`unexpected reply '${String.fromCharCode(message[0] ?? 0x20)}'`);
		}
	}

	async #answer(request: Uint8Array) {
		let result: Uint8Array | string | void;
		try {
			if (!this.#handler) throw new Error("no handleCommand given to XsWorker");
			result = await this.#handler(request);
		} catch (error) {
			// XS is blocked in issueCommand: there is no way to resume it sensibly.
			this.#fail(new XsError(`${this.name}: issueCommand handler failed: ${(error as Error).message}`));
			this.#child.kill("SIGKILL");
			return;
		}
		const body = result === undefined ? Buffer.alloc(0) : typeof result === "string" ? Buffer.from(result, "utf8") : result;
		this.#toXs.write(netstring(Buffer.concat([Buffer.from("/"), body])));
	}

	#protocolError(what: string) {
		this.#fail(new XsError(`${this.name}: xsnap protocol error: ${what}`));
		this.#child.kill("SIGKILL");
	}

	#fail(error: XsError) {
		if (!this.#failure) this.#failure = error;
		const pending = this.#current ? [this.#current, ...this.#queue] : this.#queue;
		this.#current = null;
		this.#queue = [];
		for (const p of pending) p.reject(this.#failure);
		this.#hold(false);
	}

	#print(text: string) {
		const lines = (this.#printed + text).split("\n");
		this.#printed = lines.pop()!;
		for (const line of lines) this.#onPrint(line);
	}

	/** Keeps the Node process alive only while a crank is under way. */
	#hold(busy: boolean) {
		const handles = [this.#child, this.#toXs, this.#fromXs, this.#child.stdout, this.#child.stderr] as Array<{ ref?(): void; unref?(): void } | null>;
		for (const h of handles) {
			if (busy) h?.ref?.();
			else h?.unref?.();
		}
	}
}

function netstring(body: Buffer): Buffer {
	return Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(",")]);
}
