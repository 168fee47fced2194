// The control channel's contract (events/control.ts) and the per-run stop signals (run-stops.ts).
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CONTROL_VERSION, encodeControlMessage, parseControlMessage } from "../src/events/control";
import { RunStops } from "../src/experiment/run-stops";

describe("control messages", () => {
  it("round-trip a stop of one run and of the experiment", () => {
    const line = encodeControlMessage({ kind: "stop", run: { trial: "a b", repeat: 2 } });
    assert.ok(line.endsWith("\n"));
    assert.deepEqual(parseControlMessage(line.trim()), {
      v: CONTROL_VERSION,
      kind: "stop",
      run: { trial: "a b", repeat: 2 },
    });
    assert.deepEqual(parseControlMessage(encodeControlMessage({ kind: "stop" })), { v: CONTROL_VERSION, kind: "stop" });
  });

  it("refuses other versions, kinds and malformed runs", () => {
    for (const bad of [
      "not json",
      "[]",
      "null",
      JSON.stringify({ v: 2, kind: "stop" }),
      JSON.stringify({ v: 1, kind: "kill" }),
      JSON.stringify({ v: 1, kind: "stop", run: null }),
      JSON.stringify({ v: 1, kind: "stop", run: { trial: "a" } }),
      JSON.stringify({ v: 1, kind: "stop", run: { trial: "a", repeat: -1 } }),
      JSON.stringify({ v: 1, kind: "stop", run: { trial: 3, repeat: 0 } }),
      JSON.stringify({ v: 1, kind: "stop", run: { trial: "a", repeat: 0.5 } }),
    ]) {
      assert.equal(parseControlMessage(bad), undefined, bad);
    }
  });
});

describe("RunStops", () => {
  it("stops one running run; the experiment's signal and the other runs are untouched", () => {
    const experiment = new AbortController();
    const stops = new RunStops(experiment.signal);
    const a = stops.begin({ trial: "t", repeat: 0 });
    assert.equal(stops.stop({ trial: "t", repeat: 0 }), "running");
    assert.equal(a.aborted, true);
    assert.equal(stops.stoppedAlone(a), true);
    assert.equal(experiment.signal.aborted, false);
    stops.end({ trial: "t", repeat: 0 });
    const b = stops.begin({ trial: "t", repeat: 1 });
    assert.equal(b.aborted, false);
  });

  it("a request for a run not started yet aborts it when it starts, once", () => {
    const stops = new RunStops(new AbortController().signal);
    assert.equal(stops.stop({ trial: "later", repeat: 1 }), "pending");
    assert.equal(stops.begin({ trial: "later", repeat: 0 }).aborted, false);
    assert.equal(stops.begin({ trial: "later", repeat: 1 }).aborted, true);
    stops.end({ trial: "later", repeat: 1 });
    assert.equal(stops.begin({ trial: "later", repeat: 1 }).aborted, false, "the request was used up");
  });

  it("aborting the experiment aborts the running run (not 'alone')", () => {
    const experiment = new AbortController();
    const stops = new RunStops(experiment.signal);
    const a = stops.begin({ trial: "t", repeat: 0 });
    experiment.abort();
    assert.equal(a.aborted, true);
    assert.equal(stops.stoppedAlone(a), false);
    assert.equal(stops.begin({ trial: "t", repeat: 1 }).aborted, true);
  });
});
