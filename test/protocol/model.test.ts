import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { STEAMSENSOR_CAPTURE } from "../fixtures/capture-path";

test("the C SDK capture fixture is in the repository, one JSON frame record per line", () => {
	const lines = readFileSync(STEAMSENSOR_CAPTURE, "utf8").trim().split("\n");
	assert.ok(lines.length > 10);
	for (const line of lines) {
		const record = JSON.parse(line) as { from?: string; hex?: string; control?: string };
		assert.ok(record.from === "edge" || record.from === "platform", line);
		assert.ok(typeof record.hex === "string" || typeof record.control === "string", line);
	}
});
