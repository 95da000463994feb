/**
 * Where the corpus lives on disk: `$MASS_AUDIO_HOME`, else the platform's per-user application-data
 * folder (XDG on Linux, Application Support on macOS, %APPDATA% on Windows), overridable per command
 * with `--db DIR`.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** The SQLite file inside the data folder. */
export const DB_FILE_NAME = "mass-audio.sqlite";
/** The folder (inside the data folder) that holds HNSW snapshots. */
export const INDEX_DIR_NAME = "index";
/** Folder name used under the platform's app-data location. */
export const APP_DIR_NAME = "mass-audio";

/**
 * The default data folder.
 * @param env environment variables (`MASS_AUDIO_HOME`, `XDG_DATA_HOME`, `APPDATA`, `LOCALAPPDATA`).
 * @param platform `process.platform`.
 * @param home the user's home folder.
 * @returns an absolute path (not created).
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  const explicit = env["MASS_AUDIO_HOME"];
  if (explicit !== undefined && explicit.trim() !== "") return resolve(explicit);
  if (platform === "win32") {
    const appData = env["APPDATA"] ?? env["LOCALAPPDATA"];
    return appData ? join(appData, APP_DIR_NAME) : join(home, "AppData", "Roaming", APP_DIR_NAME);
  }
  if (platform === "darwin") return join(home, "Library", "Application Support", APP_DIR_NAME);
  const xdg = env["XDG_DATA_HOME"];
  return xdg !== undefined && xdg.trim() !== "" ? join(resolve(xdg), APP_DIR_NAME) : join(home, ".local", "share", APP_DIR_NAME);
}

/** The data folder for `--db DIR` (resolved against the working folder) or the default. */
export function resolveDataDir(dbDir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return dbDir !== undefined && dbDir.trim() !== "" ? resolve(dbDir) : defaultDataDir(env);
}
