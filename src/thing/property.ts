/*
 * One property of a virtual thing: its definition, its current value/time/quality and its push
 * settings. Setting a value is the head of the push path, so `set` allocates nothing: the value is
 * stored into a TypedValue made once, names and the quality are pre-encoded bytes.
 *
 * Methods are TypeScript-private, not #private: under XS every #method is a slot in each instance.
 */
import { baseTypeCode, BaseType, type ByteWriter, encodeTypedValue } from "../protocol";
import type { BaseTypeName, Location, TypedValue } from "../protocol/model";
import type { AspectValue, PlainValue, PropertySpec, PushType } from "./spec";
import { applyPushType, PUSH_TYPES, type PushedProperty } from "../client/entity";
import { KIND_LOCATION, valueKind } from "../protocol/kinds";
import { fits, plainTypeError } from "./values";

const GOOD = "GOOD";

/** Where a property reports its changes (the thing, which forwards them to the client). */
export interface PropertyOwner {
	now(): number;
	propertyChanged(property: Property): void;
	/** The encoded form of a quality string (cached: qualities repeat). */
	encodedQuality(quality: string): Uint8Array;
	/** The encoded form of "GOOD". */
	readonly goodQuality: Uint8Array;
}

export class Property implements PushedProperty {
	/** Its definition, kept, not copied (module data, frozen and shared, on a device): what never changes is read from it. */
	readonly spec: PropertySpec;
	readonly name: string;
	/** Length-prefixed UTF-8 name, copied into every row. */
	readonly nameBytes: Uint8Array;
	/** Position in the thing's property list. */
	readonly index: number;
	/** Kind (KIND_*) of the base type: what the push path checks and compares by. */
	readonly kind: number;
	readonly fold: boolean;
	/** Push type code (PUSH_*) and threshold; the platform may replace them when syncing. */
	pushCode: number;
	pushThreshold: number;
	/** The current value (one object for the property's life; read it, change it with `set`). */
	readonly value: TypedValue;
	time = 0;
	quality = GOOD;
	qualityBytes: Uint8Array;
	/** False until the first `set` (or a default value). */
	hasValue = false;
	#owner: PropertyOwner;

	/** `nameBytes`: the name as encodeName makes it (the thing encodes all its names into one buffer). */
	constructor(spec: PropertySpec, index: number, owner: PropertyOwner, nameBytes: Uint8Array) {
		this.spec = spec;
		this.name = spec.name;
		this.nameBytes = nameBytes;
		this.index = index;
		this.kind = valueKind(spec.baseType);
		this.fold = spec.fold === true;
		this.pushCode = pushCode(spec.pushType ?? "ALWAYS", spec.name);
		this.pushThreshold = spec.pushThreshold ?? 0;
		this.qualityBytes = owner.goodQuality;
		this.#owner = owner;
		this.value = { type: spec.baseType, value: initial(spec.baseType) } as TypedValue;
		if (spec.defaultValue !== undefined && spec.defaultValue !== null) {
			const problem = plainTypeError(spec.baseType, spec.defaultValue);
			if (problem !== null) throw new TypeError(spec.name + " defaultValue: " + problem);
			this.store(spec.defaultValue);
		}
	}

	get baseType(): BaseTypeName {
		return this.value.type;
	}

	/** Platform writes are refused. */
	get readOnly(): boolean {
		return this.spec.readOnly === true;
	}

	get description(): string {
		return this.spec.description ?? "";
	}

	/** Aspects shown in GetMetadata besides the push settings, in order (made for each call: only metadata reads them). */
	get aspects(): Record<string, AspectValue> {
		const spec = this.spec;
		const aspects: Record<string, AspectValue> = {};
		if (spec.readOnly === true) aspects.isReadOnly = true;
		if (spec.aspects) for (const key in spec.aspects) aspects[key] = spec.aspects[key];
		if (isAspectValue(spec.defaultValue)) aspects.defaultValue = spec.defaultValue;
		return aspects;
	}

	get pushType(): PushType {
		return PUSH_TYPES[this.pushCode] as PushType;
	}

	/** The current value in its plain form. */
	get(): PlainValue {
		return this.value.value;
	}

	/**
	 * Set the value (time defaults to now, quality to "GOOD") and hand it to the push rules.
	 * A value of the wrong type is a TypeError and changes nothing.
	 */
	set(value: PlainValue, time?: number, quality?: string): void {
		if (!fits(this.kind, value)) throw new TypeError(this.name + ": " + plainTypeError(this.baseType, value));
		this.store(value);
		this.time = time === undefined ? this.#owner.now() : time;
		if (quality !== undefined) {
			if (quality !== this.quality) {
				this.quality = quality;
				this.qualityBytes = this.#owner.encodedQuality(quality);
			}
		} else {
			const good = this.#owner.goodQuality;
			if (this.qualityBytes !== good) {
				this.quality = GOOD;
				this.qualityBytes = good;
			}
		}
		this.#owner.propertyChanged(this);
	}

	/**
	 * Writes the one-row InfoTable a GET is answered with (docs/protocol.md §7.2): one field named after the
	 * property, of its base type, and its current value (NOTHING before the first). No allocation.
	 */
	writeTable(w: ByteWriter): void {
		w.u8(1);
		w.bytes(this.nameBytes);
		w.u8(0); // no description
		w.u8((baseTypeCode(this.value.type) as number) & 0xff);
		w.u16(0); // no aspects
		w.u8(0);
		w.u8(1);
		w.u16(1);
		if (this.hasValue) encodeTypedValue(w, this.value);
		else w.u8(BaseType.NOTHING & 0xff);
		w.u8(0);
	}

	/** Platform override from GetPropertySubscriptions; false when the push type name is unknown. */
	applySubscription(pushType: string, threshold: number): boolean {
		return applyPushType(this, pushType, threshold);
	}

	/** Into the one value object; a location's fields into the one Location (the caller's object stays theirs). */
	private store(value: PlainValue): void {
		if (this.kind === KIND_LOCATION) {
			const location = this.value.value as Location;
			const l = value as Location;
			location.longitude = l.longitude;
			location.latitude = l.latitude;
			location.elevation = l.elevation;
		} else {
			(this.value as { value: unknown }).value = value;
		}
		this.hasValue = true;
	}
}

function pushCode(name: PushType, property: string): number {
	const code = PUSH_TYPES.indexOf(name);
	if (code < 0) throw new TypeError(property + ": unknown push type " + String(name));
	return code;
}

function isAspectValue(value: unknown): value is AspectValue {
	return typeof value === "number" || typeof value === "string" || typeof value === "boolean";
}

/** The value a property holds before it is ever set (never pushed: `hasValue` is false). */
function initial(type: BaseTypeName): unknown {
	switch (type) {
		case "NUMBER": case "INTEGER": case "LONG": case "DATETIME": return 0;
		case "BOOLEAN": return false;
		case "NOTHING": return null;
		case "IMAGE": case "BLOB": return new Uint8Array(0);
		case "INFOTABLE": return { fields: [], rows: [] };
		case "VARIANT": return { type: "NOTHING", value: null };
		case "LOCATION": return { longitude: 0, latitude: 0, elevation: 0 };
	}
	return "";
}
