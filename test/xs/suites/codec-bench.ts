/*
 * XS side of the codec benchmark (test/xs/measure.ts runs each loop for N and 2N messages and reads
 * the meters): the SteamSensor push encoded in place, and a platform PUT read through the head.
 * Everything a device prepares once is prepared at import; the loops are the per-message work.
 */
import { ByteReader, ByteWriter, bytesEqual, decodeInfoTable, decodeMessage, encodeName, readRequestHead, RequestHead } from "../../../src/protocol/index";
import { SteamPush } from "../../protocol/fixtures/steam-push";
import { fromHex } from "./canonical";

const steam = new SteamPush();
const writer = new ByteWriter(new Uint8Array(1024));

// docs/protocol.md §10.4: PUT SteamSensor.Temperature = 42.5.
const put = fromHex(
	"01020000000300000000" + "0000beef00" + "0a0b537465616d53656e736f72" + "010b54656d7065726174757265" + "00" + "05" +
	"010b54656d706572617475726500010000" + "00" + "010001014045400000000000" + "00",
);
const head = new RequestHead();
const thing = encodeName("SteamSensor");
const temperature = encodeName("Temperature");

/** n pushes into the same buffer, time moving on; returns the last length. */
export function encodePushes(n: number): number {
	let length = 0;
	for (let i = 0; i < n; i++) {
		writer.position = 0;
		length = steam.write(writer, i + 1, 0xbeef, 1700000000000 + i);
	}
	return length;
}

/** n PUT heads read and dispatched by name: what a device does before it touches the value. */
export function readPutHeads(n: number): number {
	let matched = 0;
	for (let i = 0; i < n; i++) {
		readRequestHead(put, 0, put.length, head);
		if (bytesEqual(put, head.entityNameOffset, head.entityNameLength, thing) && bytesEqual(put, head.characteristicNameOffset, head.characteristicNameLength, temperature)) matched++;
	}
	return matched;
}

/** n PUT heads plus the params table decoded: the value handed to the application. */
export function decodePutParams(n: number): number {
	let sum = 0;
	for (let i = 0; i < n; i++) {
		readRequestHead(put, 0, put.length, head);
		const table = decodeInfoTable(new ByteReader(put, head.paramsOffset + 1, put.length));
		sum += (table.rows[0]![0]!.value as number);
	}
	return sum;
}

/** n decodes of the SteamSensor push into the whole message model (the general, allocating path). */
export function decodePushes(n: number): number {
	const length = encodePushes(1);
	const message = writer.buffer.subarray(0, length);
	let sum = 0;
	for (let i = 0; i < n; i++) sum += decodeMessage(message).requestId;
	return sum;
}

export function pushLength(): number {
	return encodePushes(1);
}
