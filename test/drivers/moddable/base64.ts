// Uint8Array.prototype.toBase64 and Uint8Array.fromBase64, which XS has natively and Node 20 does not
// (hal/moddable's base64): imported for its effect by the tests that run hal/moddable on Node.
const proto = Uint8Array.prototype as unknown as { toBase64?: () => string };
proto.toBase64 ??= function (this: Uint8Array) {
	return Buffer.from(this.buffer, this.byteOffset, this.byteLength).toString("base64");
};
const ctor = Uint8Array as unknown as { fromBase64?: (text: string) => Uint8Array };
ctor.fromBase64 ??= (text: string) => {
	if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) throw new SyntaxError("invalid base64");
	return new Uint8Array(Buffer.from(text, "base64"));
};
