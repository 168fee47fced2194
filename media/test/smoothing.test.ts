import { test } from "node:test";
import assert from "node:assert/strict";
import { continueEma, debiasedEma, emptyEma } from "../src/logic/smoothing";

/** TensorBoard's formula, written the plain way (Math.pow each point). */
function reference(values: number[], w: number): number[] {
  let last = 0;
  let n = 0;
  return values.map((y) => {
    if (!Number.isFinite(y)) return y;
    last = last * w + (1 - w) * y;
    n++;
    return last / (1 - Math.pow(w, n));
  });
}

test("debiased EMA matches TensorBoard's formula, including long series past the debias underflow", () => {
  const values = Array.from({ length: 5000 }, (_, i) => Math.sin(i / 10) + (i % 7) * 0.1);
  for (const w of [0.1, 0.6, 0.9, 0.99]) {
    const got = debiasedEma(values, w);
    const want = reference(values, w);
    for (let i = 0; i < values.length; i++)
      assert.ok(Math.abs(got[i] - want[i]) < 1e-9, `w=${w} i=${i}: ${got[i]} vs ${want[i]}`);
  }
});

test("debiasing: a constant series stays constant from the first point", () => {
  const got = debiasedEma([5, 5, 5, 5], 0.6);
  for (const v of got) assert.ok(Math.abs(v - 5) < 1e-12);
});

test("weight 0 is the raw series", () => {
  assert.deepEqual(Array.from(debiasedEma([1, 3, 2], 0)), [1, 3, 2]);
});

test("NaN and Infinity pass through as gaps and do not disturb the average", () => {
  const got = debiasedEma([1, NaN, 1, Infinity, 1, -Infinity], 0.6);
  assert.ok(Number.isNaN(got[1]));
  assert.equal(got[3], Infinity);
  assert.equal(got[5], -Infinity);
  for (const i of [0, 2, 4]) assert.ok(Math.abs(got[i] - 1) < 1e-12);
});

test("continuing the EMA over appended points equals smoothing the whole series", () => {
  const values = new Float64Array(3000).map((_, i) => Math.cos(i) * 3 + i / 100);
  const whole = debiasedEma(values, 0.8);
  const out = new Float64Array(values.length);
  let state = emptyEma(0.8);
  for (const end of [1, 2, 10, 1500, 1501, 2999, 3000]) state = continueEma(values, end, out, state);
  for (let i = 0; i < values.length; i++) assert.ok(Math.abs(out[i] - whole[i]) < 1e-12);
});
