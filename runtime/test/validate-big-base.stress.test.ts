/**
 * A 40,000-key base.yaml next to a 5,000-line trials.yaml (416 trials) is validated to the end
 * (issue 13.5: it never finished, the base being copied into every trial). No timing is
 * asserted: the test ends, with the answer of a set whose findings are known.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { validateConfigSet } from "../src/config/validate";
import { configSet as set, trainRegistry as registry } from "./helpers/config-set";
import { manyKeys } from "./helpers/hostile-yaml";
import { trialsYaml } from "./helpers/trials-yaml";

it("a 40,000-key base.yaml under 416 trials: validated to the end, open and closed pipeline type", () => {
  const files = set(manyKeys(40_000), trialsYaml(5000));
  assert.deepEqual(validateConfigSet(files, registry(false)), [], "an open type takes any key");
  const closed = validateConfigSet(files, registry(true));
  // Each of the base's 40,000 keys is unknown to the closed type: reported once, not once per trial.
  assert.equal(closed.length, 40_000);
  assert.ok(closed.every((d) => d.code === "unknown-key" && d.role === "base"));
});
