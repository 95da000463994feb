import { describe, expect, it } from "vitest";
import { ParameterError } from "../../src/core/errors.js";
import { compileFolderGlob, toGlobPath } from "../../src/corpus/glob.js";

const matches = (glob: string, path: string): boolean => compileFolderGlob(glob).test(toGlobPath(path));

describe("folder globs", () => {
  it("match a folder name anywhere, with everything below it", () => {
    expect(matches("drums", "/s/Drums/Kicks/a.wav")).toBe(true);
    expect(matches("drums", "/s/mydrums/a.wav")).toBe(false);
    expect(matches("kicks/*.wav", "/s/Drums/Kicks/a.wav")).toBe(true);
    expect(matches("kicks/*.wav", "/s/Drums/Kicks/deep/a.wav")).toBe(false);
    expect(matches("kicks/**/*.wav", "/s/Drums/Kicks/deep/a.wav")).toBe(true);
  });

  it("anchor absolute patterns at the root, on either separator", () => {
    expect(matches("/s/drums", "/s/Drums/a.wav")).toBe(true);
    expect(matches("/drums", "/s/Drums/a.wav")).toBe(false);
    expect(matches("C:/Samples/**/bd_*", "C:\\Samples\\x\\bd_1.wav")).toBe(true);
  });

  it("support ?, character sets and alternatives", () => {
    expect(matches("bd_?.wav", "/a/bd_1.wav")).toBe(true);
    expect(matches("bd_[0-4].wav", "/a/bd_5.wav")).toBe(false);
    expect(matches("bd_[!0-4].wav", "/a/bd_5.wav")).toBe(true);
    expect(matches("{kicks,snares}", "/a/Snares/x.wav")).toBe(true);
    expect(matches("a+b (1)", "/x/a+b (1)/y.wav")).toBe(true);
  });

  it("reject empty and unclosed patterns", () => {
    expect(() => compileFolderGlob(" ")).toThrow(ParameterError);
    expect(() => compileFolderGlob("{a,b")).toThrow(ParameterError);
    expect(() => compileFolderGlob("[ab")).toThrow(ParameterError);
  });
});
