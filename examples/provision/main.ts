/*
 * Provisioning app: writes the secrets the apps read from Preference (domain "twx", the HAL store) and
 * does nothing else: no network, and no secret ever printed. `appKey`: the ThingWorx application key
 * (every app); `httpPassword`: the password of the gateway's local REST interface (examples/gateway).
 *
 *   mcconfig -d -m -p esp32/<board> examples/provision/manifest.json appKey="$(cat appkey.txt)"
 *
 * then flash the app over it: the Preference (NVS) partition survives an app flash, the provisioning
 * image (which carries the secrets in its mc/config) does not. `<key>=-` deletes that secret; a key not
 * given only reports whether one is stored.
 */
import config from "mc/config";
import Preference from "preference";

const DOMAIN = "twx";
const SECRETS = Object.freeze([["appKey", "application key"], ["httpPassword", "gateway HTTP password"]]);

for (const [key, what] of SECRETS) {
	const given: unknown = (config as Record<string, unknown>)[key];
	if (given === "-") {
		Preference.delete(DOMAIN, key);
		trace(`twx-provision: ${what} deleted\n`);
	}
	else if (typeof given === "string" && given.length > 0) {
		Preference.set(DOMAIN, key, given);
		const stored = Preference.get(DOMAIN, key) === given;
		trace(stored ? `twx-provision: ${what} stored; now flash the app\n` : `twx-provision: FAILED to store the ${what}\n`);
	}
	else {
		const present = typeof Preference.get(DOMAIN, key) === "string";
		trace(present ? `twx-provision: a ${what} is stored\n` : `twx-provision: no ${what} stored; build with ${key}=<value>\n`);
	}
}
