// ES-module bundles for XS/Moddable: tree-shaken, minified, every Moddable specifier external.
import typescript from "@rollup/plugin-typescript";
import terser from "@rollup/plugin-terser";
import { deviceEntries } from "./entries.mjs";

// Moddable modules resolve at mcconfig link time, never in the bundle.
const moddableSpecifier = /^(embedded:|mc\/|timer$|time$|preference$|securesocket$|net$|socket$|logical$|crypt$|base64$|text\/)/;

function bundle(name, input) {
	return {
		input,
		external: (id) => moddableSpecifier.test(id),
		treeshake: { moduleSideEffects: false, propertyReadSideEffects: false },
		plugins: [
			typescript({ tsconfig: "tsconfig.src.json", include: ["src/**/*.ts", "hal/hal.ts"], noEmitOnError: false, compilerOptions: { noEmit: false, sourceMap: true, declaration: false, types: [] } }),
			terser({ module: true, ecma: 2020, compress: { passes: 2 } }),
		],
		output: { file: `build/dist/${name}.js`, format: "es", sourcemap: true },
		onwarn(warning, warn) {
			if (warning.code === "UNRESOLVED_IMPORT") throw new Error(warning.message);
			warn(warning);
		},
	};
}

export default Object.entries(deviceEntries).map(([name, input]) => bundle(name, input));
