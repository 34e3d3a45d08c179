/* Virtual things: definitions, values, platform request dispatch, GetMetadata. */
export { Thing, shapeFields } from "./thing";
export { Property } from "./property";
export type { PushType, PlainValue, AspectValue, FieldSpec, DataShapeSpec, PropertySpec, ServiceSpec, ServiceParams, ServiceResult, ServiceHandler, EventSpec, ThingSpec } from "./spec";
