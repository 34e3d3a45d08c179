// "crypt" for hal/moddable under XS (test/xs/bundles.ts maps it): Digest("SHA1") on the bridge's plain
// JavaScript SHA-1, since the Node fake (test/drivers/moddable/crypt.ts) needs node:crypto.
import { Sha1 } from "../../../hal/xs/text";

export class Digest {
	#bytes = new Uint8Array(0);

	constructor(type: string) {
		if (type !== "SHA1") throw new Error("stand-in digest: SHA1 only");
	}

	write(data: Uint8Array | ArrayBuffer): void {
		const next = new Uint8Array(this.#bytes.length + data.byteLength);
		next.set(this.#bytes);
		next.set(data instanceof ArrayBuffer ? new Uint8Array(data) : data, this.#bytes.length);
		this.#bytes = next;
	}

	close(): ArrayBuffer {
		return new Sha1().digest(this.#bytes).slice().buffer;
	}
}
