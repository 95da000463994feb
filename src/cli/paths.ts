/** Locations inside the installed package (demo material, models), independent of the working directory. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root: the folder holding package.json (works from src/ under vitest and from dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = resolve(dir, "..");
  }
  throw new Error("mass-audio: cannot locate the package root (package.json)");
}

/** Bundled CC0 demo material. */
export function demoDir(): string {
  return join(packageRoot(), "demo");
}
