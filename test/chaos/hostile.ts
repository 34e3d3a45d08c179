/*
 * A seeded hostile-server fuzzer: after AUTH and BIND, a platform that sends the connected SteamSensor
 * client (its defaults, on the fake transport and a manual clock) one hostile message per case:
 * - mutated capture frames (every platform frame of the C SDK session: bit flips, truncation, length
 *   lies, insertions, deletions, random tails) and random bytes;
 * - first chunks of multipart sets with ever new request ids, never finished (issue 12 defect 1);
 * - GetBigString requests while it reads nothing (defect 2);
 * - answers to requests nobody made, and requests for things, properties and services that do not exist.
 * A case may be answered, counted (decode errors, unmatched answers, dropped sets, errors reported), held
 * within the client's bounds (a chunk waiting for its set), or end the connection with a close code
 * (then the client connects again). It must never throw out of the client, and every `checkEvery`
 * cases the client must still answer a valid platform GET.
 */
import { createSteamSensorThing } from "../../src/apps/steamsensor/index";
import { EdgeClient } from "../../src/client/index";
import { Characteristic, chunkCount, Code, encodeChunk, encodeMessageToBytes, Reassembler } from "../../src/protocol";
import type { RequestMessage, ResponseMessage } from "../../src/protocol/model";
import { FakeHal, FakeTransport, request } from "../client/fakes";
import { captureFrames, unhex } from "../protocol/helpers";
import { mutate, prng, randomBytes } from "../support/mutate";

export const CASE_KINDS = ["mutated", "random", "unfinished-multipart", "not-reading", "unmatched-answer", "unknown-target"] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

export interface HostileReport {
	cases: number;
	perKind: Record<CaseKind, number>;
	/** What became of the cases: the client answered, counted, held, or closed the connection. */
	answered: number;
	counted: number;
	held: number;
	closed: number;
	/** Valid GETs asked between cases, and those answered SUCCESS (must be equal). */
	checks: number;
	checksAnswered: number;
	/** Exceptions out of the client (must be 0). */
	thrown: Array<{ case: number; kind: CaseKind; error: string }>;
	connections: number;
}

class Harness {
	readonly hal = new FakeHal();
	readonly client: EdgeClient;
	t!: FakeTransport;
	connections = 0;
	reported = 0;

	constructor() {
		const thing = createSteamSensorThing("SteamSensor", { now: () => this.hal.now(), setLogging() {}, note() {} });
		this.client = new EdgeClient(this.hal, {
			host: "localhost", port: 8080, tls: false, appKey: () => "key", things: [thing], autoPush: false, reassembly: Reassembler,
			transport: (_hal, options) => (this.t = new FakeTransport(options)),
		});
		this.client.onError = () => this.reported++;
		this.client.start();
		this.#serve();
	}

	/** Plays a well-behaved platform up to a bound connection (AUTH and BIND answered). */
	#serve(): void {
		this.connections++;
		this.t.accept();
		this.t.respond(this.t.last());
		this.t.respond(this.t.last());
	}

	/** After the client closed the connection: lets its back-off run until it connects, and serves it. */
	reconnect(): void {
		const old = this.t;
		for (let i = 0; i < 100 && this.t === old; i++) this.hal.advance(1000);
		if (this.t === old) throw new Error("the client did not connect again");
		this.#serve();
	}

	/** Everything the client counts when it refuses, drops or reports something. */
	counters(): number {
		const s = this.client.stats;
		return s.decodeErrors + s.unmatchedResponses + s.lateReplies + s.timeouts + this.reported;
	}
}

function setId(bytes: Uint8Array, id: number): void {
	bytes[2] = id >>> 24;
	bytes[3] = (id >>> 16) & 0xff;
	bytes[4] = (id >>> 8) & 0xff;
	bytes[5] = id & 0xff;
}

