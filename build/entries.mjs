// Bundle entries: name -> source. Device bundles must not import anything but Moddable specifiers.
export const deviceEntries = {
	codec: "src/protocol/index.ts",
};
// Bundles that only exist to run tests and benchmarks under real XS (not size-reported).
export const xsEntries = {};
