/*
 * Answers to the platform's requests (docs/protocol.md §7.2): each is read in place, its head and its
 * params checked whole, then the bound entity its name's bytes address answers it (BoundEntity.answer);
 * the reply is written straight into the TX buffer, or waits in the outbox. Malformed bytes are
 * BAD_REQUEST whatever they address, an unknown entity NOT_FOUND; the client keeps serving. A reply
 * that comes later (a Promise) and finds its connection gone is counted, not sent on another.
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import type { Hal } from "../../hal/hal";
import { DecodeError, isRequestCode, nameText, ParamsReader, readRequestHead, RequestHead } from "../protocol";
import { BAD_REQUEST, INTERNAL_SERVER_ERROR, NOT_FOUND, THING } from "../protocol/codes";
import type { Bindings } from "./bindings";
import type { Reply } from "./entity";
import type { Session } from "./session";

export class Responder {
	#hal: Hal;
	#bindings: Bindings;
	#session: Session;
	#head = new RequestHead();
	#params = new ParamsReader();

	constructor(hal: Hal, bindings: Bindings, session: Session) {
		this.#hal = hal;
		this.#bindings = bindings;
		this.#session = session;
	}

	/** A whole (reassembled) request. */
	request(bytes: Uint8Array): void {
		const head = this.#head;
		const params = this.#params;
		let reply: Reply | Promise<Reply>;
		try {
			readRequestHead(bytes, 0, bytes.length, head);
			params.open(bytes, head.paramsOffset, bytes.length);
			const index = head.entityType === THING ? this.#bindings.at(bytes, head) : -1;
			reply = index >= 0
				? this.#bindings.entities[index]!.answer(bytes, head, params)
				: statusReply(NOT_FOUND, "no thing " + nameText(bytes, head.entityNameOffset, head.entityNameLength));
		} catch (error) {
			this.undecodable(bytes, error);
			return;
		}
		if (reply instanceof Promise) this.answerLater(reply, head.requestId, head.endpointId);
		else this.answer(head.requestId, head.endpointId, reply, this.#session.generation);
	}

	/** Received bytes that are no message: counted, logged, and a request answered BAD_REQUEST. */
	undecodable(bytes: Uint8Array, error: unknown): void {
		if (!(error instanceof DecodeError)) throw error;
		this.#session.stats.decodeErrors++;
		this.#hal.log("warn", "undecodable message (code " + bytes[1] + "): " + error.message);
		if (isRequestCode(bytes[1])) this.answerRaw(bytes, BAD_REQUEST, error.message);
	}

	/** Answers a message read from its header alone (what the platform should not send the edge, or bytes that are no request). */
	answerRaw(bytes: Uint8Array, code: number, reason: string): void {
		this.#session.send(null, statusReply(code, reason), u32(bytes, 2), u32(bytes, 6));
	}

	/** Apart from request(): variables its closures capture would be allocated for every request. */
	private answerLater(reply: Promise<Reply>, requestId: number, endpointId: number): void {
		const generation = this.#session.generation;
		reply.then(
			(r) => this.answer(requestId, endpointId, r, generation),
			(error) => this.answer(requestId, endpointId, statusReply(INTERNAL_SERVER_ERROR, String(error)), generation),
		);
	}

	private answer(requestId: number, endpointId: number, reply: Reply, generation: number): void {
		const session = this.#session;
		if (generation !== session.generation) {
			session.stats.lateReplies++;
			return;
		}
		try {
			session.send(null, reply, requestId, endpointId);
		} catch (error) {
			// e.g. a result too large for maxMessageSize or a value the codec cannot write
			session.report(error);
			session.send(null, statusReply(INTERNAL_SERVER_ERROR, (error as Error).message), requestId, endpointId);
		}
	}
}

/** A reply made here (not by an entity): a code and a reason. */
function statusReply(code: number, reason: string | null): Reply {
	return { code, reason, content: null, property: null };
}

function u32(bytes: Uint8Array, at: number): number {
	return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}
