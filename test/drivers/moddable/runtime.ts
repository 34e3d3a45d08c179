// Shared state of the fake Moddable modules: the test drives the runtime through it.
import type TcpFake from "./tcp";
import type SecureSocketFake from "./securesocket";
import type ListenerFake from "./listener";

export interface PendingTimer {
	/** Called with the timer, as Moddable's Timer does. */
	callback: (timer: PendingTimer) => void;
	ms: number;
	repeat: boolean;
	cleared: boolean;
	/** When it fires next (runtime.ticks), Infinity when unscheduled; then every `interval` ms (0: once). */
	due: number;
	interval: number;
}

export const runtime = {
	tcp: [] as TcpFake[],
	tls: [] as SecureSocketFake[],
	resolves: [] as Array<{ host: string; callback: (name: string, address?: string) => void }>,
	resolveThrows: false,
	tcpConstructorThrows: false,
	listeners: [] as ListenerFake[],
	listenerConstructorThrows: false,
	timers: [] as PendingTimer[],
	/**
	 * Sockets closed from inside one of their own callbacks, which the SDK does not survive (mcsim
	 * crashed in modSocket.c socketReadable: the socket was freed while its callback still used it).
	 */
	closedInOwnCallback: [] as string[],
	ticks: 0,
	preferences: new Map<string, unknown>(),
	preferenceSetThrows: false,
	/** Flash partitions by name (the flash module's). */
	partitions: new Map<string, Uint8Array>(),
	/** mc/config as main.ts sees it. */
	config: {} as Record<string, unknown>,
	resources: new Map<string, Uint8Array>(),
	/** What main.ts passed to startSteamSensor. */
	started: [] as unknown[],
	reset(): void {
		this.tcp.length = 0;
		this.tls.length = 0;
		this.resolves.length = 0;
		this.resolveThrows = false;
		this.tcpConstructorThrows = false;
		this.listeners.length = 0;
		this.listenerConstructorThrows = false;
		this.timers.length = 0;
		this.closedInOwnCallback.length = 0;
		this.ticks = 0;
		this.preferences.clear();
		this.preferenceSetThrows = false;
		this.partitions.clear();
		for (const key of Object.keys(this.config)) delete this.config[key];
		this.resources.clear();
		this.started.length = 0;
	},
	/**
	 * Moves the clock `ms`, firing each timer as it falls due, earliest first, a repeating one every
	 * interval; allocates nothing (XS tests measure what runs inside).
	 */
	advance(ms: number): void {
		const end = this.ticks + ms;
		for (;;) {
			let next: PendingTimer | null = null;
			for (let i = 0; i < this.timers.length; i++) {
				const t = this.timers[i]!;
				if (!t.cleared && t.due <= end && (next === null || t.due < next.due)) next = t;
			}
			if (next === null) break;
			this.ticks = next.due;
			next.due = next.interval > 0 ? next.due + next.interval : Infinity;
			next.callback(next);
		}
		this.ticks = end;
	},
	/** Run the timers that are due now (the zero-delay ones), as Moddable's event loop would. */
	runZeroDelay(): void {
		for (const t of this.timers.splice(0)) if (!t.cleared && t.ms === 0) t.callback(t);
	},
};
