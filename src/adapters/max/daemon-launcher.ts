/**
 * Starting `mass-audio serve` from inside Max. The device's Node runs inside Max (not the user's
 * Node), and on macOS an app started from the Dock gets a minimal PATH, so the installed `mass-audio`
 * (an npm bin whose shebang needs `node`) is looked up with the usual install folders added to PATH.
 * The daemon is detached: it outlives the device and serves every device instance and other clients.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { readFile, mkdir, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { MassAudioError } from "../../core/errors.js";
import { defaultDataDir } from "../../corpus/data-dir.js";

/** Command used when nothing is configured: the npm bin on PATH. */
export const DEFAULT_DAEMON_COMMAND = "mass-audio";

/** Settings of the device that belong to the machine, not to a Live set. */
export interface DeviceSettings {
  /** Path or name of the `mass-audio` executable. */
  readonly daemonCommand?: string;
  readonly host?: string;
  readonly port?: number;
}

export interface DaemonLaunchPlan {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Windows npm bins are `.cmd` shims, which need a shell. */
  readonly shell: boolean;
}

/** Folders where npm, Homebrew, Volta, nvm-style installs put executables (added after the user's PATH). */
export function extraBinDirs(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, home: string): string[] {
  if (platform === "win32") {
    const appData = env["APPDATA"];
    return [appData ? join(appData, "npm") : join(home, "AppData", "Roaming", "npm"), join(home, ".volta", "bin")];
  }
  return ["/opt/homebrew/bin", "/usr/local/bin", join(home, ".npm-global", "bin"), join(home, ".volta", "bin"), join(home, ".local", "bin"), "/usr/bin", "/bin"];
}

/**
 * How to start the daemon: `COMMAND serve --host HOST --port PORT`.
 * @param command configured path or name; else `$MASS_AUDIO_BIN`; else `mass-audio`.
 */
export function planDaemonLaunch(options: {
  readonly command?: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly platform?: NodeJS.Platform;
  readonly home?: string;
}): DaemonLaunchPlan {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const home = options.home ?? homedir();
  const configured = options.command?.trim();
  const fromEnv = env["MASS_AUDIO_BIN"]?.trim();
  const command = configured ? configured : fromEnv ? fromEnv : DEFAULT_DAEMON_COMMAND;
  const pathKey = platform === "win32" ? (Object.keys(env).find((key) => key.toUpperCase() === "PATH") ?? "Path") : "PATH";
  const sep = platform === "win32" ? ";" : ":";
  const current = (env[pathKey] ?? "").split(sep).filter((dir) => dir !== "");
  // The command's own folder first: a configured `/opt/x/bin/mass-audio` finds the `node` next to it.
  const own = command.includes("/") || command.includes("\\") ? [dirname(command)] : [];
  const dirs = [...own, ...current];
  for (const dir of extraBinDirs(env, platform, home)) if (!dirs.includes(dir)) dirs.push(dir);
  return {
    command,
    args: ["serve", "--host", options.host, "--port", String(options.port)],
    env: { ...env, [pathKey]: dirs.join(sep) },
    shell: platform === "win32",
  };
}

/** The daemon could not be started; the message says what was tried and what to do. */
export class DaemonStartError extends MassAudioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("daemon_start", message, options);
  }
}

/**
 * Spawns the daemon detached (its own process group), so it keeps running when the device or Live
 * closes; its output is appended to `logPath` when given, else dropped. Resolves once the process
 * exists; whether it serves is checked by pinging it.
 * @throws DaemonStartError when the executable cannot be started (not found, not executable).
 */
export function launchDaemon(plan: DaemonLaunchPlan, logPath?: string): Promise<{ pid: number }> {
  return new Promise((resolve, reject) => {
    let child;
    let log: number | undefined;
    try {
      if (logPath !== undefined) {
        mkdirSync(dirname(logPath), { recursive: true });
        log = openSync(logPath, "a");
      }
      const output = log ?? "ignore";
      child = spawn(plan.command, [...plan.args], { env: plan.env, detached: true, stdio: ["ignore", output, output], shell: plan.shell, windowsHide: true });
    } catch (error) {
      reject(startError(plan, error));
      return;
    } finally {
      if (log !== undefined) closeSync(log); // the child holds its own descriptor
    }
    child.once("error", (error) => reject(startError(plan, error)));
    child.once("spawn", () => {
      child.unref();
      resolve({ pid: child.pid ?? -1 });
    });
  });
}

function startError(plan: DaemonLaunchPlan, error: unknown): DaemonStartError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === "ENOENT"
      ? "not found"
      : code === "EACCES"
        ? "not executable"
        : (error as Error).message;
  return new DaemonStartError(
    `cannot start "${plan.command} ${plan.args.join(" ")}": ${why}. Install mass-audio (npm install -g mass-audio), ` +
      `or type the full path of the mass-audio executable in the device's daemon field, or start "mass-audio serve" yourself.`,
    { cause: error },
  );
}

/** Where the daemon started by a device writes its log: `<data folder>/daemon.log`. */
export function daemonLogPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultDataDir(env), "daemon.log");
}

/** Where the device keeps its machine settings: `<data folder>/device.json`. */
export function deviceSettingsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultDataDir(env), "device.json");
}

/** Reads the settings file; a missing or unreadable file gives no settings. */
export async function readDeviceSettings(path: string): Promise<DeviceSettings> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    const out: { daemonCommand?: string; host?: string; port?: number } = {};
    if (typeof parsed["daemonCommand"] === "string") out.daemonCommand = parsed["daemonCommand"];
    if (typeof parsed["host"] === "string") out.host = parsed["host"];
    if (typeof parsed["port"] === "number" && Number.isInteger(parsed["port"])) out.port = parsed["port"];
    return out;
  } catch {
    return {};
  }
}

export async function writeDeviceSettings(path: string, settings: DeviceSettings): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(settings, null, 2)}\n`);
}
