/*
 * A chaos campaign: the edge client on the Node HAL pushes distinct values through the ChaosProxy to a
 * platform (the emulator, in this process or in a child), while seeded faults of every kind are
 * injected one after another. Each value has its own timestamp (start + its number), so the platform's
 * history tells exactly what arrived. The campaign reports, and the caller asserts:
 * - accounting: every value set is stored or dropped (counted by the client), none both, nothing stored
 *   that was never set, each stored with the time it was set with, first arrivals in order;
 * - recovery: for each fault that loses the connection, the time from the fault to the next
 *   synchronization (wall time: reported, never asserted);
 * - the client's counters and the distinct errors it reported.
 */
import type { Emulator } from "../../emulator/index";
import { createNodeHal } from "../../hal/node/index";
import { EdgeClient, type EdgeClientConfig } from "../../src/client/index";
import { Thing } from "../../src/thing/index";
import { seeded } from "../support/seeded";
import { ChaosProxy, FAULT_KINDS as NETWORK_KINDS, LOSS_KINDS as NETWORK_LOSS_KINDS, type FaultKind as NetworkFault } from "./proxy";

/**
 * The proxy's network faults, and the platform's own: an administrative unbind of the thing (its pushes
 * answered FORBIDDEN) and a silent wedge of its connection (pings answered, requests never).
 */
export const PLATFORM_KINDS = ["unbind", "wedge"] as const;
export const FAULT_KINDS = [...NETWORK_KINDS, ...PLATFORM_KINDS] as const;
export type FaultKind = NetworkFault | (typeof PLATFORM_KINDS)[number];
/** Faults after which the edge must synchronize again (a reconnect, or a re-BIND after an unbind). */
export const LOSS_KINDS: readonly FaultKind[] = [...NETWORK_LOSS_KINDS, ...PLATFORM_KINDS];

/** Where the values go: its AlwaysOn port, what it stored for Counter.n ([value, time] in arrival order), its faults. */
export interface ChaosPlatform {
	readonly port: number;
	stored(): Promise<Array<[number, number]>>;
	fault(kind: (typeof PLATFORM_KINDS)[number]): Promise<void>;
}

/** The emulator's side of the platform faults, for the Counter thing. */
export function emulatorFault(emu: Emulator, kind: (typeof PLATFORM_KINDS)[number]): void {
	if (kind === "unbind") emu.unbind("Counter");
	else emu.wedge({ thing: "Counter" }, "silent");
}

/** What the emulator stored for Counter.n, [value, time] in arrival order. */
export function storedCounter(emu: Emulator): Array<[number, number]> {
	const p = emu.store.get("Counter")?.properties.get("n");
	if (!p) return [];
	return p.history.toArray().map((v) => [(v.value.type === "VARIANT" ? v.value.value.value : v.value.value) as number, v.time]);
}

export interface CampaignOptions {
	seed: number;
	values: number;
	faultsPerKind: number;
	kinds?: readonly FaultKind[];
	/** Pause between two values set (the pace of the application). */
	setEveryMs: number;
	platform: ChaosPlatform;
	/** Client settings beyond the defaults (say them in any figure quoted). */
	client?: Partial<EdgeClientConfig>;
	/** Called between faults (memory samples). */
	between?: (fault: number) => void;
	/** Gives up waiting for a recovery or the final drain after this long (a hang guard, not a figure). */
	deadlineMs: number;
}

