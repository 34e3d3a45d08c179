/*
 * What @moddable/typings 5.6.0 (the only version on npm) lacks and the Moddable SDK 8.2.x typings
 * declare, written in 8.2's shape (typings/crypt.d.ts, xs/includes/xs.d.ts) so code checked here also
 * checks against the SDK. Only `npm test`'s tsc reads this file (hal/moddable/tsconfig.json includes
 * it); mcconfig's tsc uses the SDK's own typings and never sees it, so nothing here may be referenced
 * from a source file.
 */

declare module "crypt" {
	type DigestType = "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512";

	export class Digest {
		constructor(type: DigestType);
		write(message: string | ArrayBuffer): void;
		close(): ArrayBuffer;
		reset(): void;
		get blockSize(): number;
		get outputSize(): number;
		update(message: string | ArrayBuffer): void;
	}
}

// Native in XS (xs/sources/xsDataView.c), declared in the SDK's xs.d.ts; not in TypeScript's ES2022/2024 libs.
interface Uint8Array<TArrayBuffer extends ArrayBufferLike = ArrayBufferLike> {
	toBase64(): string;
}

interface Uint8ArrayConstructor {
	fromBase64(base64: string, options?: { alphabet?: "base64url" | "base64"; lastChunkHandling?: "stop-before-partial" | "strict" | "loose" }): Uint8Array<ArrayBuffer>;
}
