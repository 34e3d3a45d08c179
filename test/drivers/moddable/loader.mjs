// Node module hook for the hal/moddable tests: inside hal/moddable, Moddable module specifiers resolve
// to the fakes next to this file. Registered with module.register() by moddable-hal.test.ts.
const FAKES = {
	"embedded:io/socket/tcp": "tcp.ts",
	"embedded:io/socket/listener": "listener.ts",
	net: "net.ts",
	securesocket: "securesocket.ts",
	timer: "timer.ts",
	time: "time.ts",
	crypt: "crypt.ts",
	preference: "preference.ts",
	"text/decoder": "textdecoder.ts",
	"mc/config": "config.ts",
	Resource: "resource.ts",
	steamsensor: "steamsensor.ts",
};

export async function resolve(specifier, context, nextResolve) {
	const fake = FAKES[specifier];
	// Handed on (not short-circuited) so tsx's own resolve sees the .ts file and its load transpiles it.
	if (fake !== undefined && context.parentURL?.includes("/hal/moddable/")) return nextResolve(new URL(fake, import.meta.url).href, context);
	return nextResolve(specifier, context);
}
