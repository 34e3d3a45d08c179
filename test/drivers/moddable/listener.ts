// embedded:io/socket/listener as modules/io/socket/lwip/listener.js behaves: onReadable(count) for
// pending connections, read() hands each over as a TCP object (taken over with new TCP({from})).
import { runtime } from "./runtime";
import TCP from "./tcp";

interface Options {
	address?: string;
	port?: number;
	onReadable?: (count: number) => void;
}

export default class Listener {
	readonly options: Options;
	readonly pending: TCP[] = [];
	closed = false;

	constructor(options: Options) {
		if (runtime.listenerConstructorThrows) throw new Error("bind failed");
		this.options = options;
		runtime.listeners.push(this);
	}

	get port(): number {
		return this.options.port || 49152;
	}

	read(): TCP | undefined {
		return this.pending.shift();
	}

	close(): void {
		this.closed = true;
	}

	// The test's side: a client connects from `address`.
	connect(address: string, free: number): void {
		this.pending.push(TCP.incoming(address, free));
		this.options.onReadable?.(this.pending.length);
	}
}
