import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

test("captures are readable", () => {
	const lines = readFileSync(new URL("../../../shared/alwayson/captures/steamsensor-session.jsonl", import.meta.url), "utf8").trim().split("\n");
	assert.ok(lines.length > 10);
});
