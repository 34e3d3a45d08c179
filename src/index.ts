/* The runtime library without an app: codec, WebSocket client, connected-thing client and virtual things. */
export { ConnectionError, DEVICE_DEFAULTS, EdgeClient, RequestError, invokeService, readProperty, writeProperty, type EdgeClientConfig } from "./client/index";
export { Thing, type ThingSpec, type PropertySpec, type ServiceSpec, type EventSpec } from "./thing/index";
