// Bundle entries: name -> source. Device bundles import nothing but Moddable specifiers.
export const deviceEntries = {
	// The codec alone, tree-shaken from its public index.
	codec: "src/protocol/index.ts",
	// The part of the codec a device bundle carries: what src/ imports from it (test/protocol/device.test.ts keeps it exact).
	"codec-device": "src/protocol/device.ts",
	// The runtime without an app: ws + codec + client + things.
	client: "src/index.ts",
	// The SteamSensor app with its drivers: what manifest.json maps as "steamsensor".
	steamsensor: "src/apps/steamsensor/device.ts",
	// The edge gateway for a device (examples/gateway maps it as "alwayson-gateway"): no compressor, no proxy.
	gateway: "src/gateway/device.ts",
};
// The XS test bundles are built by test/xs/bundles.ts (their own tsconfig), not here.
