// ES-module bundles for XS/Moddable: tree-shaken, minified, every Moddable specifier external.
import typescript from "@rollup/plugin-typescript";
import terser from "@rollup/plugin-terser";
import { deviceEntries } from "./entries.mjs";
import { inlineConstants } from "./inline-constants.mjs";

// Moddable modules resolve at mcconfig link time, never in the bundle.
const moddableSpecifier = /^(embedded:|mc\/|timer$|time$|preference$|securesocket$|net$|socket$|logical$|crypt$|base64$|text\/)/;

function bundle(name, input) {
	return {
		input,
		external: (id) => moddableSpecifier.test(id),
		treeshake: { moduleSideEffects: false, propertyReadSideEffects: false },
		plugins: [
			terseErrors(),
			typescript({ tsconfig: "tsconfig.src.json", include: ["src/**/*.ts", "hal/hal.ts"], noEmitOnError: false, compilerOptions: { noEmit: false, sourceMap: true, declaration: false, types: [] } }),
			// Numeric module constants into their uses: fewer top-level bindings, a shallower stack at load (build/inline-constants.mjs).
			inlineConstants(),
			// module: top-level names mangled and unused ones dropped. pure_getters: our getters have no side
			// effects; unsafe_arrows: no function expression here is a constructor or reads its prototype
			// (XS runs arrows natively). Together ~0.3% of the client bundle; XS ships bytecode, so the
			// flash saving is tree-shaking's, not terser's.
			// reduce_vars off: with it terser inlines single-use functions as function expressions called
			// in place, and XS allocates a closure for each such call (measured: 11 slots a property set
			// on the push path); it also folds string constants back into literals, which xsnap allocates.
			terser({ module: true, ecma: 2020, compress: { passes: 2, pure_getters: true, unsafe_arrows: true, reduce_vars: false } }),
		],
		output: { file: `build/dist/${name}.js`, format: "es", sourcemap: true },
		onwarn(warning, warn) {
			if (warning.code === "UNRESOLVED_IMPORT") throw new Error(warning.message);
			warn(warning);
		},
	};
}

/** src/verbose.ts as false: error sentences and host-only checks are dead code, dropped by tree-shaking. */
function terseErrors() {
	return { name: "terse-errors", load: (id) => (id.endsWith("/src/verbose.ts") ? "export const VERBOSE = false;\n" : null) };
}

export default Object.entries(deviceEntries).map(([name, input]) => bundle(name, input));
