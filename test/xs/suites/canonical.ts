/*
 * A JSON form of codec values that both engines produce identically, for comparing XS results with
 * Node's: bytes become {$bytes: hex}, and the numbers JSON cannot carry (-0, NaN, ±Infinity) become
 * {$number: text}. Runtime-free: bundled into XS suites and imported by Node tests.
 */

export function canonical(value: unknown): unknown {
	if (value instanceof Uint8Array) return { $bytes: toHex(value, 0, value.length) };
	if (typeof value === "number") return Number.isFinite(value) && !Object.is(value, -0) ? value : { $number: Object.is(value, -0) ? "-0" : String(value) };
	if (Array.isArray(value)) return value.map(canonical);
	if (value !== null && typeof value === "object") {
		const out: Record<string, unknown> = {};
		for (const key of Object.keys(value)) out[key] = canonical((value as Record<string, unknown>)[key]);
		return out;
	}
	return value;
}

export function fromCanonical(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(fromCanonical);
	if (value !== null && typeof value === "object") {
		const o = value as Record<string, unknown>;
		if (typeof o.$bytes === "string") return fromHex(o.$bytes);
		if (typeof o.$number === "string") return o.$number === "-0" ? -0 : Number(o.$number);
		const out: Record<string, unknown> = {};
		for (const key of Object.keys(o)) out[key] = fromCanonical(o[key]);
		return out;
	}
	return value;
}

export function toHex(bytes: Uint8Array, offset: number, length: number): string {
	let s = "";
	for (let i = offset; i < offset + length; i++) s += (bytes[i]! < 16 ? "0" : "") + bytes[i]!.toString(16);
	return s;
}

export function fromHex(text: string): Uint8Array {
	const out = new Uint8Array(text.length >> 1);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
	return out;
}
