import { createHash } from "node:crypto";

export class Digest {
	readonly #parts: Uint8Array[] = [];
	constructor(type: string) {
		if (type !== "SHA1") throw new Error("fake digest: SHA1 only");
	}
	write(data: Uint8Array | ArrayBuffer): void {
		this.#parts.push(new Uint8Array(data instanceof ArrayBuffer ? data : data.slice()));
	}
	close(): ArrayBuffer {
		const hash = createHash("sha1");
		for (const part of this.#parts) hash.update(part);
		return new Uint8Array(hash.digest()).buffer;
	}
}
