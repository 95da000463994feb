import { spawn } from "node:child_process";
import { copyFile, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEVICE_PARAMETER_KEYS, deviceRange } from "../../src/adapters/max/device-parameters.js";
import { DeviceController } from "../../src/adapters/max/device-controller.js";
import { REGEN_PARAMETERS } from "../../src/core/select/regen-params.js";
import { parseAmxd } from "../../m4l-device/src/amxd.js";
import { buildDevice, OSC_PATCH_PATH, patcherText, type BuildDeviceResult } from "../../m4l-device/src/build.js";
import { controlClass, LIVE_SCRIPT_FILE, NODE_OUTLET_SELECTORS, NODE_SCRIPT_FILE, referencedFiles } from "../../m4l-device/src/device-patch.js";
import { buildOscPatcher, OSC_PATCH_REPLY_PORT } from "../../m4l-device/src/osc-patch.js";
import type { PatcherJson } from "../../m4l-device/src/patcher.js";
import { makeTempDir, REPO_ROOT } from "../corpus/helpers.js";
import { FakeDaemon } from "../adapters/max/fake-daemon.js";
import { FakeMax } from "../adapters/max/fake-max.js";
import { boxes, lines, patchProblems } from "./patch-checks.js";

let dir: string;
let cleanup: () => Promise<void>;
let result: BuildDeviceResult;
let patcher: PatcherJson;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir("m4l-build"));
  result = await buildDevice({ repoRoot: REPO_ROOT, outDir: join(dir, "build"), writeOscPatch: false, modifiedUnixSec: 1_700_000_000 });
  patcher = JSON.parse(await readFile(result.maxpat, "utf8")) as PatcherJson;
}, 60_000);

afterAll(async () => {
  await cleanup();
});

function box(varname: string): Record<string, unknown> {
  const found = boxes(patcher).find((b) => b.varname === varname);
  if (!found) throw new Error(`no box ${varname}`);
  return found;
}

