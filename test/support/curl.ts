/*
 * curl, a client nobody here wrote, when the machine has it: tests that use it say so and fall back
 * (or skip) with that reason when it is missing.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";

function curlPath(): string | null {
	try {
		return execFileSync("sh", ["-c", "command -v curl"], { encoding: "utf8" }).trim() || null;
	} catch {
		return null;
	}
}

/** The curl binary, or null when it is not installed. */
export const CURL = curlPath();

export const NO_CURL = "curl is not installed (apt-get install curl)";

/** PUTs a JSON body with curl; resolves with the HTTP status code curl saw, as text. */
export async function curlPutJson(url: string, json: string): Promise<string> {
	const { stdout } = await promisify(execFile)(CURL!, ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "Content-Type: application/json", "-d", json, url]);
	return stdout;
}
