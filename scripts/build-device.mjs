// `npm run build:device`: builds the Max for Live device (m4l-device/build/) and the plain OSC patch
// (max-patches/mass-audio-osc.maxpat) from the checked-in sources. Needs only the npm devDependencies:
// esbuild compiles the TypeScript build module (m4l-device/src/build.ts) to a temporary ES module, which
// then bundles the Node for Max script and writes the patch, the .amxd files and the scripts.
import { build } from "esbuild";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "m4l-device", "build");
const builder = join(outDir, ".build-device.mjs");

await mkdir(outDir, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: [join(root, "m4l-device", "src", "build.ts")],
  outfile: builder,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  logLevel: "warning",
});
try {
  const { buildDevice } = await import(pathToFileURL(builder).href);
  const result = await buildDevice({ repoRoot: root, outDir });
  for (const path of [result.nodeScript, result.liveScript, result.maxpat, result.amxd, result.frozenAmxd, result.oscPatch]) {
    if (path) console.log(`wrote ${relative(root, path)}`);
  }
} finally {
  await rm(builder, { force: true });
}