describe("npm run build:device output", () => {
  it("writes the device, its patch and both scripts", async () => {
    expect((await readdir(result.outDir)).sort()).toEqual(
      ["mass-audio-frozen.amxd", "mass-audio-live.js", "mass-audio-node.mjs", "mass-audio.amxd", "mass-audio.maxpat"].sort(),
    );
  });

  it("the .amxd is an audio effect whose ptch chunk holds the same patcher JSON as the .maxpat", async () => {
    const parsed = parseAmxd(new Uint8Array(await readFile(result.amxd)));
    expect(parsed.deviceType).toBe("aaaa");
    expect(parsed.chunks).toEqual(["ampf", "meta", "ptch"]);
    expect(parsed.frozen).toBe(false);
    expect(parsed.patcherText).toBe(await readFile(result.maxpat, "utf8"));
    expect(JSON.parse(parsed.patcherText)).toEqual(patcher);
  });

  it("every patchline joins existing boxes within their inlet and outlet counts", () => {
    expect(patchProblems(patcher)).toEqual([]);
    expect(lines(patcher).length).toBeGreaterThan(40);
  });

  it("every file the patch names (node.script, js) is in the build folder", async () => {
    const named = referencedFiles(patcher);
    expect(named.sort()).toEqual([LIVE_SCRIPT_FILE, NODE_SCRIPT_FILE].sort());
    const present = await readdir(result.outDir);
    for (const name of named) expect(present).toContain(name);
  });

  it("the frozen device embeds exactly those files, byte for byte, after its own patcher", async () => {
    const parsed = parseAmxd(new Uint8Array(await readFile(result.frozenAmxd)));
    expect(parsed.frozen).toBe(true);
    expect(parsed.files.map((f) => f.name)).toEqual(["mass-audio.amxd", NODE_SCRIPT_FILE, LIVE_SCRIPT_FILE]);
    for (const file of parsed.files.slice(1)) expect(Buffer.from(file.data).equals(await readFile(join(result.outDir, file.name)))).toBe(true);
    const frozenPatcher = JSON.parse(parsed.patcherText) as { patcher: { dependency_cache: Array<{ name: string }>; boxes: unknown[] } };
    expect(frozenPatcher.patcher.dependency_cache.map((d) => d.name)).toEqual([NODE_SCRIPT_FILE, LIVE_SCRIPT_FILE]);
    expect(frozenPatcher.patcher.boxes).toEqual(patcher.patcher.boxes);
    expect(patchProblems(frozenPatcher)).toEqual([]);
  });

  it("the Node for Max script is one ES module that imports only node: builtins and max-api, with no native addon", async () => {
    const code = await readFile(result.nodeScript, "utf8");
    const imports = [...code.matchAll(/^\s*import\s+(?:[^"']*?\s+from\s+)?["']([^"']+)["']/gm)].map((m) => m[1]!);
    expect(imports.length).toBeGreaterThan(0);
    for (const specifier of imports) expect(specifier === "max-api" || specifier.startsWith("node:")).toBe(true);
    expect(code).not.toMatch(/\bimport\(\s*["'](?!node:)/);
    expect(code).not.toMatch(/\brequire\(\s*["']/); // bundled CommonJS is inlined, nothing is required at run time
    expect(code).not.toMatch(/\.node["']|node-gyp-build|bindings\(/);
    for (const input of result.bundledInputs) expect(input).not.toMatch(/better-sqlite3|hnswlib-node|onnxruntime|serialport|\/ws\//);
    expect(result.bundledInputs.some((input) => input.includes("osc/src/osc.js"))).toBe(true);
  });

  it("the bundle runs in a bare folder with only a max-api module: it says ready, then reports that the daemon cannot start", async () => {
    const run = join(dir, "bare");
    await mkdir(join(run, "node_modules", "max-api"), { recursive: true });
    await copyFile(result.nodeScript, join(run, NODE_SCRIPT_FILE));
    await writeFile(
      join(run, "node_modules", "max-api", "index.js"),
      `module.exports = {
  addHandler() {},
  outlet(...args) { process.stdout.write(JSON.stringify(args) + "\\n"); return Promise.resolve(); },
  post() { return Promise.resolve(); },
  POST_LEVELS: { ERROR: "error", INFO: "info", WARN: "warn" },
};\n`,
    );
    const probe = await FakeDaemon.start();
    const port = probe.port;
    await probe.close();
    const home = join(run, "home");
    await mkdir(home, { recursive: true });
    await writeFile(join(home, "device.json"), JSON.stringify({ port, daemonCommand: join(run, "no-such-mass-audio") }));
    const child = spawn(process.execPath, [NODE_SCRIPT_FILE], { cwd: run, env: { ...process.env, MASS_AUDIO_HOME: home }, stdio: ["ignore", "pipe", "pipe"] });
    const outlets: unknown[][] = [];
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no daemon report; outlets: ${JSON.stringify(outlets)}`)), 15_000);
      createInterface({ input: child.stdout }).on("line", (line) => {
        const args = JSON.parse(line) as unknown[];
        outlets.push(args);
        if (args[0] === "message" && String(args[1]).includes("cannot start")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    try {
      await done;
    } finally {
      child.kill();
    }
    expect(outlets[0]).toEqual(["ready"]);
    expect(outlets).toContainEqual(["status", "no daemon"]);
  }, 30_000);
});

describe("device controls come from REGEN_PARAMETERS", () => {
  it("one control per device parameter with the declared range, default and doc", () => {
    for (const key of DEVICE_PARAMETER_KEYS) {
      const def = REGEN_PARAMETERS[key];
      const control = box(key);
      expect(control.maxclass).toBe(controlClass(key));
      const valueof = (control.saved_attribute_attributes as { valueof: Record<string, unknown> }).valueof;
      expect(valueof.parameter_longname).toBe(key);
      expect(String(control.annotation)).toContain(def.doc);
      if (def.kind === "enum") {
        expect(valueof.parameter_type).toBe(2);
        expect(valueof.parameter_enum).toEqual(def.values);
        expect(valueof.parameter_initial).toEqual([(def.values as readonly string[]).indexOf(def.defaultValue)]);
      } else if (def.kind === "number" || def.kind === "integer") {
        expect(valueof.parameter_type).toBe(def.kind === "integer" ? 1 : 0);
        expect(valueof.parameter_mmin).toBe(deviceRange(def).min);
        expect(valueof.parameter_mmax).toBe(deviceRange(def).max);
        expect(valueof.parameter_initial).toEqual([def.defaultValue]);
      }
    }
  });

  it("has the target drop, Regenerate/Find/Use clip buttons, filter fields, hit menu and two status lines", () => {
    expect(box("target").maxclass).toBe("live.drop");
    const buttonTexts = boxes(patcher).filter((b) => b.maxclass === "live.text").map((b) => b.text);
    expect(buttonTexts).toEqual(["Regenerate", "Find", "Use clip"]);
    for (const name of ["folder", "category", "daemon", "fallback"]) expect(box(name).maxclass).toBe("textedit");
    expect(box("hits").maxclass).toBe("umenu");
    expect(box("status").maxclass).toBe("comment");
    expect(box("message").maxclass).toBe("comment");
  });

  it("fits Live's device view: every presented box lies inside the device width and 169 px", () => {
    const width = patcher.patcher["devicewidth"] as number;
    for (const b of boxes(patcher)) {
      if (b.presentation !== 1) continue;
      const [x, y, w, h] = b.presentation_rect as number[];
      expect(x! >= 0 && y! >= 0 && x! + w! <= width && y! + h! <= 169, `${b.varname ?? b.text ?? b.maxclass} at ${String(b.presentation_rect)}`).toBe(true);
    }
  });

  it("every message the patch sends to node.script has a handler, and every outlet selector of the script is routed", async () => {
    const all = boxes(patcher);
    const node = all.find((b) => String(b.text).startsWith("node.script"))!;
    const selectors = new Set<string>();
    for (const line of lines(patcher)) {
      if (line.destination[0] !== node.id) continue;
      const source = all.find((b) => b.id === line.source[0])!;
      const text = String(source.text);
      selectors.add(source.maxclass === "message" ? text.split(" ")[0]! : text.split(" ")[1]!);
    }
    expect([...selectors].sort()).toEqual(["category", "daemon", "find", "folder", "param", "pick", "regen", "target"]);
    const daemon = await FakeDaemon.start();
    const max = new FakeMax();
    const controller = new DeviceController(max, { settings: { port: daemon.port }, statusIntervalMs: 0 });
    try {
      await controller.start();
      for (const selector of selectors) expect(max.handlers.has(selector), selector).toBe(true);
    } finally {
      controller.stop();
      await daemon.close();
    }
    const route = all.find((b) => lines(patcher).some((l) => l.source[0] === node.id && l.destination[0] === b.id))!;
    expect(route.text).toBe(`route ${NODE_OUTLET_SELECTORS.join(" ")}`);
  });
});

describe("max-patches/mass-audio-osc.maxpat", () => {
  it("is the checked-in output of the generator (run npm run build:device after changing it)", async () => {
    expect(await readFile(join(REPO_ROOT, OSC_PATCH_PATH), "utf8")).toBe(patcherText(buildOscPatcher()));
  });

  it("has a message box for every request address of the protocol, each naming its reply port, into udpsend", () => {
    const osc = buildOscPatcher();
    expect(patchProblems(osc)).toEqual([]);
    const messages = boxes(osc).filter((b) => b.maxclass === "message").map((b) => String(b.text));
    const addresses = new Set(messages.map((text) => text.split(" ")[0]));
    for (const address of ["/mass/ping", "/mass/find", "/mass/regen", "/mass/status", "/mass/roots/add", "/mass/roots/remove", "/mass/roots/list", "/mass/subscribe", "/mass/unsubscribe", "/mass/target"]) {
      expect(addresses.has(address), address).toBe(true);
    }
    for (const text of messages) expect(text.endsWith(`replyPort ${OSC_PATCH_REPLY_PORT}`)).toBe(true);
    const send = boxes(osc).find((b) => String(b.text).startsWith("udpsend"))!;
    expect(lines(osc).filter((l) => l.destination[0] === send.id)).toHaveLength(messages.length);
    expect(boxes(osc).some((b) => b.text === `udpreceive ${OSC_PATCH_REPLY_PORT}`)).toBe(true);
  });
});
