/** A real daemon over a temp corpus of CC0 files, its OSC server on a free loopback port, and a client. */
import { Writable } from "node:stream";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import { Daemon, type DaemonOptions } from "../../../src/adapters/daemon/daemon.js";
import { OscClient } from "../../../src/adapters/osc/osc-client.js";
import { OscServer } from "../../../src/adapters/osc/osc-server.js";
import { createInlineAnalyzer } from "../../../src/corpus/analyzer.js";
import { MassAudio } from "../../../src/service/mass-audio.js";
import { copyCorpusFiles, makeTempDir } from "../../corpus/helpers.js";

/** A small corpus: a loop to regenerate and a few one-shots of different categories. */
export const CORPUS_FILES = ["loop_amen.flac", "bd_haus.flac", "bd_fat.flac", "sn_dub.flac", "elec_tick.flac", "drum_cymbal_closed.flac", "tabla_te1.flac"];

/** A pino logger writing JSON lines into `lines` (real pino, in memory). */
export function memoryLogger(level = "debug"): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level }, stream), lines };
}

export interface DaemonFixture {
  readonly dir: string;
  readonly root: string;
  readonly outDir: string;
  readonly service: MassAudio;
  readonly daemon: Daemon;
  readonly server: OscServer;
  readonly client: OscClient;
  readonly lines: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Opens everything over a fresh temp folder with `files` indexed. */
export async function openDaemonFixture(
  prefix: string,
  files: readonly string[] = CORPUS_FILES,
  options: Pick<DaemonOptions, "maxQueuedRegens" | "findSlots" | "maxFindsWaiting"> = {},
): Promise<DaemonFixture> {
  const { dir, cleanup } = await makeTempDir(prefix);
  const root = join(dir, "Samples");
  const outDir = join(dir, "out");
  await copyCorpusFiles(root, files);
  const service = await MassAudio.open({ dataDir: join(dir, "db"), analyzer: createInlineAnalyzer() });
  await service.addRoot(root);
  await service.index();
  const { log, lines } = memoryLogger();
  const daemon = await Daemon.create({ service, outDir, version: "0.0.0-test", log, ...options });
  const server = await OscServer.start({ daemon, host: "127.0.0.1", port: 0, log });
  const client = await OscClient.open({ port: server.port, receiveBufferBytes: 4 * 1024 * 1024 });
  return {
    dir,
    root,
    outDir,
    service,
    daemon,
    server,
    client,
    lines,
    async close() {
      await client.close();
      await daemon.close();
      await server.close();
      await service.close();
      await cleanup();
    },
  };
}
