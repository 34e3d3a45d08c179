import { runtime, type PendingTimer } from "./runtime";

export default {
	set(callback: () => void, ms = 0): PendingTimer {
		const t = { callback, ms, repeat: false, cleared: false };
		runtime.timers.push(t);
		return t;
	},
	repeat(callback: () => void, ms: number): PendingTimer {
		const t = { callback, ms, repeat: true, cleared: false };
		runtime.timers.push(t);
		return t;
	},
	clear(t: PendingTimer | undefined | null): void {
		if (t) t.cleared = true;
	},
	delay(): void {},
};
