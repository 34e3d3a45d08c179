/* The ThingWorx platform emulator (host only): AlwaysOn server, REST API, dashboard. */
export { startEmulator, type Emulator, type EmulatorOptions, type EdgeRequests } from "./emulator";
export { ThingStore, ThingRecord, PropertyRecord, type Binding, type ThingDefinition, type PropertyDefinition, type Vtq, type EventRecord, type StoreChange } from "./store";
export { Platform, PlatformError, type BindPolicy } from "./platform";
export { EdgeError, WEDGE_MODES, type WedgeMode } from "./edge-connection";
export type { WedgeTarget } from "./faults";
export type { Counters } from "./counters";
export type { LogLevel, LogSink } from "./log";
export { stderrSink } from "./log";
export { infoTableToJson, jsonToInfoTable, type InfoTableJson } from "./infotable-json";
export { httpStatus } from "./rest";
