// securesocket.js: a dictionary with host/port/secure; callback(1 connected | 2 readable n | 3 writable n | -1 | -2);
// write() without arguments = free space; a larger write throws; during callback 2 the decrypted chunk is
// `data` (securesocket.js sets it, its read() copies out of it, and deletes it after).
import { runtime } from "./runtime";

export default class SecureSocket {
	readonly dict: Record<string, unknown>;
	callback: ((message: number, value?: number) => void) | null = null;
	free = 0;
	readonly sent: number[] = [];
	closed = false;
	data: Uint8Array | undefined = undefined;
	/** When set, writes go to it (a peer that takes them at once: `free` stays) instead of into `sent`. */
	onWrite: ((bytes: Uint8Array) => void) | null = null;
	#inCallback = 0;

	constructor(dict: Record<string, unknown>) {
		this.dict = dict;
		runtime.tls.push(this);
	}

	/** No rest parameter: XS would make an array per call (tests under XS measure what a write allocates). */
	write(bytes?: Uint8Array): number | undefined {
		if (bytes === undefined) return this.free;
		if (bytes.byteLength > this.free) throw new Error("can't write all data");
		if (this.onWrite !== null) {
			this.onWrite(bytes);
			return undefined;
		}
		this.free -= bytes.byteLength;
		this.sent.push(...bytes);
		return undefined;
	}

	close(): void {
		if (this.#inCallback > 0) runtime.closedInOwnCallback.push("securesocket");
		this.closed = true;
	}

	// The test's side: the runtime calling back (1 connected, 3 writable, -1 disconnected, -2 error).
	signal(message: number, value?: number): void {
		this.#inCallback++;
		try {
			this.callback?.(message, value);
		} finally {
			this.#inCallback--;
		}
	}
	/** One decrypted chunk (up to 1 KB in the SDK), as callback 2. */
	deliver(bytes: number[] | Uint8Array): void {
		const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
		this.data = data;
		this.signal(2, data.length);
		this.data = undefined;
	}
}
