/*
 * UTF-8 without TextEncoder/TextDecoder (XS devices have neither as a global): encoding writes
 * straight into the caller's buffer, decoding validates (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). A lone surrogate in a JS string is written as U+FFFD, as TextEncoder does.
 * Encoding allocates nothing (the push path writes string values through it).
 */
import { DecodeError } from "./errors";

const INVALID = "invalid UTF-8 ";

/** Code units per String.fromCharCode call: small, so an MCU's XS stack is never at risk. */
const SLICE = 128;

/**
 * XS boxes a primitive string for `text.length` and `text.charCodeAt(i)` (two slots each time);
 * calling the prototype's charCodeAt on it does not, and its NaN past the end marks the end of the
 * text. So these loops allocate nothing on any engine.
 */
export const charCodeAt = String.prototype.charCodeAt;

/** Bytes `text` takes in UTF-8. */
export function utf8Length(text: string): number {
	let length = 0;
	for (let i = 0; ; i++) {
		const c = charCodeAt.call(text, i);
		if (c !== c) return length; // NaN: the end
		if (c < 0x80) length += 1;
		else if (c < 0x800) length += 2;
		else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(charCodeAt.call(text, i + 1))) {
			length += 4;
			i++;
		} else length += 3;
	}
}

/** Writes `text` at `offset` (the caller checked the room with utf8Length); returns the end offset. */
export function utf8Write(text: string, into: Uint8Array, offset: number): number {
	for (let i = 0; ; i++) {
		let c = charCodeAt.call(text, i);
		if (c !== c) return offset; // NaN: the end
		if (c < 0x80) {
			into[offset++] = c;
			continue;
		}
		if (c < 0x800) {
			into[offset++] = 0xc0 | (c >> 6);
			into[offset++] = 0x80 | (c & 0x3f);
			continue;
		}
		if (c >= 0xd800 && c <= 0xdfff) {
			const low = charCodeAt.call(text, i + 1);
			if (c <= 0xdbff && isLowSurrogate(low)) {
				c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
				i++;
				into[offset++] = 0xf0 | (c >> 18);
				into[offset++] = 0x80 | ((c >> 12) & 0x3f);
				into[offset++] = 0x80 | ((c >> 6) & 0x3f);
				into[offset++] = 0x80 | (c & 0x3f);
				continue;
			}
			c = 0xfffd;
		}
		into[offset++] = 0xe0 | (c >> 12);
		into[offset++] = 0x80 | ((c >> 6) & 0x3f);
		into[offset++] = 0x80 | (c & 0x3f);
	}
}

/** Decodes `bytes[start, end)`; malformed UTF-8 is a DecodeError at the offending byte. */
export function utf8Read(bytes: Uint8Array, start: number, end: number): string {
	let units: number[] = [];
	let text = "";
	for (let i = start; i < end; ) {
		const first = bytes[i];
		let cp = first;
		let extra = 0;
		let min = 0;
		if (first >= 0x80) {
			if (first < 0xc2 || first > 0xf4) throw new DecodeError(i, INVALID + "lead byte");
			extra = first < 0xe0 ? 1 : first < 0xf0 ? 2 : 3;
			min = extra === 1 ? 0x80 : extra === 2 ? 0x800 : 0x10000;
			cp = first & (0x7f >> (extra + 1));
			if (i + extra >= end) throw new DecodeError(i, "truncated UTF-8 sequence");
			for (let k = 1; k <= extra; k++) {
				const next = bytes[i + k];
				if ((next & 0xc0) !== 0x80) throw new DecodeError(i + k, INVALID + "continuation byte");
				cp = (cp << 6) | (next & 0x3f);
			}
			if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new DecodeError(i, INVALID + "code point");
		}
		i += extra + 1;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
		} else units.push(cp);
		if (units.length >= SLICE) {
			text += String.fromCharCode.apply(null, units);
			units = [];
		}
	}
	return text + String.fromCharCode.apply(null, units);
}

function isLowSurrogate(c: number): boolean {
	return c >= 0xdc00 && c <= 0xdfff;
}
