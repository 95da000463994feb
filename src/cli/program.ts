/** The `mass-audio` command program: one file per command under src/cli/. */
import { Command } from "commander";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { registerAnalyzeCommand } from "./analyze-command.js";
import { registerDemoCommand } from "./demo-command.js";
import { registerEmbedCommand } from "./embed-command.js";
import { registerFindCommand } from "./find-command.js";
import { registerIndexCommand } from "./index-command.js";
import { registerRegenCommand } from "./regen-command.js";
import { registerServeCommand } from "./serve-command.js";
import { registerStatusCommand } from "./status-command.js";
import { packageRoot } from "./paths.js";

export function buildProgram(): Command {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string };
  const program = new Command("mass-audio")
    .description("cut huge sample collections into units, find similar sounds, regenerate clips from them")
    .version(pkg.version)
    .showHelpAfterError();
  registerAnalyzeCommand(program);
  registerIndexCommand(program);
  registerFindCommand(program);
  registerStatusCommand(program);
  registerRegenCommand(program);
  registerDemoCommand(program);
  registerServeCommand(program);
  registerEmbedCommand(program);
  return program;
}