export interface CampaignReport {
	set: number;
	stored: number;
	duplicates: number;
	dropped: number;
	/** Set, neither stored nor counted dropped (must be 0), and stored though counted dropped (must be 0). */
	lost: number;
	storedAndDropped: number;
	/** Stored values never set, stored with another time, first arrivals out of order (all must be 0). */
	unexpected: number;
	wrongTime: number;
	outOfOrder: number;
	injected: Record<FaultKind, number>;
	recoveryMs: Record<FaultKind, number[]>;
	/** Faults after which the edge never synchronized again within the deadline. */
	unrecovered: Record<FaultKind, number>;
	reconnects: number;
	errors: Map<string, number>;
	stats: EdgeClient["stats"];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
	const kinds = options.kinds ?? FAULT_KINDS;
	const random = seeded(options.seed);
	const faults: FaultKind[] = [];
	for (const kind of kinds) for (let i = 0; i < options.faultsPerKind; i++) faults.push(kind);
	for (let i = faults.length - 1; i > 0; i--) { // seeded shuffle: the kinds interleave
		const j = Math.floor(random() * (i + 1));
		[faults[i], faults[j]] = [faults[j], faults[i]];
	}
	const proxy = new ChaosProxy({ target: () => options.platform.port, seed: options.seed ^ 0x9e3779b9, windowMs: 300, jitterMs: 20 });
	await proxy.listen();
	const hal = createNodeHal({ logLevel: "error", logSink: () => {}, lingerMs: 50 });
	const thing = new Thing({ name: "Counter", properties: [{ name: "n", baseType: "NUMBER" }] });
	const client = new EdgeClient(hal, {
		host: "127.0.0.1", port: proxy.port, tls: false, appKey: () => "chaos-key", things: [thing], ...options.client,
	});
	const errors = new Map<string, number>();
	client.onError = (e) => errors.set(e.message, (errors.get(e.message) ?? 0) + 1);
	let synchronizations = 0;
	client.onSynchronized = () => synchronizations++;
	const recoveryMs = Object.fromEntries(FAULT_KINDS.map((k) => [k, [] as number[]])) as unknown as Record<FaultKind, number[]>;
	const injected = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as unknown as Record<FaultKind, number>;
	const unrecovered = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as unknown as Record<FaultKind, number>;
	const start = 1_700_000_000_000;
	let next = 0;
	const setSome = async (count: number) => {
		for (const end = Math.min(options.values, next + count); next < end; next++) {
			thing.set("n", next, start + next);
			await sleep(options.setEveryMs);
		}
	};
	const waitUntil = async (condition: () => boolean): Promise<boolean> => {
		for (const end = Date.now() + options.deadlineMs; !condition(); await sleep(2)) if (Date.now() > end) return false;
		return true;
	};
	client.start();
	await waitUntil(() => synchronizations > 0);
	const perFault = Math.max(1, Math.floor(options.values / (faults.length + 1)));
	for (let f = 0; f < faults.length; f++) {
		options.between?.(f);
		await setSome(perFault >> 1);
		const kind = faults[f];
		const before = synchronizations;
		const t0 = Date.now();
		injected[kind]++;
		if (kind === "unbind" || kind === "wedge") await options.platform.fault(kind);
		else proxy.inject(kind);
		await setSome(perFault - (perFault >> 1));
		if (!LOSS_KINDS.includes(kind)) continue;
		if (await waitUntil(() => synchronizations > before)) recoveryMs[kind].push(Date.now() - t0);
		else unrecovered[kind]++;
	}
	await setSome(options.values);
	// Drain: everything set is either acknowledged or counted dropped.
	await waitUntil(() => client.stats.rowsAcknowledged + client.dropped("Counter") >= options.values);
	await sleep(50);
	const history = await options.platform.stored();
	await client.stop();
	await proxy.close();
	return { ...account(history, options.values, client.dropped("Counter"), start), injected, recoveryMs, unrecovered, reconnects: client.stats.reconnects, errors, stats: { ...client.stats } };
}

function account(history: Array<[number, number]>, set: number, dropped: number, start: number) {
	const seen = new Set<number>();
	let duplicates = 0;
	let unexpected = 0;
	let wrongTime = 0;
	let outOfOrder = 0;
	let last = -1;
	for (const [value, time] of history) {
		if (!Number.isInteger(value) || value < 0 || value >= set) {
			unexpected++;
			continue;
		}
		if (time !== start + value) wrongTime++;
		if (seen.has(value)) {
			duplicates++;
			continue;
		}
		seen.add(value);
		if (value < last) outOfOrder++;
		last = value;
	}
	const missing = set - seen.size;
	return {
		set, stored: seen.size, duplicates, dropped, unexpected, wrongTime, outOfOrder,
		lost: Math.max(0, missing - dropped), storedAndDropped: Math.max(0, dropped - missing),
	};
}
