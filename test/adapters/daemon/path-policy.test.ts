import { copyFile, mkdir, readdir, symlink, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { checkAudioTarget, CheckedTargets, checkRootFolder, isInsideFolder, OutputFolder } from "../../../src/adapters/daemon/path-policy.js";
import { RequestError } from "../../../src/adapters/daemon/request-error.js";
import { CC0_CORPUS, makeTempDir } from "../../corpus/helpers.js";

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return "ok";
  } catch (error) {
    expect(error).toBeInstanceOf(RequestError);
    return (error as RequestError).code;
  }
}

describe("path policy", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let out: OutputFolder;
  let outside: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir("path-policy"));
    outside = join(dir, "outside");
    await mkdir(outside);
    await mkdir(join(dir, "real-out"));
    await symlink(join(dir, "real-out"), join(dir, "out")); // the output folder itself reached through a link
    out = await OutputFolder.open(join(dir, "out"));
    await symlink(outside, join(dir, "real-out", "leak")); // a subfolder link leading out
    await symlink(join(outside, "victim.wav"), join(dir, "real-out", "linked.wav"));
    await writeFile(join(dir, "real-out", "afile.wav"), "x");
    await copyFile(join(CC0_CORPUS, "bd_haus.flac"), join(dir, "kick.flac"));
    await symlink(join(dir, "kick.flac"), join(dir, "alias.wav"));
    await symlink("/etc/hosts", join(dir, "hosts.wav"));
    await mkdir(join(dir, "folder.wav"));
  });

  afterAll(async () => cleanup());

  it("resolves output names inside the real output folder, adding .wav and creating subfolders", async () => {
    expect(out.realPath).toBe(join(dir, "real-out"));
    expect(await out.resolve("take")).toBe(join(dir, "real-out", "take.wav"));
    expect(await out.resolve("session 1/take.WAV")).toBe(join(dir, "real-out", "session 1", "take.WAV"));
    expect(await out.resolve(join(dir, "out", "abs.wav"))).toBe(join(dir, "real-out", "abs.wav"));
    expect(await out.resolve(join(dir, "real-out", "abs2.wav"))).toBe(join(dir, "real-out", "abs2.wav"));
    expect(await out.resolve("a/./b/../c.wav")).toBe(join(dir, "real-out", "a", "c.wav"));
  });

  it("refuses names that escape: .., absolute elsewhere, a symlinked subfolder, an existing symlink", async () => {
    expect(await codeOf(out.resolve("../escape.wav"))).toBe("forbidden_path");
    expect(await codeOf(out.resolve("sub/../../escape.wav"))).toBe("forbidden_path");
    expect(await codeOf(out.resolve(join(outside, "x.wav")))).toBe("forbidden_path");
    expect(await codeOf(out.resolve("/tmp/x.wav"))).toBe("forbidden_path");
    expect(await codeOf(out.resolve("leak/x.wav"))).toBe("forbidden_path");
    expect(await codeOf(out.resolve("leak/deeper/x.wav"))).toBe("forbidden_path");
    expect(await codeOf(out.resolve("linked.wav"))).toBe("forbidden_path");
    expect(await readdir(outside)).toEqual([]); // nothing was created outside
  });

  it("refuses other extensions, the folder itself, empty and NUL names, and a file in the way", async () => {
    expect(await codeOf(out.resolve("take.mp3"))).toBe("bad_option");
    expect(await codeOf(out.resolve("."))).toBe("bad_option");
    expect(await codeOf(out.resolve("afile.wav/x.wav"))).toBe("bad_option");
    expect(await codeOf(out.resolve(""))).toBe("bad_arguments");
    expect(await codeOf(out.resolve("a\u0000b.wav"))).toBe("bad_arguments");
  });

  it("reads only existing regular audio files named by absolute path (links resolved)", async () => {
    expect(await checkAudioTarget(join(dir, "kick.flac"))).toBe(join(dir, "kick.flac"));
    expect(await checkAudioTarget(join(dir, "alias.wav"))).toBe(join(dir, "alias.wav")); // a link to audio: the path as given
    expect(await codeOf(checkAudioTarget("kick.flac"))).toBe("forbidden_path");
    expect(await codeOf(checkAudioTarget(join(dir, "..", "x", "..", "kick.flac")))).toBe("not_found");
    expect(await codeOf(checkAudioTarget(join(dir, "missing.wav")))).toBe("not_found");
    expect(await codeOf(checkAudioTarget("/etc/hosts"))).toBe("forbidden_path");
    expect(await codeOf(checkAudioTarget(join(dir, "hosts.wav")))).toBe("forbidden_path");
    expect(await codeOf(checkAudioTarget(join(dir, "folder.wav")))).toBe("forbidden_path");
    expect(await codeOf(checkAudioTarget(`${dir}/a\u0000.wav`))).toBe("bad_arguments");
  });

  it("remembers a target that passed for its validity only; failures are never remembered; forget() looks again", async () => {
    let nowMs = 0;
    const targets = new CheckedTargets({ validityMs: 1000, nowMs: () => nowMs });
    const target = join(dir, "later.flac");
    expect(await codeOf(targets.check(target))).toBe("not_found");
    expect(targets.recent(target)).toBeUndefined();
    await copyFile(join(CC0_CORPUS, "bd_haus.flac"), target);
    expect(await targets.check(target)).toBe(target); // the missing file was not remembered
    expect(targets.recent(target)).toBe(target);
    expect(targets.recent(join(dir, ".", "later.flac"))).toBe(target); // normalised
    await unlink(target);
    await symlink("/etc/hosts", target); // now a link to a non-audio file
    nowMs = 999;
    expect(await targets.check(target)).toBe(target); // still within the validity: not looked at
    nowMs = 1000;
    expect(targets.recent(target)).toBeUndefined();
    expect(await codeOf(targets.check(target))).toBe("forbidden_path");
    await unlink(target);
    await copyFile(join(CC0_CORPUS, "bd_haus.flac"), target);
    expect(await targets.check(target)).toBe(target);
    targets.forget(target);
    expect(targets.recent(target)).toBeUndefined();
  });

  it("looks at a target in use again in the background in its validity's second half; a failure drops the pass", async () => {
    let nowMs = 0;
    const targets = new CheckedTargets({ validityMs: 1000, nowMs: () => nowMs });
    const steady = join(dir, "steady.flac");
    await copyFile(join(CC0_CORPUS, "bd_haus.flac"), steady);
    await targets.check(steady); // passed at 0
    nowMs = 600;
    expect(targets.recent(steady)).toBe(steady); // trusted, and looked at again from 600
    nowMs = 1500; // past the first pass's validity, within the refreshed one
    await vi.waitFor(() => expect(targets.recent(steady)).toBe(steady));

    nowMs = 0;
    const swapped = new CheckedTargets({ validityMs: 1000, nowMs: () => nowMs });
    await swapped.check(steady);
    await unlink(steady);
    await symlink("/etc/hosts", steady);
    nowMs = 600;
    expect(swapped.recent(steady)).toBe(steady); // still within the validity of the pass
    await vi.waitFor(() => expect(swapped.recent(steady)).toBeUndefined()); // the background look failed
    expect(await codeOf(swapped.check(steady))).toBe("forbidden_path");
  });

  it("checks the text of a remembered target on every request, and keeps a bounded number of targets", async () => {
    const targets = new CheckedTargets({ maxEntries: 2 });
    expect(() => targets.recent("kick.flac")).toThrow(RequestError);
    expect(() => targets.recent("/etc/hosts")).toThrow(/not an audio file name/);
    expect(await codeOf(targets.check(`${dir}/a\u0000.wav`))).toBe("bad_arguments");
    await targets.check(join(dir, "kick.flac"));
    await targets.check(join(dir, "alias.wav"));
    await copyFile(join(dir, "kick.flac"), join(dir, "third.flac"));
    await targets.check(join(dir, "third.flac"));
    expect(targets.size).toBe(2);
    expect(targets.recent(join(dir, "kick.flac"))).toBeUndefined(); // the oldest pass went
    expect(targets.recent(join(dir, "alias.wav"))).toBe(join(dir, "alias.wav"));
  });

  it("accepts only existing absolute folders as roots", async () => {
    expect(await checkRootFolder(outside)).toBe(outside);
    expect(await codeOf(checkRootFolder("outside"))).toBe("forbidden_path");
    expect(await codeOf(checkRootFolder(join(dir, "nope")))).toBe("not_found");
    expect(await codeOf(checkRootFolder(join(dir, "kick.flac")))).toBe("not_found");
  });

  it("isInsideFolder treats siblings with a common prefix as outside", () => {
    expect(isInsideFolder("/a/out/x", "/a/out")).toBe(true);
    expect(isInsideFolder("/a/out", "/a/out")).toBe(true);
    expect(isInsideFolder("/a/outside/x", "/a/out")).toBe(false);
    expect(isInsideFolder("/a/..b/x", "/a")).toBe(true);
  });
});
