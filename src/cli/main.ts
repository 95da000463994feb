#!/usr/bin/env node
/** The `mass-audio` entry point: parses the command line, prints typed errors as one clear line. */
import { CommanderError } from "commander";
import { MassAudioError } from "../core/errors.js";
import { buildProgram } from "./program.js";

async function main(): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof MassAudioError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}

await main();
