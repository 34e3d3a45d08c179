/* Edge-side metadata (the GetMetadata JSON shape of docs/protocol.md §7.2) and replies for scripted edges. */
import { Code } from "../../src/protocol";
import type { BaseTypeName, InfoTable, RequestMessage, TypedValue } from "../../src/protocol/model";
import type { Responder } from "./scripted-edge";

export interface EdgeModel {
	properties: Record<string, BaseTypeName>;
	services?: Record<string, { inputs?: Record<string, BaseTypeName>; output: BaseTypeName }>;
	events?: Record<string, Record<string, BaseTypeName>>;
}

const fieldDefs = (fields: Record<string, BaseTypeName>) =>
	Object.fromEntries(Object.entries(fields).map(([name, baseType]) => [name, { name, description: "", baseType, aspects: {} }]));

export function metadataJson(thing: string, model: EdgeModel): string {
	return JSON.stringify({
		name: thing,
		description: "",
		isSystemObject: false,
		propertyDefinitions: Object.fromEntries(Object.entries(model.properties).map(([name, baseType]) => [name, { name, baseType, aspects: { pushType: "VALUE", pushThreshold: 0.5 } }])),
		serviceDefinitions: Object.fromEntries(Object.entries(model.services ?? {}).map(([name, s]) => [name, {
			name, description: `${name} service`, aspects: {},
			Inputs: s.inputs ? { fieldDefinitions: fieldDefs(s.inputs) } : {},
			Outputs: { baseType: s.output, fieldDefinitions: {}, name: "result" },
		}])),
		eventDefinitions: Object.fromEntries(Object.entries(model.events ?? {}).map(([name, fields]) => [name, {
			name, description: "", aspects: {}, EventData: { fieldDefinitions: fieldDefs(fields), name, aspects: { dataShape: name } },
		}])),
	});
}

export function resultTable(baseType: BaseTypeName, value: TypedValue): InfoTable {
	return { fields: [{ name: "result", description: "", baseType, aspects: [] }], rows: [[value]] };
}

/** First-row parameter by name. */
export function param(request: RequestMessage, name: string): TypedValue | undefined {
	const index = request.params?.fields.findIndex((f) => f.name === name) ?? -1;
	return index >= 0 ? request.params?.rows[0][index] : undefined;
}

/** Answers GetMetadata and NotifyPropertyUpdate; everything else goes to `other` (null = no reply). */
export function edgeResponder(thing: string, model: EdgeModel, other: Responder = () => ({ code: Code.NOT_FOUND })): Responder {
	const metadata = metadataJson(thing, model);
	return (request) => {
		if (request.characteristicName === "GetMetadata") return { code: Code.SUCCESS, content: resultTable("JSON", { type: "JSON", value: metadata }) };
		if (request.characteristicName === "NotifyPropertyUpdate") return { code: Code.SUCCESS };
		return other(request);
	};
}
