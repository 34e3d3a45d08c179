/*
 * XS side of test/drivers/xs-moddable-tls.test.ts: hal/moddable's HAL and sockets with the EdgeClient,
 * under XS, the Moddable modules replaced by the fakes of test/drivers/moddable (test/xs/bundles.ts
 * maps them). The test drives SecureSocket through the fakes' runtime: a handshake that fails part way,
 * then virtual time until the client tries again. Type-checked with hal/moddable/tsconfig.json.
 */
import { createModdableHal } from "../../../hal/moddable/hal";
import { EdgeClient } from "../../../src/client/index";
import { Thing } from "../../../src/thing/index";
import { runtime } from "../../drivers/moddable/runtime";

const lines: string[] = [];
const errors: Array<{ name: string; kind: string; message: string }> = [];
const states: string[] = [];
let client: EdgeClient | null = null;

/** A client for wss://twx.example with one bare thing (the connection never gets as far as binding it). */
export function start(): void {
	runtime.reset();
	(globalThis as unknown as { trace: (line: string) => void }).trace = (line) => void lines.push(line);
	const hal = createModdableHal({ logLevel: "info" });
	client = new EdgeClient(hal, { host: "twx.example", port: 443, tls: true, appKey: () => "not-a-key", things: [new Thing({ name: "Edge" })], backoffBaseMs: 100, backoffCapMs: 400 });
	client.onStateChange = (state) => void states.push(state);
	client.onError = (error) => void errors.push({ name: error.name, kind: (error as Error & { kind?: string }).kind ?? "", message: error.message });
	client.start();
}

/** The current SecureSocket's runtime reports `message` (-2 error, -1 disconnected) before the handshake completed; its zero-delay timers then run. */
export function failHandshake(message: number): void {
	const tls = runtime.tls[runtime.tls.length - 1];
	if (tls === undefined) throw new Error("no SecureSocket to fail");
	tls.signal(message);
	runtime.runZeroDelay();
}

/** Virtual time in 50 ms steps until another SecureSocket is opened (at most `limitMs`); the ms waited, or -1. */
export function untilReconnect(limitMs: number): number {
	const sockets = runtime.tls.length;
	for (let waited = 50; waited <= limitMs; waited += 50) {
		runtime.advance(50);
		if (runtime.tls.length > sockets) return waited;
	}
	return -1;
}

/** What happened so far. */
export function report(): { sockets: number; closed: boolean[]; closedInOwnCallback: string[]; errors: typeof errors; states: string[]; lines: string[] } {
	return { sockets: runtime.tls.length, closed: runtime.tls.map((t) => t.closed), closedInOwnCallback: runtime.closedInOwnCallback.slice(), errors, states, lines };
}
