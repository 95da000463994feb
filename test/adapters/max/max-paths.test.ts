import { describe, expect, it } from "vitest";
import { joinAtoms, maxPathToNative } from "../../../src/adapters/max/max-paths.js";

describe("maxPathToNative", () => {
  const onStartupVolume = (path: string): boolean => path.startsWith("/Users/");

  it("drops the start-up volume name of a macOS Max path", () => {
    expect(maxPathToNative("Macintosh HD:/Users/me/kick.wav", onStartupVolume)).toBe("/Users/me/kick.wav");
  });

  it("maps another volume to /Volumes/NAME", () => {
    expect(maxPathToNative("Samples SSD:/drums/kick.wav", onStartupVolume)).toBe("/Volumes/Samples SSD/drums/kick.wav");
  });

  it("leaves native paths and Windows drive paths alone", () => {
    expect(maxPathToNative("/Users/me/kick.wav", onStartupVolume)).toBe("/Users/me/kick.wav");
    expect(maxPathToNative("C:/Users/me/kick.wav", () => false)).toBe("C:/Users/me/kick.wav");
  });

  it("joins message atoms back into one path", () => {
    expect(joinAtoms(["/my", "samples/kick", 2, ".wav"])).toBe("/my samples/kick 2 .wav");
  });
});
