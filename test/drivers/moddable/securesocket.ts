// securesocket.js: a dictionary with host/port/secure; callback(1 connected | 2 readable n | 3 writable n | -1 | -2);
// write() without arguments = free space; a larger write throws; read(ArrayBuffer) = the current chunk.
import { runtime } from "./runtime";

export default class SecureSocket {
	readonly dict: Record<string, unknown>;
	callback: ((message: number, value?: number) => void) | null = null;
	free = 0;
	readonly sent: number[] = [];
	closed = false;
	#chunk: number[] = [];
	#inCallback = 0;

	constructor(dict: Record<string, unknown>) {
		this.dict = dict;
		runtime.tls.push(this);
	}

	read(type: unknown): ArrayBuffer {
		if (type !== ArrayBuffer) throw new Error("fake reads ArrayBuffer only");
		const bytes = new Uint8Array(this.#chunk.splice(0));
		return bytes.buffer;
	}

	write(...args: Uint8Array[]): number | undefined {
		if (args.length === 0) return this.free;
		const bytes = args[0];
		if (bytes.byteLength > this.free) throw new Error("can't write all data");
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
	deliver(bytes: number[]): void {
		this.#chunk = bytes.slice();
		this.signal(2, bytes.length);
	}
}
