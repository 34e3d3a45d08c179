/*
 * The push hot path: UpdateSubscribedPropertyValues (docs/protocol.md §7.3, byte layout §10.7) written
 * straight into the TX buffer. Nothing here allocates per call: names and qualities come pre-encoded
 * (encodeName, once, at definition time), the constant shape bytes are built once per PushWriter,
 * DATETIME is two 32-bit halves, and the value goes through encodeTypedValue's allocation-free switch.
 */
import type { TypedValue } from "./model";
import { DEFAULT_OPTIONS, type CodecOptions } from "./basetypes";
import { POST, SERVICES, THING } from "./codes";
import { encodeTypedValue } from "./values";
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

/**
 * Writes one VTQ row of the NamedVTQ table: `01 0004 00 <name> 12 <type> <value> 03 <int64 time> 00 <quality>`.
 * All or nothing: when the row does not fit, the writer's position is restored and the EncodeError
 * is rethrown, so a caller can fill a buffer row by row and send what fits.
 * The fixed bytes are stored straight into the buffer after one room check, the name and quality with
 * one native set() each: under XS every writer call costs more than the byte it writes.
 */
export function writeVtqRow(w: ByteWriter, propertyName: Uint8Array, value: TypedValue, timeMs: number, quality: Uint8Array, options: CodecOptions = DEFAULT_OPTIONS): void {
	const b = w.buffer;
	const start = w.position;
	let at = start + 4 + propertyName.length;
	if (at >= b.length) w.noRoom(at + 1 - start);
	b[start] = 1;
	b[start + 1] = 0;
	b[start + 2] = 4;
	b[start + 3] = STRING;
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
	}

	/** Header (POST, endpoint 0, single part), THING entity, service and the DataShapes. */
	begin(w: ByteWriter, requestId: number, sessionId: number, thingName: Uint8Array): void {
		w.u8(1);
		w.u8(POST);
		w.u32(requestId);
		w.u32(0);
		w.u32(sessionId);
		w.u8(0);
		w.u8(THING);
		w.bytes(thingName);
		w.bytes(this.#shape);
	}

	row(w: ByteWriter, propertyName: Uint8Array, value: TypedValue, timeMs: number, quality: Uint8Array): void {
		writeVtqRow(w, propertyName, value, timeMs, quality);
	}

	/** Ends the inner rows and the outer rows. */
	end(w: ByteWriter): void {
		w.u8(0);
		w.u8(0);
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
