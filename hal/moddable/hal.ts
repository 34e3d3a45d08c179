/*
 * The HAL on the Moddable SDK (ESP32 and the simulator). Module top level holds only definitions, so
 * the module can be preloaded; every native object (sockets, digests, the decoder) is created by
 * `createModdableHal()` or later, at run time.
 *
 * What backs each service:
 * - sockets: ./sockets (ECMA-419 TCP after Net.resolve; TLS through SecureSocket); listening: the
 *   ECMA-419 Listener (`embedded:io/socket/listener`), plain TCP only.
 * - timers: `Timer.set` / `Timer.repeat` / `Timer.clear` (clearing a fired or cleared timer is a no-op);
 *   a kept timer (create/schedule) is a `Timer.repeat` unscheduled at each firing and moved with
 *   `Timer.schedule`, never freed by firing (its repeat interval is never 0).
 * - now: `Date.now()`, set by SNTP in setup/network once Wi-Fi is up (1970-based until then).
 * - ticks: `Time.ticks` is modMilliseconds() as a signed 32-bit integer: negative after 24.8 days and
 *   wrapping after 49.7. Unsigned deltas are accumulated, so ticks() never goes back as long as it is
 *   called at least once every 49 days (the client calls it many times a second).
 * - randomBytes: `Math.random`. There is no random-bytes binding in the typings; on ESP32 XS's
 *   Math.random is `(0x7fffffff & esp_random()) / INT32_MAX` (xs/platforms/esp/xsHost.h `c_rand`,
 *   xs/sources/xsMath.c `fx_Math_random`), i.e. the hardware RNG, which Espressif documents as true
 *   random while Wi-Fi or Bluetooth is running. The simulator's Math.random is C `rand()`: not for secrets.
 * - sha1: `Digest("SHA1")` from the `crypt` module (modules/crypt/digest).
 * - base64: `Uint8Array.prototype.toBase64` / `Uint8Array.fromBase64` (native in XS; the `base64`
 *   module's manifest marks it deprecated in their favour, and the SDK's own websocket.js uses toBase64).
 * - UTF-8: encoding is written straight into the caller's buffer here; decoding uses the `text/decoder`
 *   TextDecoder with `fatal: true` (it validates with ConvertUTF's isLegalUTF8: no overlongs,
 *   surrogates or code points past U+10FFFF) and `ignoreBOM: true` (a leading U+FEFF is kept).
 * - log: `trace()`, one line per call, below `logLevel` dropped.
 * - store: `Preference` in one domain (default "twx"); ESP32 NVS limits keys (and domains) to 15
 *   characters and values to 4000 bytes. Values are stored as strings.
 * - openFlash: what `options.openFlash` gives, absent otherwise: on ESP32, `openPartition` from
 *   ./flashpartition. It is not imported here because the SDK's `flash` module exists only on esp,
 *   esp32 and nrf52: a static import of it stops the app at load in the simulator (lin, mac, win).
 */
import { Digest } from "crypt";
import Preference from "preference";
import TextDecoder from "text/decoder";
import Time from "time";
import Timer from "timer";
import type { Hal, HalFlash, HalStore, HalTimers, LogLevel, TimerId } from "../hal";
import { ModdableListener, ModdableSocket } from "./sockets";

export interface ModdableHalOptions {
	/** Lowest level that reaches `trace` (default "info"). */
	logLevel?: LogLevel;
	/** Bytes read from the TCP socket per `onData` at most; one buffer per socket (default 2048). */
	rxBufferSize?: number;
	/** Preference domain of the store (default "twx"; at most 15 characters on ESP32). */
	storeDomain?: string;
	/** Flash regions for `persistence` (ESP32: `openPartition` from the "flashpartition" module); none by default. */
	openFlash?: (name: string, byteLength: number) => HalFlash;
}

const LEVELS = Object.freeze({ trace: 0, debug: 1, info: 2, warn: 3, error: 4 });
const NVS_NAME_LIMIT = 15;

export function createModdableHal(options: ModdableHalOptions = {}): Hal {
	const minLevel = LEVELS[options.logLevel ?? "info"];
	if (minLevel === undefined) throw new RangeError(`logLevel must be one of ${Object.keys(LEVELS).join(", ")}`);
	const rxBufferSize = options.rxBufferSize ?? 2048;
	if (!Number.isInteger(rxBufferSize) || rxBufferSize < 1 || rxBufferSize > 65536) throw new RangeError(`rxBufferSize must be an integer from 1 to 65536, not ${rxBufferSize}`);
	const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
	const clock = new TickClock();
	return {
		createSocket: () => new ModdableSocket(rxBufferSize),
		createListener: () => new ModdableListener(rxBufferSize),
		timers: TIMERS,
		now: () => Date.now(),
		ticks: () => clock.now(),
		randomBytes,
		sha1(bytes) {
			const digest = new Digest("SHA1");
			// The native write takes any buffer or view (xsmcGetBufferReadable); the typing says ArrayBuffer.
			digest.write(bytes as unknown as ArrayBuffer);
			return new Uint8Array(digest.close());
		},
		base64Encode: (bytes) => bytes.toBase64(),
		base64Decode(text) {
			try {
				return Uint8Array.fromBase64(text);
			} catch (cause) {
				throw new TypeError("malformed base64", { cause });
			}
		},
		utf8EncodeInto,
		utf8Decode: (bytes, offset, length) => decoder.decode(bytes.subarray(offset, offset + length)),
		log(level, message) {
			if (LEVELS[level] >= minLevel) trace(`${level} ${message}\n`);
		},
		logEnabled: (level) => LEVELS[level] >= minLevel,
		store: new PreferenceStore(options.storeDomain ?? "twx"),
		openFlash: options.openFlash,
	};
}

