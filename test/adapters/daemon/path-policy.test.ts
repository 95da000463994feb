import { copyFile, mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkAudioTarget, checkRootFolder, isInsideFolder, OutputFolder } from "../../../src/adapters/daemon/path-policy.js";
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
