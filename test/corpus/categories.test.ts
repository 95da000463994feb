import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { categoriesOfMask, categoryMask, categoryMaskForPath, nameWords } from "../../src/corpus/categories.js";
import { ParameterError } from "../../src/core/errors.js";
import { CC0_CORPUS } from "./helpers.js";

const tags = (path: string, root = ""): string[] => categoriesOfMask(categoryMaskForPath(path, root));

describe("categories", () => {
  it("splits names at separators, camelCase and digits", () => {
    expect(nameWords("BD_808-Kick")).toEqual(["bd", "808", "kick"]);
    expect(nameWords("HiHatOpen2")).toEqual(["hi", "hat", "open", "2"]);
    expect(nameWords("OHHatLoud")).toEqual(["oh", "hat", "loud"]);
  });

  it("maps the CC0 corpus prefixes sensibly", () => {
    expect(tags("bd_haus.flac")).toEqual(["kick", "drum"]);
    expect(tags("sn_dolf.flac")).toEqual(["snare", "drum"]);
    expect(tags("drum_bass_hard.flac")).toEqual(["kick", "drum"]); // a bass drum is a kick, not a bass
    expect(tags("drum_cymbal_closed.flac")).toEqual(["hat", "drum"]);
    expect(tags("drum_splash_soft.flac")).toEqual(["cymbal", "drum"]);
    expect(tags("drum_tom_hi_hard.flac")).toEqual(["tom", "drum"]);
    expect(tags("bass_dnb_f.flac")).toEqual(["bass"]);
    expect(tags("tabla_ghe1.flac")).toEqual(["perc", "tabla"]);
    expect(tags("ambi_choir.flac")).toEqual(["ambient", "vocal"]);
    expect(tags("loop_amen.flac")).toEqual(["loop"]);
    expect(tags("elec_hollow_kick.flac")).toEqual(["kick", "drum", "synth"]);
    expect(tags("glitch_perc1.flac")).toEqual(["perc", "fx", "glitch"]);
    expect(tags("vinyl_scratch.flac")).toEqual(["fx", "vinyl"]);
    expect(tags("guit_em9.flac")).toEqual(["guitar"]);
    expect(tags("perc_snap.flac")).toEqual(["clap", "perc", "drum"]);
  });

  it("tags every prefix family of the CC0 corpus except the unnamed 'mehackit' sounds", () => {
    const untagged = readdirSync(CC0_CORPUS)
      .filter((name) => name.endsWith(".flac"))
      .filter((name) => categoryMaskForPath(name) === 0);
    expect(untagged.every((name) => name.startsWith("mehackit_"))).toBe(true);
  });

  it("reads folder names and the root's own name", () => {
    expect(tags("Kicks/Hard/01.wav")).toEqual(["kick", "drum"]);
    expect(tags("Vox Chops/yeah.wav")).toEqual(["vocal"]);
    expect(tags("one.wav", "Hi Hats")).toEqual(["hat", "drum"]);
    expect(tags("Pads/Warm Pad C.aif")).toEqual(["pad"]);
    expect(tags("FX/Risers/up.wav")).toEqual(["fx"]);
    expect(tags("tomato.wav")).toEqual([]); // whole words only
  });

  it("builds filter masks and rejects unknown names", () => {
    expect(categoryMask(["Kick", "snare"])).toBe(0b11);
    expect(() => categoryMask(["banjo"])).toThrow(ParameterError);
  });
});
