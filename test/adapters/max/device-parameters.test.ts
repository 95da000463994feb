import { describe, expect, it } from "vitest";
import { ParameterError } from "../../../src/core/errors.js";
import { REGEN_PARAMETERS } from "../../../src/core/select/regen-params.js";
import {
  DEVICE_PARAMETER_KEYS,
  LIVE_EXACT_INT_MAX,
  decodeDeviceValue,
  deviceDefaults,
  deviceRange,
} from "../../../src/adapters/max/device-parameters.js";

describe("device parameters", () => {
  it("covers the options the issue asks for: variety, stickiness, novelty, k, layers, fit, pitch, wet, seed", () => {
    for (const key of ["variety", "stickiness", "novelty", "k", "layers", "fit", "pitch", "wet", "seed"]) {
      expect(DEVICE_PARAMETER_KEYS).toContain(key);
    }
  });

  it("defaults are the REGEN_PARAMETERS defaults", () => {
    const defaults = deviceDefaults();
    for (const key of DEVICE_PARAMETER_KEYS) expect(defaults[key]).toBe(REGEN_PARAMETERS[key].defaultValue);
  });

  it("ranges are the declared ones, integer ranges cut to 2^24 - 1 (exact in a Live parameter)", () => {
    expect(deviceRange(REGEN_PARAMETERS.variety)).toEqual({ min: 0, max: 1 });
    expect(deviceRange(REGEN_PARAMETERS.k)).toEqual({ min: REGEN_PARAMETERS.k.min, max: REGEN_PARAMETERS.k.max });
    expect(deviceRange(REGEN_PARAMETERS.seed)).toEqual({ min: 0, max: LIVE_EXACT_INT_MAX });
    expect(LIVE_EXACT_INT_MAX).toBe(2 ** 24 - 1);
  });

  it("decodes a live.menu index to the enum value in declaration order", () => {
    expect(decodeDeviceValue("fit", 0)).toBe("trim");
    expect(decodeDeviceValue("fit", 2)).toBe("stretch");
    expect(decodeDeviceValue("pitch", 1)).toBe("follow");
    expect(() => decodeDeviceValue("fit", 3)).toThrow(ParameterError);
  });

  it("rounds integer dials (live.dial sends floats) and validates ranges", () => {
    expect(decodeDeviceValue("k", 15.6)).toBe(16);
    expect(decodeDeviceValue("variety", 0.25)).toBe(0.25);
    expect(() => decodeDeviceValue("variety", 1.5)).toThrow(/out of range/);
    expect(() => decodeDeviceValue("beam", 3)).toThrow(/unknown device parameter/);
  });
});
