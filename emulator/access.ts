/*
 * Who may use the HTTP side: a request with a valid `appKey` header (as on the platform), or a
 * browser holding a dashboard session cookie. A session comes from the token in the printed dashboard
 * URL or from typing an application key once into the page. The token works once, unless the
 * emulator is a throw-away one on loopback whose link must keep working (`dashboardLink: "reusable"`).
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";

const SESSION_COOKIE = "twxemu";
const MAX_SESSIONS = 256;

export class Access {
	#checkKey: (key: string | undefined) => boolean;
	#token: string | null;
	#reusable: boolean;
	#sessions: string[] = [];

	constructor(checkKey: (key: string | undefined) => boolean, reusable = false) {
		this.#checkKey = checkKey;
		this.#reusable = reusable;
		this.#token = randomBytes(18).toString("base64url");
	}

	/** The token for the dashboard URL (null once used, unless reusable). */
	get token(): string | null {
		return this.#token;
	}

	keyOf(request: IncomingMessage): string | undefined {
		const header = request.headers.appkey;
		return Array.isArray(header) ? header[0] : header;
	}

	#cookie(request: IncomingMessage): string | undefined {
		for (const part of (request.headers.cookie ?? "").split(";")) {
			const [name, value] = part.trim().split("=");
			if (name === SESSION_COOKIE) return value;
		}
		return undefined;
	}

	authorized(request: IncomingMessage): boolean {
		if (this.#checkKey(this.keyOf(request))) return true;
		const session = this.#cookie(request);
		return session !== undefined && this.#sessions.includes(session);
	}

	/** A new session for a valid key or the token (unused, or reusable); null otherwise. */
	open(key: string | undefined, token: string | undefined): string | null {
		const tokenOk = this.#token !== null && token === this.#token;
		if (!tokenOk && !this.#checkKey(key)) return null;
		if (tokenOk && !this.#reusable) this.#token = null;
		const session = randomBytes(24).toString("base64url");
		this.#sessions.push(session);
		if (this.#sessions.length > MAX_SESSIONS) this.#sessions.shift();
		return session;
	}

	setCookie(session: string): string {
		return `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`;
	}
}
