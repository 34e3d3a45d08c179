/*
 * What a device bundle of the gateway carries (build/entries.mjs "gateway", the module "alwayson-gateway"
 * of examples/gateway): the gateway and its device configuration. No compressor and no proxy: the
 * gateway takes a compressor only when one is injected, and the device configuration names no proxy.
 */
export { EdgeGateway } from "./edge-gateway";
export { ConfigError } from "./config";
export { deviceGatewayConfig } from "./device-config";
