/* The connected-thing client: connection, sync, subscribed properties, offline queue (see client.ts). */
export { EdgeClient, type ClientState } from "./client";
export type { ClientStats } from "./stats";
export type { BoundEntity, EntityLink, PushedProperty, Reply, TableWriter } from "./entity";
export { PUSH_TYPES, PUSH_ALWAYS, PUSH_NEVER, PUSH_VALUE, PUSH_ON, PUSH_OFF, PUSH_DEADBAND } from "./entity";
export { DEVICE_DEFAULTS } from "./device-defaults";
export type { EdgeClientConfig, DutyCycle, Persistence, Transport, TransportFactory, TransportOptions } from "./config";
export { ConnectionError, RequestError } from "./errors";
export { invokeService, readProperty, writeProperty } from "./requests";
export type { RequestOptions } from "./requestqueue";
export { RowRing } from "./ring";
export { Backoff } from "./backoff";
