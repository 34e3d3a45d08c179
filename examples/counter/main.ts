/*
 * The smallest AlwaysOn app: one thing with one property and one service, built the way an app uses
 * Moddable's mqtt module: its manifest includes the library manifest (../../alwayson.json), which
 * provides the modules "alwayson-edge" (the runtime: build/dist/client.js) and "hal" (the Moddable HAL).
 * `Count` goes up by one every 10 s and is pushed; the platform's `Reset` service sets it back to 0.
 *
 *   npm run build && mcconfig -d -m -p esp32/<board> examples/counter/manifest.json ssid=… password=… host=…
 *
 * The application key comes from Preference ("twx"/"appKey", stored once by examples/provision).
 */
import config from "mc/config";
import Timer from "timer";
import { DEVICE_DEFAULTS, EdgeClient, Thing } from "alwayson-edge";
import { createModdableHal } from "hal";

const hal = createModdableHal();
const host: unknown = config.host;
if (typeof host !== "string" || host.length === 0) hal.log("error", "counter: build with host=<platform host>");
else if (hal.store.get("appKey") === undefined) hal.log("error", "counter: no application key in Preference; run examples/provision first");
else {
	let count = 0;
	const thing = new Thing({
		name: typeof config.thing === "string" ? config.thing : "Counter",
		properties: [{ name: "Count", baseType: "NUMBER", pushType: "ALWAYS" }],
		services: [{ name: "Reset", output: "NOTHING", handler: () => void thing.set("Count", (count = 0)) }],
	});
	const client = new EdgeClient(hal, {
		...DEVICE_DEFAULTS,
		host,
		port: Number(config.port ?? 443),
		tls: config.tls !== false && config.tls !== "false",
		appKey: () => hal.store.get("appKey") ?? "",
		things: [thing],
	});
	client.start();
	Timer.repeat(() => thing.set("Count", ++count), 10000);
}