function firstChunkOf(message: Uint8Array, chunkSize: number): Uint8Array {
	if (chunkCount(message, message.length, chunkSize) < 2) throw new Error("the message should make two chunks or more");
	const chunk = new Uint8Array(chunkSize);
	return chunk.slice(0, encodeChunk(message, message.length, 1, chunkSize, chunk, 0));
}

export function runHostile(seed: number, cases: number, checkEvery = 100): HostileReport {
	const rand = prng(seed);
	const platformFrames = captureFrames().filter((f) => f.from === "platform").map((f) => unhex(f.hex));
	const post = (name: string) => encodeMessageToBytes(request(Code.POST, "SteamSensor", Characteristic.SERVICES, name, null));
	const unfinished = firstChunkOf(post("AddNumbers"), 48);
	const bigString = post("GetBigString");
	const validGet = request(Code.GET, "SteamSensor", Characteristic.PROPERTIES, "Temperature", null);
	const report: HostileReport = {
		cases: 0, perKind: Object.fromEntries(CASE_KINDS.map((k) => [k, 0])) as unknown as Record<CaseKind, number>,
		answered: 0, counted: 0, held: 0, closed: 0, checks: 0, checksAnswered: 0, thrown: [], connections: 0,
	};
	const h = new Harness();
	let id = 1_000_000;
	for (let c = 0; c < cases; c++) {
		const kind = CASE_KINDS[rand(CASE_KINDS.length)];
		let bytes: Uint8Array;
		switch (kind) {
			case "mutated":
				bytes = mutate(platformFrames[rand(platformFrames.length)], rand);
				break;
			case "random":
				bytes = randomBytes(rand);
				break;
			case "unfinished-multipart":
				bytes = unfinished;
				setId(bytes, ++id);
				break;
			case "not-reading":
				h.t.full = true;
				bytes = bigString;
				setId(bytes, ++id);
				break;
			case "unmatched-answer": {
				const answer: ResponseMessage = { kind: "response", version: 1, code: [Code.SUCCESS, Code.BAD_REQUEST, Code.NOT_FOUND][rand(3)], requestId: 7_000_000 + rand(1000), endpointId: 0, sessionId: 0xbeef, reason: null, content: null, contentType: 0xff, trailing: 0 };
				bytes = encodeMessageToBytes(answer);
				break;
			}
			default: {
				const m: RequestMessage = request([Code.GET, Code.PUT, Code.POST][rand(3)], ["SteamSensor", "Nobody", ""][rand(3)], [Characteristic.PROPERTIES, Characteristic.SERVICES, Characteristic.EVENTS][rand(3)], ["Temperature", "Nope", "GetBigString", "x".repeat(rand(300))][rand(4)], null, ++id);
				bytes = encodeMessageToBytes(m);
			}
		}
		report.cases++;
		report.perKind[kind]++;
		const frames = h.t.frames.length;
		const counted = h.counters();
		const transport = h.t;
		try {
			transport.deliverBytes(bytes);
		} catch (error) {
			report.thrown.push({ case: c, kind, error: String(error) });
		}
		if (transport.full) {
			transport.full = false;
			if (transport.closedWith === null) transport.onWritable?.();
		}
		if (transport.closedWith !== null) report.closed++;
		else if (h.counters() > counted) report.counted++;
		else if (transport.frames.length > frames) report.answered++;
		else report.held++;
		if (transport.closedWith !== null) h.reconnect();
		if ((c + 1) % checkEvery === 0) {
			report.checks++;
			const before = h.t.frames.length;
			validGet.requestId = ++id;
			h.t.deliver(validGet);
			const answer = h.t.frames.length > before ? h.t.last() : null;
			if (answer && answer.kind === "response" && answer.requestId === id && answer.code === Code.SUCCESS) report.checksAnswered++;
		}
		h.t.frames.length = 0; // the fakes' records (what was sent, logged), not the client's memory
		h.hal.logs.length = 0;
	}
	report.connections = h.connections;
	return report;
}
