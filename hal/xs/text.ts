/*
 * SHA-1, base64 and UTF-8 in plain JavaScript for the XS test bridge: xsnap has no crypto module and
 * the device's own (Moddable) implementations are not available there. Bridge code, not device code.
 */

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export class Sha1 {
	#w = new Uint32Array(80);

	digest(bytes: Uint8Array): Uint8Array {
		const length = bytes.length;
		const blocks = ((length + 8) >>> 6) + 1;
		const w = this.#w;
		let h0 = 0x67452301, h1 = 0xefcdab89, h2 = 0x98badcfe, h3 = 0x10325476, h4 = 0xc3d2e1f0;
		for (let block = 0; block < blocks; block++) {
			for (let i = 0; i < 16; i++) {
				let word = 0;
				for (let j = 0; j < 4; j++) {
					const at = block * 64 + i * 4 + j;
					const byte = at < length ? bytes[at]! : at === length ? 0x80 : 0;
					word = (word << 8) | byte;
				}
				w[i] = word;
			}
			if (block === blocks - 1) {
				// Message length in bits, big-endian 64-bit (lengths here stay far below 2^32 bits).
				w[14] = Math.floor(length / 0x20000000);
				w[15] = (length << 3) >>> 0;
			}
			for (let i = 16; i < 80; i++) {
				const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
				w[i] = (x << 1) | (x >>> 31);
			}
			let a = h0, b = h1, c = h2, d = h3, e = h4;
			for (let i = 0; i < 80; i++) {
				const f = i < 20 ? ((b & c) | (~b & d)) + 0x5a827999
					: i < 40 ? (b ^ c ^ d) + 0x6ed9eba1
					: i < 60 ? ((b & c) | (b & d) | (c & d)) + 0x8f1bbcdc
					: (b ^ c ^ d) + 0xca62c1d6;
				const t = (((a << 5) | (a >>> 27)) + f + e + w[i]!) | 0;
				e = d;
				d = c;
				c = (b << 30) | (b >>> 2);
				b = a;
				a = t;
			}
			h0 = (h0 + a) | 0;
			h1 = (h1 + b) | 0;
			h2 = (h2 + c) | 0;
			h3 = (h3 + d) | 0;
			h4 = (h4 + e) | 0;
		}
		const out = new Uint8Array(20);
		const h = [h0, h1, h2, h3, h4];
		for (let i = 0; i < 20; i++) out[i] = (h[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
		return out;
	}
}

export function base64Encode(bytes: Uint8Array): string {
	let out = "";
	for (let i = 0; i < bytes.length; i += 3) {
		const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
		out += BASE64[n >> 18]! + BASE64[(n >> 12) & 63]!;
		out += i + 1 < bytes.length ? BASE64[(n >> 6) & 63]! : "=";
		out += i + 2 < bytes.length ? BASE64[n & 63]! : "=";
	}
	return out;
}

/** Strict: padding required, no whitespace; anything else is a TypeError. */
export function base64Decode(text: string): Uint8Array {
	if (text.length % 4 !== 0) throw new TypeError("base64: length is not a multiple of 4");
	const pad = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
	const out = new Uint8Array((text.length / 4) * 3 - pad);
	let o = 0;
	for (let i = 0; i < text.length; i += 4) {
		let n = 0;
		for (let j = 0; j < 4; j++) {
			const c = text[i + j]!;
			const v = c === "=" && i + 4 === text.length && j >= 4 - pad ? 0 : BASE64.indexOf(c);
			if (v < 0) throw new TypeError(`base64: bad character at ${i + j}`);
			n = (n << 6) | v;
		}
		out[o++] = n >> 16;
		if (o < out.length) out[o++] = (n >> 8) & 0xff;
		if (o < out.length) out[o++] = n & 0xff;
	}
	return out;
}

/** UTF-8 encode into `into` at `offset`; -1 and nothing written when it does not fit. Lone surrogates become U+FFFD. */
export function utf8EncodeInto(text: string, into: Uint8Array, offset: number): number {
	const length = text.length;
	let needed = 0;
	for (let i = 0; i < length; i++) {
		const c = codePointAt(text, length, i);
		if (c > 0xffff) i++;
		needed += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
	}
	if (offset < 0 || offset + needed > into.length) return -1;
	let o = offset;
	for (let i = 0; i < length; i++) {
		const c = codePointAt(text, length, i);
		if (c < 0x80) into[o++] = c;
		else if (c < 0x800) {
			into[o++] = 0xc0 | (c >> 6);
			into[o++] = 0x80 | (c & 63);
		} else if (c < 0x10000) {
			into[o++] = 0xe0 | (c >> 12);
			into[o++] = 0x80 | ((c >> 6) & 63);
			into[o++] = 0x80 | (c & 63);
		} else {
			i++;
			into[o++] = 0xf0 | (c >> 18);
			into[o++] = 0x80 | ((c >> 12) & 63);
			into[o++] = 0x80 | ((c >> 6) & 63);
			into[o++] = 0x80 | (c & 63);
		}
	}
	return needed;
}

// Under XS, `text.charCodeAt(i)` and `text.length` on a primitive string each make a String wrapper
// (2 slots, measured); the method called with the string as `this` makes none.
const charCodeAt = String.prototype.charCodeAt;

/** The code point at `i` of `text` (`length` long), U+FFFD for a lone surrogate. */
function codePointAt(text: string, length: number, i: number): number {
	const c = charCodeAt.call(text, i);
	if (c < 0xd800 || c > 0xdfff) return c;
	if (c < 0xdc00 && i + 1 < length) {
		const d = charCodeAt.call(text, i + 1);
		if (d >= 0xdc00 && d <= 0xdfff) return 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
	}
	return 0xfffd;
}

/** Strict UTF-8 decode (no overlongs, surrogates, values over U+10FFFF or truncation): TypeError otherwise. */
export function utf8Decode(bytes: Uint8Array, offset: number, length: number): string {
	const end = offset + length;
	if (offset < 0 || length < 0 || end > bytes.length) throw new RangeError("utf8Decode: range outside the bytes");
	let out = "";
	const units: number[] = [];
	for (let i = offset; i < end; ) {
		const b = bytes[i]!;
		let c: number;
		let n: number;
		if (b < 0x80) {
			c = b;
			n = 0;
		} else if (b >= 0xc2 && b <= 0xdf) {
			c = b & 0x1f;
			n = 1;
		} else if (b >= 0xe0 && b <= 0xef) {
			c = b & 0x0f;
			n = 2;
		} else if (b >= 0xf0 && b <= 0xf4) {
			c = b & 0x07;
			n = 3;
		} else throw new TypeError(`utf8Decode: invalid byte 0x${b.toString(16)} at ${i - offset}`);
		if (i + n >= end) throw new TypeError(`utf8Decode: truncated sequence at ${i - offset}`);
		for (let k = 1; k <= n; k++) {
			const x = bytes[i + k]!;
			if ((x & 0xc0) !== 0x80) throw new TypeError(`utf8Decode: bad continuation byte at ${i + k - offset}`);
			c = (c << 6) | (x & 63);
		}
		if ((n === 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (n === 3 && (c < 0x10000 || c > 0x10ffff))) {
			throw new TypeError(`utf8Decode: invalid code point at ${i - offset}`);
		}
		i += n + 1;
		if (c > 0xffff) {
			c -= 0x10000;
			units.push(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
		} else units.push(c);
		if (units.length >= 4096) {
			out += String.fromCharCode.apply(null, units);
			units.length = 0;
		}
	}
	return units.length ? out + String.fromCharCode.apply(null, units) : out;
}
