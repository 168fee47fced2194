import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeNumber,
  encodeNumber,
  jsonReplacer,
  NON_FINITE_NAMES,
  nonFiniteName,
  nonFiniteValue,
} from "../src/common/non-finite";
import { safeJson } from "../src/tracking/db/values";

test("NaN and ±Infinity: one spelling, and encodeNumber/decodeNumber round-trip through JSON", () => {
  assert.deepEqual([NaN, Infinity, -Infinity].map(nonFiniteName), [...NON_FINITE_NAMES]);
  assert.deepEqual(
    NON_FINITE_NAMES,
    ["NaN", "Infinity", "-Infinity"],
    "String(x) spells them so; events on disk use these",
  );
  for (const v of [0, -0.5, 1e308, NaN, Infinity, -Infinity]) {
    const wire = JSON.parse(JSON.stringify({ v: encodeNumber(v) })).v as number | string;
    assert.equal(typeof wire, Number.isFinite(v) ? "number" : "string");
    assert.ok(Object.is(decodeNumber(wire), v), `${v} round-trips`);
  }
  assert.equal(decodeNumber("2.5"), 2.5, "numeric text as written by older writers");
  assert.equal(decodeNumber("garbage"), null);
  assert.ok(Number.isNaN(nonFiniteValue(undefined)), "a null value without a name is NaN");
  assert.equal(nonFiniteValue("-Infinity"), -Infinity);
});

test("values stored or sent as JSON (params, JSON metric values) spell NaN and ±Infinity the same way", () => {
  const value = { lr: NaN, clip: [Infinity, -Infinity], big: 12345678901234567890n, ok: 0.5 };
  const expected = '{"lr":"NaN","clip":["Infinity","-Infinity"],"big":"12345678901234567890","ok":0.5}';
  assert.equal(JSON.stringify(value, jsonReplacer), expected);
  assert.equal(safeJson(value), expected, "the store's params and text values");
  for (const name of NON_FINITE_NAMES) assert.ok(expected.includes(`"${name}"`));
});
