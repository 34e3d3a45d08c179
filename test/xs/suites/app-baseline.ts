/*
 * XS side of build/bench-xs.ts's bridge baseline: the SteamSensor's steady-state traffic on a bare
 * HAL socket, without the app — bytes written by virtual-clock timers (a push at every scan, a ping
 * at every ping interval) with the platform's answers ignored, or `out` bytes written back for every
 * `inBytes` received (a platform request and its answer). What hal/xs itself allocates and computes for that traffic (the event and
 * request buffers, the dispatch) is then subtracted from the app's figures. Buffers are made once.
 */
import type { HalSocket, TimerId } from "../../../hal/hal";
import { createXsHal, type XsHal } from "../../../hal/xs/device";

let hal: XsHal;
let socket: HalSocket;
const timers: TimerId[] = [];
let answer = new Uint8Array(0);
let requestBytes = 0;
let received = 0;

export function open(port: number): void {
	hal = createXsHal();
	socket = hal.createSocket();
	socket.onConnect = () => hal.log("info", "baseline open");
	socket.onData = (bytes) => {
		if (requestBytes === 0) return; // the answer to a push
		for (received += bytes.length; received >= requestBytes; received -= requestBytes) socket.write(answer, 0, answer.length);
	};
	socket.connect({ host: "127.0.0.1", port });
}

/** Writes `out` bytes every `periodMs` of virtual time from now, as the app's scan timer does its push and the WebSocket's its ping. */
export function every(out: number, periodMs: number): void {
	const bytes = new Uint8Array(out);
	timers.push(hal.timers.repeat(() => socket.write(bytes, 0, bytes.length), periodMs));
}

/** Stops the timers; from now on every `inBytes` received are answered with `out` bytes. */
export function answers(inBytes: number, out: number): void {
	for (const timer of timers.splice(0)) hal.timers.clear(timer);
	answer = new Uint8Array(out);
	requestBytes = inBytes;
}
