import { describe, expect, it } from "vitest";
import { ANALYSIS_PARAMETERS, resolveAnalysisOptions } from "../../src/core/analysis/analysis-params.js";
import { ParameterError } from "../../src/core/errors.js";
import { parseParam } from "../../src/core/params.js";

describe("parameters as data", () => {
  it("fills every default when nothing is given", () => {
    const options = resolveAnalysisOptions();
    for (const [name, def] of Object.entries(ANALYSIS_PARAMETERS)) {
      expect(options[name as keyof typeof options]).toBe(def.defaultValue);
    }
  });

  it("parses CLI strings into typed values", () => {
    const options = resolveAnalysisOptions({ segment: "grid", gridMs: "125", keepSilent: "true" });
    expect(options.segment).toBe("grid");
    expect(options.gridMs).toBe(125);
    expect(options.keepSilent).toBe(true);
  });

  it("rejects out-of-range numbers with the option name and range in the message", () => {
    expect(() => resolveAnalysisOptions({ gridMs: 1 })).toThrow(ParameterError);
    expect(() => resolveAnalysisOptions({ gridMs: 1 })).toThrow(/gridMs: 1 is out of range \[10, 60000\] ms/);
  });

  it("rejects non-numbers, unknown enum values and unknown keys", () => {
    expect(() => resolveAnalysisOptions({ minUnitMs: "fast" })).toThrow(/minUnitMs: expected a number/);
    expect(() => resolveAnalysisOptions({ segment: "beats" })).toThrow(/expected one of onset\|grid\|whole/);
    expect(() => resolveAnalysisOptions({ colour: 3 } as never)).toThrow(/unknown option "colour"/);
  });

  it("rejects a maximum unit length under twice the minimum", () => {
    expect(() => resolveAnalysisOptions({ minUnitMs: 500, maxUnitMs: 400 })).toThrow(/must be at least twice minUnitMs/);
  });

  it("accepts integer parameters only as integers", () => {
    const def = { key: "k", flag: "k", kind: "integer", defaultValue: 10, min: 1, max: 100, unit: "", doc: "" } as const;
    expect(parseParam(def, "12")).toBe(12);
    expect(() => parseParam(def, 2.5)).toThrow(/expected an integer/);
  });
});
