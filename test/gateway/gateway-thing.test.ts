// A registered thing as the client sees it (RegisteredGatewayThing): the platform's requests encoded as
// on the wire, its callback a Node http server that answers well or badly; each outcome the platform
// code that keeps its meaning. The link is a recorder standing in for the edge client.
import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { createNodeHal } from "../../hal/node/index";
import type { BoundEntity, EntityLink, PushedProperty, Reply } from "../../src/client/entity";
import { Characteristic, Code, encodeMessageToBytes, ParamsReader, RequestHead } from "../../src/protocol";
import type { InfoTable, TypedValue } from "../../src/protocol/model";
import { LimitError, RegisteredGatewayThing } from "../../src/gateway/gateway-thing";
import { HttpClient } from "../../src/gateway/http-client";
import { request } from "../client/fakes";

const hal = createNodeHal({ logLevel: "error" });
let server: http.Server;
let url = "";
const seen: string[] = [];
let answer: (res: http.ServerResponse) => void = (res) => res.end();

before(async () => {
	server = http.createServer((req, res) => {
		let body = "";
		req.on("data", (d) => (body += d));
		req.on("end", () => {
			seen.push(`${req.method} ${req.url} ${body}`);
			answer(res);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb/`;
});
after(() => server.close());

class Recorder implements EntityLink {
	readonly changes: string[] = [];
	notified = 0;
	now = () => 1_700_000_000_000;
	propertyChanged(_entity: BoundEntity, p: PushedProperty): void {
		this.changes.push(`${p.name}=${JSON.stringify(p.value.value)}@${p.time}`);
	}
	propertyUpdateNotified(): void {
		this.notified++;
	}
	fireEvent(): Promise<void> {
		return Promise.resolve();
	}
}

function thingWith(callback: string, maxProperties = 2) {
	const client = new HttpClient(hal, { maxResponseBytes: 4096, timeoutMs: 5000, maxRequests: 1 });
	const thing = new RegisteredGatewayThing(hal, "Pump7", callback, client, maxProperties);
	const link = new Recorder();
	thing.attach(link);
	return { thing, link };
}

function table(name: string, value: TypedValue): InfoTable {
	return { fields: [{ name, description: "", baseType: value.type, aspects: [] }], rows: [[value]] };
}

/** The platform's request, as the client hands it over. */
async function ask(thing: RegisteredGatewayThing, code: number, characteristic: number, name: string, params: InfoTable | null): Promise<Reply> {
	const bytes = encodeMessageToBytes(request(code, "Pump7", characteristic, name, params));
	return thing.answer(bytes, new RequestHead(), new ParamsReader());
}

test("values written over REST: properties made on first write, typed, pushed through the link; bounded by maxProperties", () => {
	const { thing, link } = thingWith("");
	thing.write("Speed", { type: "NUMBER", value: 3 }, 10);
	thing.write("Speed", { type: "NUMBER", value: 4 }, 11);
	thing.write("Mode", { type: "STRING", value: "auto" }, 12);
	assert.deepEqual(link.changes, ["Speed=3@10", "Speed=4@11", 'Mode="auto"@12']);
	assert.deepEqual([thing.typeOf("Speed"), thing.value("Mode"), thing.properties.map((p) => p.index)], ["NUMBER", { type: "STRING", value: "auto" }, [0, 1]]);
	assert.throws(() => thing.write("Third", { type: "BOOLEAN", value: true }, 13), (e: Error) => e instanceof LimitError && /has 2 properties already/.test(e.message));
});

test("the platform's GET is answered from the gateway; NotifyPropertyUpdate reaches the link; GetMetadata and other methods refused with a reason", async () => {
	const { thing, link } = thingWith("");
	thing.write("Speed", { type: "NUMBER", value: 3 }, 10);
	const got = await ask(thing, Code.GET, Characteristic.PROPERTIES, "Speed", null);
	assert.deepEqual([got.code, got.content], [Code.SUCCESS, table("Speed", { type: "NUMBER", value: 3 })]);
	assert.equal((await ask(thing, Code.GET, Characteristic.PROPERTIES, "Nope", null)).code, Code.NOT_FOUND);
	assert.equal((await ask(thing, Code.POST, Characteristic.SERVICES, "NotifyPropertyUpdate", null)).code, Code.SUCCESS);
	assert.equal(link.notified, 1);
	assert.equal((await ask(thing, Code.POST, Characteristic.SERVICES, "GetMetadata", null)).code, Code.NOT_IMPLEMENTED);
	assert.equal((await ask(thing, Code.DEL, Characteristic.PROPERTIES, "Speed", null)).code, Code.METHOD_NOT_ALLOWED);
	const wrong = await ask(thing, Code.PUT, Characteristic.PROPERTIES, "Speed", table("Speed", { type: "STRING", value: "fast" }));
	assert.deepEqual([wrong.code, wrong.reason], [Code.BAD_REQUEST, "Speed is a NUMBER, not a STRING"]);
	assert.equal((await ask(thing, Code.PUT, Characteristic.PROPERTIES, "Speed", null)).code, Code.BAD_REQUEST);
});

test("with a callback: the platform's PUT taken only on a 2xx; service results as tables; the callback's failures keep their meaning", async () => {
	const { thing, link } = thingWith(url);
	answer = (res) => res.end();
	const put = await ask(thing, Code.PUT, Characteristic.PROPERTIES, "Speed", table("Speed", { type: "NUMBER", value: 9 }));
	assert.equal(put.code, Code.SUCCESS);
	assert.equal(seen.at(-1), 'PUT /cb/Properties/Speed {"Speed":9}');
	assert.deepEqual(thing.value("Speed"), { type: "NUMBER", value: 9 });
	assert.equal(link.changes.length, 1, "the taken value is pushed back under the push rules, as a Thing's would be");

	answer = (res) => {
		res.statusCode = 404;
		res.end();
	};
	assert.equal((await ask(thing, Code.PUT, Characteristic.PROPERTIES, "Speed", table("Speed", { type: "NUMBER", value: 10 }))).code, Code.NOT_FOUND);
	assert.deepEqual(thing.value("Speed"), { type: "NUMBER", value: 9 }, "a refused write is not kept");

	answer = (res) => res.end(JSON.stringify({ dataShape: { fieldDefinitions: { n: { name: "n", baseType: "INTEGER" } } }, rows: [{ n: 1 }, { n: 2 }] }));
	const rows = await ask(thing, Code.POST, Characteristic.SERVICES, "List", table("limit", { type: "INTEGER", value: 2 }));
	assert.equal(seen.at(-1), 'POST /cb/Services/List {"limit":2}');
	assert.deepEqual(rows.content?.rows, [[{ type: "INTEGER", value: 1 }], [{ type: "INTEGER", value: 2 }]]);
	answer = (res) => res.end("not json");
	const bad = await ask(thing, Code.POST, Characteristic.SERVICES, "List", null);
	assert.deepEqual([bad.code, bad.reason], [Code.BAD_GATEWAY, "the callback's answer to List is not JSON"]);
	answer = (res) => {
		res.statusCode = 500;
		res.end();
	};
	assert.equal((await ask(thing, Code.POST, Characteristic.SERVICES, "List", null)).code, Code.INTERNAL_SERVER_ERROR);

	let release: () => void = () => {};
	answer = (res) => (release = () => res.end());
	const first = ask(thing, Code.POST, Characteristic.SERVICES, "Slow", null); // takes the one slot at once
	const busy = await ask(thing, Code.POST, Characteristic.SERVICES, "Slow", null);
	assert.equal(busy.code, Code.SERVICE_UNAVAILABLE, "beyond maxRequests under way: refused at once");
	await new Promise<void>((resolve) => {
		const wait = () => (seen.at(-1)?.startsWith("POST /cb/Services/Slow") ? resolve() : setImmediate(wait));
		wait();
	});
	release();
	assert.equal((await first).code, Code.SUCCESS);
});
