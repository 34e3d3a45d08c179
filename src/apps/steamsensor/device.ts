/*
 * The device bundle (build/dist/steamsensor.js, mapped as "steamsensor" in manifest.json): the app and
 * every driver the Moddable main may pick, in one module so no code is duplicated across bundles.
 */
export { startSteamSensor } from "./app";
export { Bmp280, DigitalValve, EdgeCounter, FixedLocation, PulseFlowMeter, closeDrivers, createSimulatedDrivers } from "../../drivers/index";
