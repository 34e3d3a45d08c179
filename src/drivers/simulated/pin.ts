/*
 * A Digital output that only remembers its level: lets the simulated set use the real valve driver.
 */
export class SimulatedPin {
	static readonly Output = 1;
	#level: 0 | 1;

	constructor(options: { pin: number; mode: unknown; initialValue?: 0 | 1 }) {
		this.#level = options.initialValue ?? 0;
	}

	write(value: 0 | 1): void {
		this.#level = value;
	}

	read(): 0 | 1 {
		return this.#level;
	}

	close(): void {}
}
