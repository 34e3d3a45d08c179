/*
 * The one error type drivers throw. `kind` says what went wrong, `register` which register was being
 * accessed (-1 when none), and the message names the device, so a log line alone is enough to act on.
 */

/**
 * - "chip-id": the device at the address is not the one the driver drives.
 * - "bus": the IO class threw (no ACK, bus stuck, device gone); the cause is kept in `cause`.
 * - "calibration": the device's calibration data is unusable (blank NVM, or compensation would divide by zero).
 * - "timeout": the device did not finish an operation in the polls allowed.
 * - "not-ready": no measurement yet (the first conversion after configuration has not completed).
 * - "closed": the driver was used after `close()`.
 */
export type SensorErrorKind = "chip-id" | "bus" | "calibration" | "timeout" | "not-ready" | "closed";

export class SensorError extends Error {
	readonly kind: SensorErrorKind;
	readonly register: number;

	constructor(kind: SensorErrorKind, message: string, register = -1, cause?: unknown) {
		super(message, cause === undefined ? undefined : { cause });
		this.kind = kind;
		this.register = register;
	}

	// A getter, not an assignment: built-ins are frozen after a Moddable preload.
	override get name(): string {
		return "SensorError";
	}
}

/** "0x5a": registers in messages, formatted only on the error path. */
export function hex8(value: number): string {
	return "0x" + (value < 16 ? "0" : "") + value.toString(16);
}
