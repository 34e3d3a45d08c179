/*
 * An ESP32 as the edge gateway for devices on its LAN: the EMS-style REST interface of src/gateway
 * (AddEdgeThing, property PUTs, proxied platform calls) served by the device, holding the one AlwaysOn
 * connection for everything the LAN registers. Its manifest includes the library manifest
 * (../../alwayson-hal.json: the HAL and the SDK modules it needs, without the client bundle, which the
 * gateway bundle contains) and maps "alwayson-gateway" (build/dist/gateway.js).
 *
 *   npm run build && mcconfig -d -m -p esp32/<board> examples/gateway/manifest.json ssid=… password=… \
 *     host=… httpHost=0.0.0.0 httpUser=… insecure=true
 *
 * The application key and the HTTP password come from Preference ("twx"/"appKey", "twx"/"httpPassword",
 * stored once by examples/provision), never from the manifest. It refuses to start, saying why, without
 * httpHost, httpUser or the password, and off loopback without insecure=true (the device serves no TLS).
 */
import config from "mc/config";
import { ConfigError, deviceGatewayConfig, EdgeGateway } from "alwayson-gateway";
import { createModdableHal } from "hal";

const hal = createModdableHal();
try {
	if (hal.store.get("appKey") === undefined) throw new ConfigError("no application key in Preference; run examples/provision first");
	const settings = deviceGatewayConfig(config, hal.store.get("httpPassword"));
	const gateway = new EdgeGateway(hal, settings, () => hal.store.get("appKey") ?? "");
	gateway.start().then(
		(port) => hal.log("info", "gateway: serving http://" + settings.http_server.host + ":" + port + "/Thingworx (Basic authentication)"),
		(error: unknown) => hal.log("error", "gateway: cannot listen: " + String(error)),
	);
}
catch (error) {
	hal.log("error", "gateway not started: " + (error instanceof Error ? error.message : String(error)));
}
