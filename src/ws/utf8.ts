/**
 * Incremental UTF-8 validation (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF.
 * The state is the count of continuation bytes still due and the range the next one must fall in,
 * so a sequence may be cut anywhere between fragments or reads.
 */
export class Utf8Validator {
	#due = 0;
	#low = 0x80;
	#high = 0xbf;

	reset(): void {
		this.#due = 0;
		this.#low = 0x80;
		this.#high = 0xbf;
	}

	/** True when nothing is left mid-sequence. */
	get complete(): boolean {
		return this.#due === 0;
	}

	/** Checks `bytes[start, end)`; false at the first byte that cannot be UTF-8. */
	feed(bytes: Uint8Array, start: number, end: number): boolean {
		let due = this.#due;
		let low = this.#low;
		let high = this.#high;
		for (let i = start; i < end; i++) {
			const b = bytes[i];
			if (due > 0) {
				if (b < low || b > high) return false;
				due--;
				low = 0x80;
				high = 0xbf;
			} else if (b < 0x80) {
				continue;
			} else if (b >= 0xc2 && b <= 0xdf) {
				due = 1;
			} else if (b >= 0xe0 && b <= 0xef) {
				due = 2;
				if (b === 0xe0) low = 0xa0; // overlong
				else if (b === 0xed) high = 0x9f; // surrogates
			} else if (b >= 0xf0 && b <= 0xf4) {
				due = 3;
				if (b === 0xf0) low = 0x90; // overlong
				else if (b === 0xf4) high = 0x8f; // over U+10FFFF
			} else {
				return false;
			}
		}
		this.#due = due;
		this.#low = low;
		this.#high = high;
		return true;
	}
}
