// embedded:io/socket/tcp as modules/io/socket/lwip/tcp.c behaves: address only, onWritable(count) =
// free send space, a write larger than that throws "would block", read(buffer) fills the whole view.
import { runtime } from "./runtime";

interface Options {
	address: string;
	port: number;
	nodelay?: boolean;
	onReadable?: (count: number) => void;
	onWritable?: (count: number) => void;
	onError?: () => void;
}

export default class TCP {
	readonly options: Options;
	readonly sent: number[] = [];
	closed = false;
	#ready = false;
	#free = 0;
	#incoming: number[] = [];

	constructor(options: Options) {
		if ("host" in options) throw new Error("lwip TCP reads address only");
		if (runtime.tcpConstructorThrows) throw new Error("no socket");
		this.options = options;
		runtime.tcp.push(this);
	}

	read(buffer: Uint8Array): void {
		if (buffer.length > this.#incoming.length) throw new Error("invalid");
		for (let i = 0; i < buffer.length; i++) buffer[i] = this.#incoming.shift() as number;
	}

	write(buffer: Uint8Array): void {
		if (!this.#ready) throw new Error("not ready");
		if (buffer.byteLength > this.#free) throw new Error("would block");
		this.#free -= buffer.byteLength;
		this.sent.push(...buffer);
	}

	close(): void {
		this.closed = true;
	}

	// The test's side of the wire.
	connected(free: number): void {
		this.#ready = true;
		this.#free = free;
		this.options.onWritable?.(free);
	}
	acked(free: number): void {
		this.#free = free;
		this.options.onWritable?.(free);
	}
	receive(bytes: number[]): void {
		this.#ready = true;
		this.#incoming.push(...bytes);
		this.options.onReadable?.(this.#incoming.length);
	}
	fail(): void {
		this.options.onError?.();
	}
}
