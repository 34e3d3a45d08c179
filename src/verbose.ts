/*
 * Whether errors carry their sentences. True on hosts and in tests; false in the device bundles, where
 * build/rollup.config.mjs replaces this module and the sentences (and what only builds them, such as the
 * option spell-checker) drop out as dead code: a device's error keeps its type and names the option or
 * value in a short code, e.g. RangeError "range chunkSize".
 */
export const VERBOSE: boolean = true;
