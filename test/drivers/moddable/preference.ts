// Preference with ESP32 NVS's name limit (15 characters) enforced like nvs_set would.
import { runtime } from "./runtime";

export default {
	get(domain: string, key: string): unknown {
		return runtime.preferences.get(domain + "/" + key);
	},
	set(domain: string, key: string, value: unknown): void {
		if (key.length > 15 || domain.length > 15 || runtime.preferenceSetThrows) throw new Error("nvs set fail");
		runtime.preferences.set(domain + "/" + key, value);
	},
	delete(domain: string, key: string): void {
		runtime.preferences.delete(domain + "/" + key);
	},
};
