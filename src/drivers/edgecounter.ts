/*
 * A pulse counter with the ECMA-419 PulseCount shape (`read()` = running count, `write(n)`, `close()`)
 * built on a Digital input's edge callback, for flow meters with a single pulse output.
 *
 * Why not `embedded:io/pulsecount` on ESP32: Moddable's implementation (modules/io/pulsecount/esp32)
 * configures the PCNT unit as a quadrature decoder (edge and level actions on `signal` and `control`).
 * With no control pin ESP-IDF holds the level input low, which inverts channel A's actions: a rising
 * edge counts +1 and the falling edge -1, so a single-channel pulse train nets zero.
 *
 * Limit: edges are counted in JavaScript. Moddable's Digital ISR posts one message per pending
 * trigger and coalesces edges that arrive before it is delivered, so pulses are lost when they come
 * faster than the event loop turns; fine for a few hundred Hz on an idle ESP32 (a YF-S201 at its
 * 30 L/min maximum gives 225 Hz), not while a TLS handshake holds the CPU for tens of milliseconds.
 */
import { SensorError } from "./errors";

/** The Digital class (embedded:io/digital), with the mode and edge constants used here. */
export interface DigitalInputClass {
	readonly Input: unknown;
	readonly InputPullUp: unknown;
	readonly InputPullDown: unknown;
	readonly Rising: number;
	new (options: { pin: number; mode: unknown; edge: number; onReadable: () => void }): { close(): void };
}

export interface EdgeCounterOptions {
	/** Input pin. */
	signal: number;
	/** The Digital class that watches the pin. */
	digital: DigitalInputClass;
	/** Internal pull: "up" for open-collector outputs such as Hall-effect flow sensors (default), "down", or "none". */
	pull?: "up" | "down" | "none";
}

export class EdgeCounter {
	#input: { close(): void } | null;
	#count = 0;

	constructor(options: EdgeCounterOptions) {
		const Digital = options.digital;
		const pull = options.pull ?? "up";
		const mode = pull === "up" ? Digital.InputPullUp : pull === "down" ? Digital.InputPullDown : Digital.Input;
		try {
			this.#input = new Digital({ pin: options.signal, mode, edge: Digital.Rising, onReadable: () => this.#count++ });
		} catch (cause) {
			throw new SensorError("bus", `edge counter: cannot watch pin ${options.signal}`, -1, cause);
		}
	}

	read(): number {
		if (this.#input === null) throw new SensorError("closed", "edge counter: used after close()");
		return this.#count;
	}

	write(count: number): void {
		this.#count = count;
	}

	close(): void {
		const input = this.#input;
		this.#input = null;
		input?.close();
	}
}
