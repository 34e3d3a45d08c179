/*
 * The edge's requests about any thing on the platform (services and properties), as free functions
 * over EdgeClient.request: a bundle whose app never makes them carries none of them.
 */
import type { InfoTable, ResponseMessage, TypedValue } from "../protocol/model";
import { GET, POST, PROPERTIES, PUT, SERVICES } from "../protocol/codes";
import type { EdgeClient } from "./client";
import type { RequestOptions } from "./requestqueue";

/*
 * Each waits in the offline request queue until the platform answers it, unless `options` say otherwise
 * (client.ts request, requestqueue.ts).
 */

/** POST a service of any thing on the platform; resolves with its result table (null for none). */
export function invokeService(client: EdgeClient, thingName: string, serviceName: string, params: InfoTable | null = null, options?: RequestOptions): Promise<InfoTable | null> {
	return client.request(POST, thingName, SERVICES, serviceName, params, options).then(content);
}

/** GET a property of any thing on the platform. */
export function readProperty(client: EdgeClient, thingName: string, propertyName: string, options?: RequestOptions): Promise<TypedValue> {
	return client.request(GET, thingName, PROPERTIES, propertyName, null, options).then((r) => firstValue(r, propertyName));
}

/** PUT a property of any thing on the platform. */
export function writeProperty(client: EdgeClient, thingName: string, propertyName: string, value: TypedValue, options?: RequestOptions): Promise<void> {
	const params: InfoTable = { fields: [{ name: propertyName, description: "", baseType: value.type, aspects: [] }], rows: [[value]] };
	return client.request(PUT, thingName, PROPERTIES, propertyName, params, options).then(nothing);
}

/** The index of a table's column, -1 when it has none of that name. */
export function column(table: InfoTable, name: string): number {
	for (let i = 0; i < table.fields.length; i++) if (table.fields[i].name === name) return i;
	return -1;
}

/** For a request whose answer carries nothing the caller wants. */
export function nothing(): void {}

function content(response: ResponseMessage): InfoTable | null {
	return response.content;
}

function firstValue(response: ResponseMessage, name: string): TypedValue {
	const table = response.content;
	if (table === null || table.rows.length === 0 || table.fields.length === 0) return { type: "NOTHING", value: null };
	const i = column(table, name);
	return table.rows[0][i >= 0 ? i : 0] ?? { type: "NOTHING", value: null };
}
