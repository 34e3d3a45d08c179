/*
 * How long a test waits for something that must happen before calling it a failure. It guards
 * against a hang and is about correctness only: a busy 2-core machine must never reach it, so it is
 * far above any real duration (speed is measured by the benchmarks, never asserted by a test).
 */
export const DEADLINE_MS = 60_000;
