import { test } from "node:test";
import assert from "node:assert/strict";
import { LatestPerFrame } from "../src/logic/latest-per-frame";

/** A frame clock the test advances by hand. */
function frames() {
  let queue: (() => void)[] = [];
  return {
    schedule: (cb: () => void) => void queue.push(cb),
    tick() {
      const run = queue;
      queue = [];
      for (const cb of run) cb();
    },
    get scheduled() {
      return queue.length;
    },
  };
}

test("a burst of values in one frame is delivered once, and it is the last one", () => {
  const clock = frames();
  const got: number[] = [];
  const c = new LatestPerFrame<number>((v) => got.push(v), clock.schedule);
  for (const v of [1, 2, 3, 4]) c.push(v);
  assert.equal(clock.scheduled, 1, "one frame asked for, not four");
  assert.deepEqual(got, [], "nothing before the frame");
  clock.tick();
  assert.deepEqual(got, [4]);
  clock.tick();
  assert.deepEqual(got, [4], "no second delivery without a new value");
  c.push(5);
  c.push(6);
  clock.tick();
  assert.deepEqual(got, [4, 6]);
});

test("flush delivers the waiting value now and the frame already asked for does not repeat it", () => {
  const clock = frames();
  const got: string[] = [];
  const c = new LatestPerFrame<string>((v) => got.push(v), clock.schedule);
  c.push("move");
  c.push("up");
  c.flush();
  assert.deepEqual(got, ["up"]);
  clock.tick();
  assert.deepEqual(got, ["up"]);
  c.flush();
  assert.deepEqual(got, ["up"], "flush with nothing waiting delivers nothing");
  c.push("again");
  assert.equal(c.waiting, true);
  c.cancel();
  clock.tick();
  assert.deepEqual(got, ["up"], "a cancelled value is dropped");
  c.push("later");
  clock.tick();
  assert.deepEqual(got, ["up", "later"], "it works again after a cancel");
});
