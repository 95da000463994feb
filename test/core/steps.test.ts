import { describe, expect, it } from "vitest";
import { runSteps, type Steps } from "../../src/core/steps.js";
import { runStepsSliced, type Yielder } from "../../src/service/time-slicer.js";

function* countdown(from: number): Steps<string> {
  for (let n = from; n > 0; n--) yield;
  return `done after ${from}`;
}

describe("step generators", () => {
  it("run to their result in one go", () => {
    expect(runSteps(countdown(5))).toBe("done after 5");
    expect(runSteps(countdown(0))).toBe("done after 0");
  });

  it("run sliced: the yielder pauses only when its slice is used up, and the result is the same", async () => {
    let pauses = 0;
    let checks = 0;
    const everyThird: Yielder = {
      due: () => ++checks % 3 === 0,
      pause: async () => {
        pauses++;
      },
    };
    expect(await runStepsSliced(countdown(9), everyThird)).toBe("done after 9");
    expect(checks).toBe(9);
    expect(pauses).toBe(3);
  });
});
