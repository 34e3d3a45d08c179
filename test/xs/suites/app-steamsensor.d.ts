// The module "steamsensor" as the XS starter sees it: build/dist/steamsensor.js (npm run build),
// loaded unchanged next to the starter in one compartment (test/xs/app.test.ts, build/bench-xs.ts).
declare module "steamsensor" {
	export const startSteamSensor: typeof import("../../../src/apps/steamsensor/device").startSteamSensor;
	export const createSimulatedDrivers: typeof import("../../../src/apps/steamsensor/device").createSimulatedDrivers;
}
