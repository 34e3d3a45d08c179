/*
 * Loss detection (issue 12): what tells the client that a connection which looks alive (pings are
 * answered) has stopped working, and the recovery kinds it reports through onRecovery, each counted
 * in the stats:
 * - "unanswered": maxConsecutiveTimeouts requests in a row got no answer (a wedged platform): reconnect;
 * - "stale-message": an incoming message left unfinished for messageTimeoutMs (a WebSocket message's
 *   fragments, failed by the WebSocket client; an AlwaysOn multipart set while nothing else came): reconnect;
 * - "outbox-full": the peer stopped reading (outbox.ts): reconnect;
 * - "binding-lost": a push for a thing this connection bound was answered FORBIDDEN or NOT_FOUND: that
 *   thing is bound again and re-synchronized before it pushes again.
 * A reconnect after a detected loss does not reset the back-off (a platform that wedges every
 * connection is retried ever more slowly, up to backoffCapMs), so no recovery becomes a loop.
 */
import type { ClientStats } from "./stats";

export type RecoveryKind = "unanswered" | "stale-message" | "outbox-full" | "binding-lost";

/** Counts one recovery of `kind` in `stats`. */
export function countRecovery(stats: ClientStats, kind: string): void {
	switch (kind) {
		case "unanswered":
			stats.lostUnanswered++;
			return;
		case "stale-message":
			stats.lostStaleMessage++;
			return;
		case "outbox-full":
			stats.lostOutboxFull++;
			return;
		case "binding-lost":
			stats.bindingsLost++;
	}
}

/** Per connection: requests unanswered in a row, and when anything last came in. */
export class LossDetector {
	#max: number;
	#silentMs: number;
	#streak = 0;
	#receivedAt = 0;

	constructor(maxConsecutiveTimeouts: number, silentMs: number) {
		this.#max = maxConsecutiveTimeouts;
		this.#silentMs = silentMs;
	}

	/** A new connection (ticks `now`): no streak, nothing silent yet. */
	reset(now: number): void {
		this.#streak = 0;
		this.#receivedAt = now;
	}

	/** A message came in. */
	received(now: number): void {
		this.#receivedAt = now;
	}

	/** One of our requests was answered (whatever the code): the platform is working. */
	answered(): void {
		this.#streak = 0;
	}

	/** One of our requests timed out; true when that makes maxConsecutiveTimeouts in a row. */
	unanswered(): boolean {
		return ++this.#streak >= this.#max;
	}

	get streak(): number {
		return this.#streak;
	}

	/** Nothing came in for the message deadline. */
	silent(now: number): boolean {
		return now - this.#receivedAt >= this.#silentMs;
	}
}