/** A kept timer's repeat interval: the longest Timer takes (a signed 32-bit count of ms). */
const KEEP = 0x7fffffff;

const TIMERS: HalTimers = Object.freeze({
	set: (callback: () => void, ms: number): TimerId => Timer.set(callback, ms),
	repeat<T>(callback: (this: T) => void, ms: number, owner?: T): TimerId {
		// Moddable calls a Timer's callback with no `this`: an owner takes a wrapper, as a closure would have.
		return owner === undefined ? Timer.repeat(callback as () => void, ms) : Timer.repeat(() => callback.call(owner), ms);
	},
	create<T>(callback: (this: T) => void, owner?: T): TimerId {
		const timer = Timer.repeat((t: Timer) => {
			Timer.schedule(t); // once per schedule: unscheduled (not freed) before the callback may schedule it again
			callback.call(owner as T);
		}, KEEP);
		Timer.schedule(timer);
		return timer;
	},
	schedule(id: TimerId, ms: number): void {
		if (ms < 0) Timer.schedule(id as Timer);
		else Timer.schedule(id as Timer, ms, KEEP);
	},
	clear(id: TimerId): void {
		Timer.clear(id as Timer);
	},
});

/** Monotonic milliseconds from `Time.ticks`, immune to its 32-bit wrap. */
class TickClock {
	#last = Time.ticks >>> 0;
	#elapsed = 0;

	now(): number {
		const raw = Time.ticks >>> 0;
		this.#elapsed += (raw - this.#last) >>> 0;
		this.#last = raw;
		return this.#elapsed;
	}
}

function randomBytes(into: Uint8Array, offset: number, length: number): void {
	for (let i = offset, end = offset + length; i < end; i++) into[i] = (Math.random() * 256) | 0;
}

/** UTF-8 of `text` into `into` at `offset`: the bytes written, or -1 (nothing written) when it does not fit. Lone surrogates become U+FFFD, as TextEncoder does. */
function utf8EncodeInto(text: string, into: Uint8Array, offset: number): number {
	const length = text.length;
	let size = 0;
	for (let i = 0; i < length; i++) {
		const c = text.charCodeAt(i);
		if (c < 0x80) size += 1;
		else if (c < 0x800) size += 2;
		else if (c >= 0xd800 && c < 0xdc00 && i + 1 < length && isLowSurrogate(text.charCodeAt(i + 1))) {
			size += 4;
			i++;
		}
		else size += 3;
	}
	if (offset < 0 || size > into.length - offset) return -1;
	let at = offset;
	for (let i = 0; i < length; i++) {
		let c = text.charCodeAt(i);
		if (c < 0x80) into[at++] = c;
		else if (c < 0x800) {
			into[at++] = 0xc0 | (c >> 6);
			into[at++] = 0x80 | (c & 0x3f);
		}
		else if (c >= 0xd800 && c < 0xdc00 && i + 1 < length && isLowSurrogate(text.charCodeAt(i + 1))) {
			c = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
			into[at++] = 0xf0 | (c >> 18);
			into[at++] = 0x80 | ((c >> 12) & 0x3f);
			into[at++] = 0x80 | ((c >> 6) & 0x3f);
			into[at++] = 0x80 | (c & 0x3f);
		}
		else {
			if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
			into[at++] = 0xe0 | (c >> 12);
			into[at++] = 0x80 | ((c >> 6) & 0x3f);
			into[at++] = 0x80 | (c & 0x3f);
		}
	}
	return size;
}

function isLowSurrogate(c: number): boolean {
	return c >= 0xdc00 && c < 0xe000;
}

class PreferenceStore implements HalStore {
	readonly #domain: string;

	constructor(domain: string) {
		checkName("domain", domain);
		this.#domain = domain;
	}

	get(key: string): string | undefined {
		checkName("key", key);
		const value = Preference.get(this.#domain, key);
		return typeof value === "string" ? value : undefined;
	}

	set(key: string, value: string): void {
		checkName("key", key);
		try {
			Preference.set(this.#domain, key, value);
		} catch (cause) {
			// The value may be a secret: the message names the key only (the native error is "nvs set fail").
			throw new Error(`store: cannot save "${key}"`, { cause });
		}
	}

	delete(key: string): void {
		checkName("key", key);
		Preference.delete(this.#domain, key);
	}
}

function checkName(what: string, name: string): void {
	if (name.length === 0 || name.length > NVS_NAME_LIMIT) throw new RangeError(`store: ${what} "${name}" must be 1 to ${NVS_NAME_LIMIT} characters (ESP32 NVS)`);
}
