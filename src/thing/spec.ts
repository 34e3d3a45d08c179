/*
 * What an application declares about a thing: properties, services and events, in the vocabulary of
 * the C SDK's TW_PROPERTY / TW_SERVICE / TW_EVENT macros (docs/protocol.md §7.2, §11).
 */
import type { BaseTypeName } from "../protocol/model";
import type { Thing } from "./thing";

/** How a property change reaches the platform (docs/protocol.md §7.4). */
export type PushType = "ALWAYS" | "VALUE" | "NEVER" | "DEADBAND" | "ON" | "OFF";

import type { PlainValue } from "../protocol/kinds";

/** A value in its JavaScript form (see src/protocol/kinds.ts). */
export type { PlainValue };

/** Aspect values as GetMetadata shows them (JSON scalars). */
export type AspectValue = string | number | boolean;

export interface FieldSpec {
	name: string;
	baseType: BaseTypeName;
	description?: string;
	aspects?: Readonly<Record<string, AspectValue>>;
}

/** A named DataShape; the name appears only in metadata (`dataShape` aspect), never on the wire. */
export interface DataShapeSpec {
	name: string;
	fields: readonly FieldSpec[];
}

export interface PropertySpec {
	name: string;
	baseType: BaseTypeName;
	description?: string;
	/** Default ALWAYS with threshold 0, as TW_PROPERTY does; the platform may override both when syncing. */
	pushType?: PushType;
	pushThreshold?: number;
	/** Platform writes are refused with FORBIDDEN; shown as the `isReadOnly` aspect. */
	readOnly?: boolean;
	/** Shown as the `defaultValue` aspect; also the initial value unless the app sets another. */
	defaultValue?: PlainValue;
	/** Further aspects for GetMetadata (e.g. `isLogged: true`), in the order given. */
	aspects?: Readonly<Record<string, AspectValue>>;
	/** Keep only the newest unpushed value of this property instead of queueing every change (§7.4 folding). */
	fold?: boolean;
}

/** Service inputs by name, in their plain form; absent inputs are undefined. */
export type ServiceParams = Record<string, PlainValue | undefined>;

/**
 * The handler's answer: nothing (NOTHING output), a plain value of the output type (wrapped in a
 * one-row InfoTable with the field `result`), or an InfoTable for INFOTABLE outputs.
 * Throw a RequestError to answer with a specific code; any other throw is INTERNAL_SERVER_ERROR.
 */
export type ServiceResult = PlainValue | undefined | void;

/**
 * `thing` is the thing answering (its `context` is what the application gave it): a handler can be a
 * module-level function shared by every instance, not a closure made per thing.
 */
export type ServiceHandler = (params: ServiceParams, thing: Thing) => ServiceResult | Promise<ServiceResult>;

export interface ServiceSpec {
	name: string;
	description?: string;
	inputs?: readonly FieldSpec[];
	/** Default NOTHING. */
	output?: BaseTypeName;
	/** The DataShape of an INFOTABLE output. */
	outputShape?: DataShapeSpec;
	handler: ServiceHandler;
}

export interface EventSpec {
	name: string;
	description?: string;
	shape: DataShapeSpec;
}

export interface ThingSpec {
	name: string;
	description?: string;
	properties?: readonly PropertySpec[];
	services?: readonly ServiceSpec[];
	events?: readonly EventSpec[];
}
