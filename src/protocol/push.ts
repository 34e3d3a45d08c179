/*
 * The push hot path: UpdateSubscribedPropertyValues (docs/protocol.md §7.3, byte layout §10.7) written
 * straight into the TX buffer. Nothing here allocates per call: names and qualities come pre-encoded
 * (encodeName, once, at definition time), the constant shape bytes are built once per PushWriter,
 * and the values of the push path's types and their times are stored straight into the buffer
 * (others go through encodeTypedValue's allocation-free switch).
 */
import type { Location, TypedValue } from "./model";
import { DEFAULT_OPTIONS, type CodecOptions } from "./basetypes";
import { POST, SERVICES, THING } from "./codes";
import {
	BOOLEAN as BOOLEAN_NAME, BOOLEAN_TYPE, encodeTypedValue, INTEGER as INTEGER_NAME, lastBytes, lastText, LOCATION as LOCATION_NAME,
	NUMBER as NUMBER_NAME, NUMBER_TYPE, STRING as STRING_NAME,
} from "./values";
import { ByteWriter } from "./writer";
import { EncodeError } from "./errors";
import { utf8Length } from "./utf8";

// Base type codes (§5.2) as numbers the bundle inlines.
const STRING = 0;
const DATETIME = 3;
const INFOTABLE = 5;
const VARIANT = 18;
const TWO_32 = 4294967296;

/** A name as it goes on the wire: length prefix + UTF-8. Done once, when the thing is defined. */
export function encodeName(text: string): Uint8Array {
	const length = utf8Length(text);
	const w = new ByteWriter(new Uint8Array((length < 0x80 ? 1 : 4) + length));
	w.string(text);
	return w.buffer;
}

// The row's fixed bytes as the words the DataView stores: under XS a typed array element store costs
// as much as a whole DataView call (both are native calls), so a row is a few wide stores, not byte stores.
const ROW_START = 0x01000400; // 01: a row, 0004: four cells, 00: the name is a STRING
const HEADER_START = 0x0100 | POST; // single message, POST
const TIME_START = 0x0300; // DATETIME, then the time's top byte (0 below 2^56)
// A whole number k from 0 to 2^52 is stored as int64 by setFloat64(k * 2^-1074): the subnormal double
// k * Number.MIN_VALUE has k's bit pattern (IEEE 754 keeps it exact); times 256 shifts it one byte up.
const INT64 = 5e-324; // 2^-1074
const MAX_ONE_STORE_TIME = 17592186044416; // 2^44 ms (the year 2527): the time's bytes below the top one fit one store
// The VARIANT byte and the type code of the fixed-size values, as one 16-bit word.
const VARIANT_STRING = 0x1200;
const VARIANT_NUMBER = 0x1201;
const VARIANT_BOOLEAN = 0x1202;
const VARIANT_LOCATION = 0x1206;
const VARIANT_INTEGER = 0x1216;
/** The largest fixed-size value with its VARIANT and type bytes (LOCATION). */
const LARGEST_VALUE = 26;

// The quality of the last row and its length: a typed array's length is a getter (under XS a native
// call), and the rows of a push mostly share one quality (GOOD).
let lastQuality: Uint8Array | null = null;
let lastQualityLength = 0;

/**
 * Writes one VTQ row of the NamedVTQ table: `01 0004 00 <name> 12 <type> <value> 03 <int64 time> 00 <quality>`.
 * All or nothing: when the row does not fit, the writer's position is restored and the EncodeError
 * is rethrown, so a caller can fill a buffer row by row and send what fits.
 * The push path's rows (NUMBER, BOOLEAN, INTEGER, LOCATION, the string written last, a time from 1970
 * to 2527) are a few native stores after one room check: the name, quality and string copied with
 * set(), the rest DataView words.
 */
