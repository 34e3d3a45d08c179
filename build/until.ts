/** Resolves once `condition()` holds, checked at every turn of the event loop; rejects after `timeoutMs` (a benchmark's hang guard). */
export function until(condition: () => boolean, timeoutMs: number): Promise<void> {
	return new Promise((resolve, reject) => {
		const end = Date.now() + timeoutMs;
		const check = () => {
			if (condition()) resolve();
			else if (Date.now() > end) reject(new Error("timed out"));
			else setImmediate(check);
		};
		check();
	});
}
