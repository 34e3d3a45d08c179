/*
 * AlwaysOn response codes as HTTP statuses, for REST answers made from the platform's (the gateway's
 * proxy, the emulator's REST API): BAD_REQUEST 400, UNAUTHORIZED 401, FORBIDDEN 403, NOT_FOUND 404,
 * METHOD_NOT_ALLOWED 405, ENTITY_TOO_LARGE 413, NOT_IMPLEMENTED 501, BAD_GATEWAY 502,
 * SERVICE_UNAVAILABLE (also: not connected) 503, GATEWAY_TIMEOUT (also: no reply in time) 504,
 * anything else 500.
 */
import {
	BAD_GATEWAY, BAD_REQUEST, ENTITY_TOO_LARGE, FORBIDDEN, GATEWAY_TIMEOUT, METHOD_NOT_ALLOWED, NOT_FOUND, NOT_IMPLEMENTED,
	SERVICE_UNAVAILABLE, SUCCESS, UNAUTHORIZED,
} from "../protocol/codes";

export function httpStatus(code: number): number {
	switch (code) {
		case SUCCESS: return 200;
		case BAD_REQUEST: return 400;
		case UNAUTHORIZED: return 401;
		case FORBIDDEN: return 403;
		case NOT_FOUND: return 404;
		case METHOD_NOT_ALLOWED: return 405;
		case ENTITY_TOO_LARGE: return 413;
		case NOT_IMPLEMENTED: return 501;
		case BAD_GATEWAY: return 502;
		case SERVICE_UNAVAILABLE: return 503;
		case GATEWAY_TIMEOUT: return 504;
		default: return 500;
	}
}
