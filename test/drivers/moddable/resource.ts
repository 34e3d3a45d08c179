// Resource: a read-only host buffer of a file built into the image; slice() copies into an ArrayBuffer.
import { runtime } from "./runtime";

export default class Resource {
	readonly #bytes: Uint8Array;
	constructor(path: string) {
		const bytes = runtime.resources.get(path);
		if (bytes === undefined) throw new Error("resource not found");
		this.#bytes = bytes;
	}
	slice(begin: number, end?: number): ArrayBuffer {
		return this.#bytes.slice(begin, end).buffer;
	}
	static exists(path: string): boolean {
		return runtime.resources.has(path);
	}
}