export function writeVtqRow(w: ByteWriter, propertyName: Uint8Array, value: TypedValue, timeMs: number, quality: Uint8Array, options?: CodecOptions): void {
	const b = w.buffer;
	const start = w.position;
	const at = start + 4 + propertyName.length; // the VARIANT byte
	if (quality !== lastQuality) {
		lastQuality = quality;
		lastQualityLength = quality.length;
	}
	const tail = 10 + lastQualityLength; // 03 <time> 00 <quality>
	const time = timeMs * INT64;
	if (timeMs > 0 && timeMs < MAX_ONE_STORE_TIME && time / INT64 === timeMs && at + LARGEST_VALUE + tail <= w.capacity) {
		const view = w.view;
		const v = value.value;
		let end = 0; // the DATETIME byte, once the value is written
		switch (value.type) {
			case NUMBER_NAME:
				if (typeof v !== NUMBER_TYPE) break;
				view.setUint16(at, VARIANT_NUMBER);
				view.setFloat64(at + 2, v as number);
				end = at + 10;
				break;
			case BOOLEAN_NAME:
				if (typeof v !== BOOLEAN_TYPE) break;
				view.setUint32(at - 1, VARIANT_BOOLEAN << 8 | (v ? 1 : 0)); // the byte before is the name's last, copied next
				end = at + 3;
				break;
			case STRING_NAME:
				if (v !== lastText || lastBytes === null) break;
				end = at + 2 + lastBytes.length;
				if (end + tail > w.capacity) {
					end = 0;
					break;
				}
				view.setUint16(at, VARIANT_STRING);
				b.set(lastBytes, at + 2);
				break;
			case INTEGER_NAME:
				if (((v as number) | 0) !== v) break;
				view.setUint16(at, VARIANT_INTEGER);
				view.setInt32(at + 2, v as number);
				end = at + 6;
				break;
			case LOCATION_NAME: {
				const l = v as Location;
				if (!l || typeof l.longitude !== NUMBER_TYPE || typeof l.latitude !== NUMBER_TYPE || typeof l.elevation !== NUMBER_TYPE) break;
				view.setUint16(at, VARIANT_LOCATION);
				view.setFloat64(at + 2, l.longitude);
				view.setFloat64(at + 10, l.latitude);
				view.setFloat64(at + 18, l.elevation);
				end = at + 26;
				break;
			}
		}
		if (end !== 0) {
			view.setUint32(start, ROW_START);
			b.set(propertyName, start + 4);
			view.setUint16(end, TIME_START);
			view.setFloat64(end + 2, time * 256); // the time's other seven bytes, then the quality's STRING type (00)
			b.set(quality, end + 10);
			w.position = end + tail;
			return;
		}
	}
	writeAnyRow(w, propertyName, value, timeMs, quality, options ?? DEFAULT_OPTIONS); // other types and times, and the error for a bad value
}

/** writeVtqRow for any value and time, a writer call per field. */
function writeAnyRow(w: ByteWriter, propertyName: Uint8Array, value: TypedValue, timeMs: number, quality: Uint8Array, options: CodecOptions): void {
	const b = w.buffer;
	const start = w.position;
	let at = start + 4 + propertyName.length;
	if (at >= b.length) w.noRoom(at + 1 - start);
	w.view.setUint32(start, ROW_START);
	b.set(propertyName, start + 4);
	b[at] = VARIANT;
	w.position = at + 1;
	try {
		encodeTypedValue(w, value, options);
		at = w.position;
		if (at + 10 + quality.length > b.length) w.noRoom(10 + quality.length);
		if (!Number.isSafeInteger(timeMs)) throw new EncodeError("not a safe integer: " + timeMs);
		b[at] = DATETIME;
		const high = Math.floor(timeMs / TWO_32);
		w.view.setInt32(at + 1, high);
		w.view.setUint32(at + 5, timeMs - high * TWO_32);
		b[at + 9] = STRING;
		b.set(quality, at + 10);
		w.position = at + 10 + quality.length;
	} catch (error) {
		w.position = start;
		throw error;
	}
}

/** begin(), then row() per value, then end(): one complete single-part POST message. */
export class PushWriter {
	/** From the characteristic type to the first row: service name, params byte, outer and inner DataShapes. */
	#shape: Uint8Array;
	#shapeLength: number;

	constructor() {
		const w = new ByteWriter(new Uint8Array(128));
		w.u8(SERVICES);
		w.string("UpdateSubscribedPropertyValues");
		w.u8(0); // no headers
		w.u8(INFOTABLE); // params
		field(w, "values", INFOTABLE);
		w.u8(0);
		w.u8(1); // the one outer row
		w.u16(1);
		w.u8(INFOTABLE);
		field(w, "name", STRING);
		field(w, "value", VARIANT);
		field(w, "time", DATETIME);
		field(w, "quality", STRING);
		w.u8(0);
		this.#shape = w.buffer.slice(0, w.position);
		this.#shapeLength = w.position;
	}

	/** Header (POST, endpoint 0, single part), THING entity, service and the DataShapes. */
	begin(w: ByteWriter, requestId: number, sessionId: number, thingName: Uint8Array): void {
		const at = w.position;
		const shapeAt = at + 16 + thingName.length;
		const end = shapeAt + this.#shapeLength;
		if (end > w.capacity) w.noRoom(end - at);
		const view = w.view;
		const b = w.buffer;
		view.setUint16(at, HEADER_START);
		view.setUint32(at + 2, requestId);
		view.setFloat64(at + 6, sessionId * INT64); // endpoint 0, then the session
		view.setUint16(at + 14, THING); // single part, the entity type
		b.set(thingName, at + 16);
		b.set(this.#shape, shapeAt);
		w.position = end;
	}

	row(w: ByteWriter, propertyName: Uint8Array, value: TypedValue, timeMs: number, quality: Uint8Array): void {
		writeVtqRow(w, propertyName, value, timeMs, quality);
	}

	/** Ends the inner rows and the outer rows. */
	end(w: ByteWriter): void {
		const at = w.position;
		if (at + 2 > w.capacity) w.noRoom(2);
		w.view.setUint16(at, 0);
		w.position = at + 2;
	}
}

/** A field definition with an empty description and no aspects. */
function field(w: ByteWriter, name: string, type: number): void {
	w.u8(1);
	w.string(name);
	w.u8(0);
	w.u8(type);
	w.u16(0);
}
