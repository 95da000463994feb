import { chmod, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DeviceController } from "../../../src/adapters/max/device-controller.js";
import {
  DaemonStartError,
  deviceSettingsPath,
  launchDaemon,
  planDaemonLaunch,
  readDeviceSettings,
  writeDeviceSettings,
} from "../../../src/adapters/max/daemon-launcher.js";
import { makeTempDir } from "../../corpus/helpers.js";
import { FakeDaemon } from "./fake-daemon.js";
import { FakeMax } from "./fake-max.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("planDaemonLaunch", () => {
  it("runs COMMAND serve --host --port, with the usual install folders added after the user's PATH", () => {
    const plan = planDaemonLaunch({ host: "127.0.0.1", port: 9000, env: { PATH: "/usr/bin:/bin" }, platform: "darwin", home: "/Users/me" });
    expect(plan.command).toBe("mass-audio");
    expect(plan.args).toEqual(["serve", "--host", "127.0.0.1", "--port", "9000"]);
    const path = plan.env["PATH"]!.split(":");
    expect(path.slice(0, 2)).toEqual(["/usr/bin", "/bin"]);
    expect(path).toContain("/opt/homebrew/bin");
    expect(path).toContain("/usr/local/bin");
    expect(path).toContain("/Users/me/.npm-global/bin");
    expect(new Set(path).size).toBe(path.length);
    expect(plan.shell).toBe(false);
  });

  it("prefers the configured command, then $MASS_AUDIO_BIN, and puts the command's folder first on PATH", () => {
    const env = { PATH: "/usr/bin", MASS_AUDIO_BIN: "/env/bin/mass-audio" };
    expect(planDaemonLaunch({ host: "h", port: 1, env, platform: "linux", home: "/h" }).command).toBe("/env/bin/mass-audio");
    const plan = planDaemonLaunch({ command: "/opt/ma/bin/mass-audio", host: "h", port: 1, env, platform: "linux", home: "/h" });
    expect(plan.command).toBe("/opt/ma/bin/mass-audio");
    expect(plan.env["PATH"]!.split(":")[0]).toBe("/opt/ma/bin");
  });

  it("uses a shell and the npm folder of %APPDATA% on Windows (npm bins are .cmd shims)", () => {
    const plan = planDaemonLaunch({ host: "127.0.0.1", port: 9000, env: { Path: "C:\\Windows", APPDATA: "C:\\Users\\me\\AppData\\Roaming" }, platform: "win32", home: "C:\\Users\\me" });
    expect(plan.shell).toBe(true);
    expect(plan.env["Path"]!.split(";")).toContain(join("C:\\Users\\me\\AppData\\Roaming", "npm"));
  });
});

describe("launchDaemon (real processes)", () => {
  it("rejects with a DaemonStartError that says what to do when the executable does not exist", async () => {
    const plan = planDaemonLaunch({ command: "/nonexistent/mass-audio", host: "127.0.0.1", port: 9, env: { PATH: "/usr/bin" } });
    const error = await launchDaemon(plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DaemonStartError);
    expect((error as Error).message).toMatch(/not found.*npm install -g mass-audio.*daemon field/s);
  });

  it("starts a detached executable with serve --host --port, logging to a file; the device connects once it answers", async () => {
    const { dir, cleanup } = await makeTempDir("m4l-launch");
    cleanups.push(cleanup);
    // A stand-in for the installed `mass-audio` bin: answers /mass/ping on the port it is given, logs its argv.
    const oscPath = createRequire(import.meta.url).resolve("osc/src/osc.js");
    const script = join(dir, "mass-audio");
    const argvLog = join(dir, "argv.json");
    await writeFile(
      script,
      `#!/usr/bin/env node
const osc = require(${JSON.stringify(oscPath)});
const fs = require("node:fs");
const dgram = require("node:dgram");
const argv = process.argv.slice(2);
fs.writeFileSync(${JSON.stringify(argvLog)}, JSON.stringify(argv));
const port = Number(argv[argv.indexOf("--port") + 1]);
const socket = dgram.createSocket("udp4");
socket.on("message", (data, peer) => {
  const msg = osc.readPacket(data, { metadata: true, unpackSingleArgs: false });
  if (msg.address === "/mass/ping") socket.send(osc.writePacket({ address: "/mass/pong", args: [msg.args[0], { type: "s", value: "exec" }] }, { metadata: true }), peer.port, peer.address);
});
socket.bind(port, "127.0.0.1", () => console.log("listening on " + port));
setTimeout(() => process.exit(0), 15000); // never outlives the test run by much
`,
    );
    await chmod(script, 0o755);
    const probe = await FakeDaemon.start();
    const port = probe.port;
    await probe.close();

    const pids: number[] = [];
    cleanups.push(() => {
      for (const pid of pids) {
        try {
          process.kill(pid);
        } catch {
          // already gone
        }
      }
    });
    const max = new FakeMax();
    const controller = new DeviceController(max, {
      settings: { port, daemonCommand: script },
      statusIntervalMs: 0,
      timeouts: { pingMs: 150, controlMs: 150 },
      startTimeoutMs: 8000,
      startPollMs: 50,
      launcher: async (request) => {
        const { pid } = await launchDaemon(planDaemonLaunch(request), join(dir, "logs", "daemon.log"));
        pids.push(pid);
      },
    });
    cleanups.push(() => controller.stop());
    await controller.start();
    expect(pids).toHaveLength(1);
    expect(max.messages()).toContain(`started mass-audio exec on 127.0.0.1:${port}`);
    expect(JSON.parse(await readFile(argvLog, "utf8"))).toEqual(["serve", "--host", "127.0.0.1", "--port", String(port)]);
    // Its output goes to the log file (the device has no terminal).
    await expect.poll(async () => readFile(join(dir, "logs", "daemon.log"), "utf8").catch(() => "")).toContain(`listening on ${port}`);
  }, 20_000);
});

describe("device settings file", () => {
  it("lives in the data folder and round-trips; a missing or broken file gives no settings", async () => {
    const { dir, cleanup } = await makeTempDir("m4l-settings-file");
    cleanups.push(cleanup);
    expect(deviceSettingsPath({ MASS_AUDIO_HOME: dir })).toBe(join(dir, "device.json"));
    const path = join(dir, "nested", "device.json");
    expect(await readDeviceSettings(path)).toEqual({});
    await writeDeviceSettings(path, { daemonCommand: "/x/mass-audio", port: 9100 });
    expect(await readDeviceSettings(path)).toEqual({ daemonCommand: "/x/mass-audio", port: 9100 });
    await writeFile(path, "{not json");
    expect(await readDeviceSettings(path)).toEqual({});
  });
});
