// ParamsReader (a request's params read in place) against the codec's decodeInfoTable on random
// InfoTables: the same columns, the same values; every truncation and trailing byte refused; any
// corruption a DecodeError, never another exception, and accepted whenever the codec accepts it.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ByteReader, ByteWriter, decodeInfoTable, DecodeError, encodeInfoTable, encodeName, ParamsReader } from "../../src/protocol";
import type { InfoTable, TypedValue } from "../../src/protocol/model";
import { table } from "./arbitraries";

function params(t: InfoTable): Uint8Array {
	const w = new ByteWriter(new Uint8Array(1 << 20));
	w.u8(5);
	encodeInfoTable(w, t);
	return w.buffer.slice(0, w.position);
}

/** What the reader hands an application for a cell: the plain value (a VARIANT's TypedValue). */
function plain(v: TypedValue): unknown {
	return v.value;
}

test("columns and row-0 values equal the codec's model, for random tables (fast-check)", () => {
	const reader = new ParamsReader();
	fc.assert(
		fc.property(table, (t) => {
			const bytes = params(t);
			reader.open(bytes, 0, bytes.length);
			t.fields.forEach((field) => {
				const first = t.fields.findIndex((f) => f.name === field.name);
				assert.equal(reader.columnNamed(bytes, field.name), first);
				assert.equal(reader.column(bytes, encodeName(field.name)), first);
			});
			assert.equal(reader.columnNamed(bytes, "\u0000no such field"), -1);
			const row = t.rows[0];
			for (let i = 0; i < 4; i++) {
				const at = reader.cell(bytes, i);
				if (row === undefined || i >= row.length) {
					assert.equal(at, -1);
					continue;
				}
				assert.deepEqual(reader.typed(bytes, at), row[i]);
				const value = reader.value(bytes, at, null);
				if (typeof value === "number") assert.ok(Object.is(value, plain(row[i])), `cell ${i}`);
				else assert.deepEqual(value, plain(row[i]), `cell ${i}`);
			}
		}),
		{ numRuns: 300 },
	);
});

test("a LOCATION is read into the object given; NOTHING params have no columns", () => {
	const reader = new ParamsReader();
	const bytes = params({ fields: [{ name: "at", description: "", baseType: "LOCATION", aspects: [] }], rows: [[{ type: "LOCATION", value: { longitude: 1.5, latitude: -2, elevation: 3 } }]] });
	reader.open(bytes, 0, bytes.length);
	const into = { longitude: 0, latitude: 0, elevation: 0 };
	assert.equal(reader.value(bytes, reader.cell(bytes, 0), into), into);
	assert.deepEqual(into, { longitude: 1.5, latitude: -2, elevation: 3 });
	const none = Uint8Array.of(0xff);
	reader.open(none, 0, 1);
	assert.equal(reader.columnNamed(none, "at"), -1);
	assert.equal(reader.cell(none, 0), -1);
	assert.throws(() => reader.open(Uint8Array.of(0xff, 0), 0, 2), DecodeError, "a byte after NOTHING");
});

test("every strict prefix and any trailing byte is a DecodeError (fast-check)", () => {
	const reader = new ParamsReader();
	fc.assert(
		fc.property(table, fc.nat(), fc.integer({ min: 0, max: 255 }), (t, cut, extra) => {
			const bytes = params(t);
			const prefix = cut % bytes.length;
			assert.throws(() => reader.open(bytes, 0, prefix), DecodeError, `prefix of ${prefix}`);
			const longer = Uint8Array.from([...bytes, extra]);
			assert.throws(() => reader.open(longer, 0, longer.length), DecodeError, "trailing byte");
		}),
		{ numRuns: 300 },
	);
});

test("corrupted tables: a DecodeError exactly when the codec's decoder finds them malformed (fast-check)", () => {
	const reader = new ParamsReader();
	fc.assert(
		fc.property(table, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), (t, edits) => {
			const bytes = params(t);
			for (const [at, value] of edits) bytes[at % bytes.length] = value;
			let codec: string | null = null; // the codec's objection, if any
			try {
				if (bytes[0] === 0xff) {
					if (bytes.length !== 1) throw new DecodeError(1, "trailing");
				} else {
					if (bytes[0] !== 5) throw new DecodeError(0, "not a table");
					const r = new ByteReader(bytes, 1, bytes.length);
					decodeInfoTable(r);
					if (r.remaining !== 0) throw new DecodeError(r.position, "trailing");
				}
			} catch (error) {
				assert.ok(error instanceof DecodeError);
				codec = error.message;
			}
			let refused: string | null = null;
			try {
				reader.open(bytes, 0, bytes.length);
			} catch (error) {
				assert.ok(error instanceof DecodeError, String(error));
				refused = error.message;
			}
			// The reader skips what it does not read by length: no UTF-8 or int64 range checks there (the
			// codec stops at such a problem first, so nothing can be said about the rest of those bytes).
			if (codec !== null && /UTF-8|safe-integer/.test(codec)) return;
			assert.equal(refused !== null, codec !== null, `codec: ${codec}, reader: ${refused}`);
		}),
		{ numRuns: 1000 },
	);
});
