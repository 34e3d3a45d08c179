/* Virtual things: definitions, values, platform request dispatch, GetMetadata. */
export { Thing, shapeFields, type Reply, type ThingLink } from "./thing";
export { ParamsReader } from "./params";
export { Property, PUSH_TYPES, PUSH_ALWAYS, PUSH_NEVER, PUSH_VALUE, PUSH_ON, PUSH_OFF, PUSH_DEADBAND } from "./property";
export type { PushType, PlainValue, AspectValue, FieldSpec, DataShapeSpec, PropertySpec, ServiceSpec, ServiceParams, ServiceResult, ServiceHandler, EventSpec, ThingSpec } from "./spec";
