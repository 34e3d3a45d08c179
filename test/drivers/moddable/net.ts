import { runtime } from "./runtime";

export default {
	resolve(host: string, callback: (name: string, address?: string) => void): void {
		if (runtime.resolveThrows) throw new Error("resolve queue full");
		runtime.resolves.push({ host, callback });
	},
};
