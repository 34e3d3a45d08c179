// A node:test reporter beside TAP: at the end, each test file's time (the sum of its top-level tests'
// durations, as the runner measured them), slowest first. npm test prints the three slowest;
// test:stress reads them to name the slowest file.
export default async function* fileTimes(source) {
	const files = new Map();
	for await (const event of source) {
		if ((event.type === "test:pass" || event.type === "test:fail") && event.data.nesting === 0 && event.data.file) {
			files.set(event.data.file, (files.get(event.data.file) ?? 0) + (event.data.details?.duration_ms ?? 0));
		}
	}
	const slowest = [...files].sort((a, b) => b[1] - a[1]);
	yield "\n# slowest test files:\n";
	for (const [file, ms] of slowest.slice(0, 3)) yield `# file-time ${(ms / 1000).toFixed(1)} s ${file.replace(process.cwd() + "/", "")}\n`;
}
