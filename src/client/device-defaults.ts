/*
 * The client settings a microcontroller app starts from (README "Device defaults"): the client's own
 * defaults are the C SDK's, sized for a host (8 KB chunks, 1 MiB messages); on a device every buffer
 * comes out of a heap budget of 24 KB. Spread them under the app's own settings:
 * `new EdgeClient(hal, { ...DEVICE_DEFAULTS, host, appKey, things })`.
 */
import type { EdgeClientConfig } from "./config";

export const DEVICE_DEFAULTS = Object.freeze({
	// Announced in Max-Frame-Size: the platform chunks what it sends to it (the emulator does; the C SDK
	// chunks to its own setting, 8192 by default, and any size >= 256 is accepted). TX and RX hold one
	// chunk each; a SteamSensor push (8 values, 340 B) and every message the platform sends it in
	// normal operation (BIND and sync answers, GET/PUT, service calls) fit one; what the edge sends
	// bigger (GetMetadata, GetBigString) goes AlwaysOn-chunked (an incoming one needs `reassembly`).
	chunkSize: 1024,
	// GetBigString's ~10 KB answer, encoded aside only while one is under way (and what `reassembly` may hold).
	maxMessageSize: 16384,
	// 9 SteamSensor scans (215 B of rows each): 45 s offline at 5 s; older rows are dropped and counted.
	queueBytes: 2048,
	// Allocated at the first queued request (a SteamSensorFault event is ~130 B): 4 of them.
	requestQueueBytes: 512,
	requestQueueLength: 4,
	// AUTH or a BIND, a sync, a push and the request queue's head, at once.
	maxPending: 4,
	outboxMessages: 8,
}) satisfies Partial<EdgeClientConfig>;
