// embedded:io/socket/tcp as modules/io/socket/lwip/tcp.c behaves: address only, onWritable(count) =
// free send space, a write larger than that throws "would block", read(buffer) fills the whole view.
import { runtime } from "./runtime";

interface Options {
	address?: string;
	from?: TCP;
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
	#inCallback = 0;

	remoteAddress: string | undefined = undefined;
	remotePort: number | undefined = undefined;

	constructor(options: Options) {
		if ("host" in options) throw new Error("lwip TCP reads address only");
		if (runtime.tcpConstructorThrows) throw new Error("no socket");
		this.options = options;
		const from = options.from;
		if (from !== undefined) {
			// tcp.c: the connection moves over, the old object is left empty; onWritable if there is room.
			if (from.#taken) throw new Error("invalid from");
			from.#taken = true;
			this.remoteAddress = from.remoteAddress;
			this.remotePort = from.remotePort;
			this.#ready = from.#ready;
			this.#free = from.#free;
			runtime.tcp.push(this);
			if (this.#free > 0) this.#call(this.options.onWritable, this.#free);
			return;
		}
		runtime.tcp.push(this);
	}

	#taken = false;

	/** A connection a Listener accepted (not yet taken over). */
	static incoming(address: string, free: number): TCP {
		const tcp = new TCP({ address, port: 0 });
		runtime.tcp.pop(); // made by the listener, not by the code under test
		tcp.remoteAddress = address;
		tcp.remotePort = 50000;
		tcp.#ready = true;
		tcp.#free = free;
		return tcp;
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
		if (this.#inCallback > 0) runtime.closedInOwnCallback.push("tcp");
		this.closed = true;
	}

	#call(callback: ((count: number) => void) | undefined, count: number): void {
		this.#inCallback++;
		try {
			callback?.(count);
		} finally {
			this.#inCallback--;
		}
	}

	// The test's side of the wire.
	connected(free: number): void {
		this.#ready = true;
		this.#free = free;
		this.#call(this.options.onWritable, free);
	}
	acked(free: number): void {
		this.#free = free;
		this.#call(this.options.onWritable, free);
	}
	receive(bytes: number[]): void {
		this.#ready = true;
		this.#incoming.push(...bytes);
		this.#call(this.options.onReadable, this.#incoming.length);
	}
	fail(): void {
		this.#call(this.options.onError, 0);
	}
}
