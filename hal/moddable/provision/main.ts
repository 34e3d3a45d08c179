/*
 * Provisioning app: writes the ThingWorx application key into Preference ("twx"/"appKey", the HAL
 * store the SteamSensor app reads) and does nothing else: no network, and the key never printed.
 *
 *   mcconfig -d -m -p esp32/<board> hal/moddable/provision/manifest.json appKey="$(cat appkey.txt)"
 *
 * then flash the SteamSensor app over it: the Preference (NVS) partition survives an app flash, the
 * provisioning image (which carries the key in its mc/config) does not. `appKey=-` deletes the key;
 * no appKey only reports whether one is stored.
 */
import config from "mc/config";
import Preference from "preference";

const DOMAIN = "twx";
const KEY = "appKey";

const wanted: unknown = config.appKey;
if (wanted === "-") {
	Preference.delete(DOMAIN, KEY);
	trace("twx-provision: application key deleted\n");
}
else if (typeof wanted === "string" && wanted.length > 0) {
	Preference.set(DOMAIN, KEY, wanted);
	const stored = Preference.get(DOMAIN, KEY) === wanted;
	trace(stored ? "twx-provision: application key stored; now flash the SteamSensor app\n" : "twx-provision: FAILED to store the application key\n");
}
else {
	const present = typeof Preference.get(DOMAIN, KEY) === "string";
	trace(present ? "twx-provision: an application key is stored\n" : "twx-provision: no application key stored; build with appKey=<key>\n");
}
