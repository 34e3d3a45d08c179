/* The C SDK's SteamSensor example on this runtime (docs/protocol.md §11). */
export { startSteamSensor, fixed42, type SteamSensor, type SteamSensorConfig, type SteamSensorOptions, type ClientCallbacks } from "./app";
export { createSteamSensorThing, steamSensorReadings, bigString, READINGS_SHAPE, FAULT_SHAPE, type SteamSensorHooks } from "./thing";
