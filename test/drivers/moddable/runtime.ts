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
	/** Run the timers that are due now (the zero-delay ones), as Moddable's event loop would. */
	runZeroDelay(): void {
		for (const t of this.timers.splice(0)) if (!t.cleared && t.ms === 0) t.callback(t);
	},
};
