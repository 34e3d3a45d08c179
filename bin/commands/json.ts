/*
 * The JSON form of a message for `twx decode` / `twx encode`: the codec's model (src/protocol/model.ts)
 * with what JSON cannot hold spelled out. Bytes (IMAGE/BLOB values, chunk data) are hex strings;
 * NUMBER/LOCATION components that JSON cannot carry are the strings "NaN", "Infinity", "-Infinity"
 * and "-0"; `codeName` is added next to `code` (ignored on input, where `code` may also be a name).
 * Input is validated field by field: a JsonError names the path of the first bad field.
 */
import {
	BaseType, Code, codeName, messageKind, type Aspect, type ChunkMessage, type FieldDefinition, type InfoTable,
	type Message, type TypedValue,
} from "../../src/protocol/index";

export class JsonError extends Error {
	override get name() {
		return "JsonError";
	}
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function messageToJson(m: Message | ChunkMessage): Json {
	const out: { [key: string]: Json } = { kind: m.kind, version: m.version, code: m.code, codeName: codeName(m.code) };
	for (const [key, value] of Object.entries(m)) {
		if (key in out) continue;
		if (key === "data") out.data = hex(value as Uint8Array);
		else if (key === "params" || key === "content") out[key] = value === null ? null : tableToJson(value as InfoTable);
		else out[key] = value as Json;
	}
	return out;
}

function tableToJson(t: InfoTable): Json {
	return {
		fields: t.fields.map((f) => ({ name: f.name, description: f.description, baseType: f.baseType, aspects: f.aspects.map((a) => ({ name: a.name, value: valueToJson(a.value) })) })),
		rows: t.rows.map((row) => row.map(valueToJson)),
	};
}

function valueToJson(v: TypedValue): Json {
	switch (v.type) {
		case "NUMBER":
			return { type: v.type, value: numberToJson(v.value) };
		case "LOCATION":
			return { type: v.type, value: { longitude: numberToJson(v.value.longitude), latitude: numberToJson(v.value.latitude), elevation: numberToJson(v.value.elevation) } };
		case "IMAGE":
		case "BLOB":
			return { type: v.type, value: hex(v.value) };
		case "INFOTABLE":
			return { type: v.type, value: tableToJson(v.value) };
		case "VARIANT":
			return { type: v.type, value: valueToJson(v.value) };
	}
	return { type: v.type, value: v.value };
}

function numberToJson(n: number): Json {
	return Number.isFinite(n) && !Object.is(n, -0) ? n : String(Object.is(n, -0) ? "-0" : n);
}

function hex(bytes: Uint8Array): string {
	return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

// ---- input ----

const KIND_CODES: Record<string, number> = { auth: Code.AUTH, bind: Code.BIND, unbind: Code.UNBIND, keepalive: Code.KEEP_ALIVE };

export function messageFromJson(input: unknown): Message | ChunkMessage {
	const o = object(input, "message");
	const kind = string(o.kind, "kind");
	const code = o.code === undefined && kind in KIND_CODES ? KIND_CODES[kind] : codeFrom(o.code);
	const head = {
		version: optional(o.version, 1, (v) => uint(v, 0xff, "version")),
		code,
		requestId: optional(o.requestId, 0, (v) => uint(v, 0xffffffff, "requestId")),
		endpointId: optional(o.endpointId, 0, (v) => uint(v, 0xffffffff, "endpointId")),
		sessionId: optional(o.sessionId, kind === "auth" ? 0xffffffff : 0, (v) => uint(v, 0xffffffff, "sessionId")),
	};
	if (kind !== "chunk" && messageKind(code) !== kind) throw new JsonError(`code: 0x${code.toString(16)} (${codeName(code)}) does not carry a ${kind} body`);
	switch (kind) {
		case "request":
			return {
				kind, ...head,
				entityType: optional(o.entityType, 0x0a, (v) => uint(v, 0xff, "entityType")),
				entityName: string(o.entityName, "entityName"),
				characteristicType: uint(o.characteristicType, 0xff, "characteristicType"),
				characteristicName: string(o.characteristicName, "characteristicName"),
				headers: optional(o.headers, [], (v) => pairs(v, "headers")),
				params: optional(o.params, null, (v) => (v === null ? null : table(v, "params"))),
			};
		case "response": {
			const content = optional(o.content, null, (v) => (v === null ? null : table(v, "content")));
			return {
				kind, ...head,
				reason: optional(o.reason, null, (v) => (v === null ? null : string(v, "reason"))),
				content,
				contentType: optional(o.contentType, content ? 5 : -1, (v) => int(v, -128, 255, "contentType")),
				trailing: optional(o.trailing, 0, (v) => uint(v, 0xffff, "trailing")),
			};
		}
		case "auth":
			return { kind, ...head, claims: pairs(o.claims, "claims") };
		case "bind":
		case "unbind": {
			const gateway = optional(o.gateway, null, (v) => {
				if (v === null) return null;
				const g = object(v, "gateway");
				return { name: string(g.name, "gateway.name"), type: string(g.type, "gateway.type") };
			});
			return { kind, ...head, gateway, names: array(o.names, "names").map((n, i) => string(n, `names[${i}]`)) };
		}
		case "keepalive":
			return { kind, ...head };
		case "chunk":
			return {
				kind, ...head,
				chunkId: uint(o.chunkId, 0xffff, "chunkId"),
				chunkCount: uint(o.chunkCount, 0xffff, "chunkCount"),
				chunkSize: uint(o.chunkSize, 0xffff, "chunkSize"),
				entity: optional(o.entity, null, (v) => {
					if (v === null) return null;
					const e = object(v, "entity");
					return { type: uint(e.type, 0xff, "entity.type"), name: string(e.name, "entity.name") };
				}),
				data: bytes(o.data, "data"),
			};
	}
	throw new JsonError(`kind: "${kind}" is not request, response, auth, bind, unbind, keepalive or chunk`);
}

function codeFrom(v: unknown): number {
	if (typeof v === "string") {
		if (!Object.prototype.hasOwnProperty.call(Code, v)) throw new JsonError(`code: unknown code name "${v}"`);
		return Code[v as keyof typeof Code];
	}
	return uint(v, 0xff, "code");
}

function table(v: unknown, path: string): InfoTable {
	const t = object(v, path);
	const fields = array(t.fields, path + ".fields").map((f, i): FieldDefinition => {
		const at = `${path}.fields[${i}]`;
		const o = object(f, at);
		return {
			name: string(o.name, at + ".name"),
			description: optional(o.description, "", (d) => string(d, at + ".description")),
			baseType: typeName(o.baseType, at + ".baseType"),
			aspects: optional(o.aspects, [], (a) => array(a, at + ".aspects").map((x, k): Aspect => {
				const ao = object(x, `${at}.aspects[${k}]`);
				return { name: string(ao.name, `${at}.aspects[${k}].name`), value: value(ao.value, `${at}.aspects[${k}].value`) };
			})),
		};
	});
	const rows = array(t.rows, path + ".rows").map((row, i) => array(row, `${path}.rows[${i}]`).map((c, k) => value(c, `${path}.rows[${i}][${k}]`)));
	return { fields, rows };
}

function typeName(v: unknown, path: string): FieldDefinition["baseType"] {
	const name = string(v, path);
	if (!Object.prototype.hasOwnProperty.call(BaseType, name)) throw new JsonError(`${path}: unknown base type "${name}"`);
	return name as FieldDefinition["baseType"];
}

/** Type-checks the JSON shape only; value ranges (INTEGER, DATETIME...) are the encoder's to reject. */
function value(v: unknown, path: string): TypedValue {
	const o = object(v, path);
	const type = typeName(o.type, path + ".type");
	const at = path + ".value";
	switch (type) {
		case "NOTHING":
			if (o.value !== null && o.value !== undefined) throw new JsonError(`${at}: NOTHING has no value`);
			return { type, value: null };
		case "NUMBER":
			return { type, value: number(o.value, at) };
		case "INTEGER":
		case "LONG":
		case "DATETIME":
			if (typeof o.value !== "number") throw new JsonError(`${at}: expected a number`);
			return { type, value: o.value };
		case "BOOLEAN":
			if (typeof o.value !== "boolean") throw new JsonError(`${at}: expected true or false`);
			return { type, value: o.value };
		case "LOCATION": {
			const l = object(o.value, at);
			return { type, value: { longitude: number(l.longitude, at + ".longitude"), latitude: number(l.latitude, at + ".latitude"), elevation: number(l.elevation, at + ".elevation") } };
		}
		case "IMAGE":
		case "BLOB":
			return { type, value: bytes(o.value, at) };
		case "INFOTABLE":
			return { type, value: table(o.value, at) };
		case "VARIANT":
			return { type, value: value(o.value, at) };
	}
	// TIMESPAN and SCHEDULE pass through as strings: the encoder rejects them with its own error.
	return { type, value: string(o.value, at) } as TypedValue;
}

function number(v: unknown, path: string): number {
	if (typeof v === "number") return v;
	if (v === "NaN") return NaN;
	if (v === "Infinity") return Infinity;
	if (v === "-Infinity") return -Infinity;
	if (v === "-0") return -0;
	throw new JsonError(`${path}: expected a number`);
}

function bytes(v: unknown, path: string): Uint8Array {
	const text = string(v, path);
	if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new JsonError(`${path}: expected hex bytes`);
	return new Uint8Array(Buffer.from(text, "hex"));
}

function pairs(v: unknown, path: string): Array<[string, string]> {
	return array(v, path).map((p, i) => {
		const a = array(p, `${path}[${i}]`);
		if (a.length !== 2) throw new JsonError(`${path}[${i}]: expected [name, value]`);
		return [string(a[0], `${path}[${i}][0]`), string(a[1], `${path}[${i}][1]`)];
	});
}

function object(v: unknown, path: string): Record<string, unknown> {
	if (typeof v !== "object" || v === null || Array.isArray(v)) throw new JsonError(`${path}: expected an object`);
	return v as Record<string, unknown>;
}

function array(v: unknown, path: string): unknown[] {
	if (!Array.isArray(v)) throw new JsonError(`${path}: expected an array`);
	return v;
}

function string(v: unknown, path: string): string {
	if (typeof v !== "string") throw new JsonError(`${path}: expected a string`);
	return v;
}

function int(v: unknown, min: number, max: number, path: string): number {
	if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw new JsonError(`${path}: expected an integer in [${min}, ${max}]`);
	return v as number;
}

function uint(v: unknown, max: number, path: string): number {
	return int(v, 0, max, path);
}

function optional<T>(v: unknown, fallback: T, convert: (v: unknown) => T): T {
	return v === undefined ? fallback : convert(v);
}

// ---- line-oriented input shared by decode and encode ----

export interface LineOptions {
	/** The command's name for error lines. */
	command: string;
	/** Non-option arguments: joined with spaces they form one frame; none = read stdin, one frame a line. */
	args: string[];
	/** Converts one line to its output line; throws for a bad line. */
	convert: (line: string) => string;
	/** Formats a thrown error as the reason text. */
	explain: (error: unknown) => string;
}

/** Runs `convert` over every non-blank input line; a bad line is one stderr line, the rest go on. Exit code 1 if any failed. */
export async function convertLines({ command, args, convert, explain }: LineOptions): Promise<number> {
	const text = args.length > 0 ? args.join(" ") : await readStdin();
	let failed = 0;
	const lines = text.split(/\r?\n/);
	for (let i = 0; i < lines.length; i++) {
		if (lines[i].trim() === "") continue;
		try {
			process.stdout.write(convert(lines[i].trim()) + "\n");
		} catch (error) {
			failed++;
			process.stderr.write(`twx ${command}: line ${i + 1}: ${explain(error)}\n`);
		}
	}
	return failed > 0 ? 1 : 0;
}

async function readStdin(): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString("utf8");
}

/** Parses `--long-type-code=<n|none>` and `--max-depth=<n>`; returns the codec options and the other arguments. */
type CodecOptions = { longTypeCode?: number | null; maxDepth?: number };

/**
 * A codec command's arguments: the shared codec options, the flags `allowed` names, and the rest.
 * Prints usage (for --help) or the error itself and returns the exit code when the command should stop.
 */
export function codecArguments(command: string, usage: string, argv: string[], allowed: readonly string[]): { options: CodecOptions; rest: string[]; flags: Set<string> } | number {
	const options: CodecOptions = {};
	const rest: string[] = [];
	const flags = new Set<string>();
	try {
		for (const arg of argv) {
			const [name, value] = arg.split("=", 2);
			if (name === "--long-type-code") options.longTypeCode = value === "none" ? null : uint(Number(value), 0x7f, "--long-type-code");
			else if (name === "--max-depth") options.maxDepth = uint(Number(value), 1000, "--max-depth");
			else if (arg === "--help" || arg === "-h") {
				process.stdout.write(usage + "\n");
				return 0;
			} else if (arg.startsWith("--")) {
				if (!allowed.includes(arg)) throw new Error(`unknown option ${arg}`);
				flags.add(arg);
			} else rest.push(arg);
		}
	} catch (error) {
		process.stderr.write(`twx ${command}: ${(error as Error).message}\n${usage}\n`);
		return 2;
	}
	return { options, rest, flags };
}
