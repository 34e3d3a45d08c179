/* The connected-thing client: connection, sync, subscribed properties, offline queue (see client.ts). */
export { EdgeClient, type ClientState, type ClientStats } from "./client";
export type { EdgeClientConfig, DutyCycle, Transport, TransportFactory, TransportOptions } from "./config";
export { ConnectionError, RequestError } from "./errors";
export { invokeService, readProperty, writeProperty } from "./requests";
export { RowRing } from "./ring";
export { Backoff } from "./backoff";
