import { runtime } from "./runtime";

// Time.ticks: modMilliseconds() as a signed 32-bit integer.
export default {
	get ticks(): number {
		return runtime.ticks | 0;
	},
};
