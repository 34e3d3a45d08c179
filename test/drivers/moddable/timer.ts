import { runtime, type PendingTimer } from "./runtime";

export default {
	set(callback: (timer: PendingTimer) => void, ms = 0): PendingTimer {
		const t = { callback, ms, repeat: false, cleared: false, due: runtime.ticks + ms, interval: 0 };
		runtime.timers.push(t);
		return t;
	},
	repeat(callback: (timer: PendingTimer) => void, ms: number): PendingTimer {
		const t = { callback, ms, repeat: true, cleared: false, due: runtime.ticks + ms, interval: ms };
		runtime.timers.push(t);
		return t;
	},
	/** Moddable's: without an interval the timer is unscheduled (kept, never due). */
	schedule(t: PendingTimer, ms?: number, repeat = 0): void {
		if (ms === undefined) {
			t.ms = Infinity;
			t.due = Infinity;
			return;
		}
		t.ms = ms;
		t.repeat = repeat !== 0;
		t.due = runtime.ticks + ms;
		t.interval = repeat;
		if (runtime.timers.indexOf(t) < 0) runtime.timers.push(t);
	},
	clear(t: PendingTimer | undefined | null): void {
		if (t) t.cleared = true;
	},
	delay(): void {},
};
