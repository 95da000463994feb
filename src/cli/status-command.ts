/**
 * `mass-audio status [--json] [--db DIR]`: roots, files ok / failed / pending / missing / offline, units,
 * index health and disk use; the most recent failures with their reasons.
 */
import { Command } from "commander";
import { MassAudio, type MassAudioOptions, type StatusReport } from "../service/mass-audio.js";
import { addDbOption, existingDataDir, formatBytes, formatDuration } from "./corpus-options.js";

/** Human-readable status. */
export function formatStatus(report: StatusReport): string {
  const c = report.counts;
  const index = report.index;
  const lines = [
    `corpus: ${report.dataDir}`,
    `roots: ${report.roots.length}`,
    ...report.roots.map(
      (root) =>
        `  ${root.status === "offline" ? "[offline] " : ""}${root.path}: ${root.files.ok} ok, ${root.files.failed} failed, ` +
        `${root.files.pending} pending, ${root.files.missing} missing, ${root.files.offline} offline; ${root.units} units`,
    ),
    `files: ${c.files.ok} ok, ${c.files.failed} failed, ${c.files.pending} pending, ${c.files.missing} missing, ${c.files.offline} offline`,
    `units: ${c.units} stored, ${c.searchableUnits} searchable; audio ${formatDuration(c.audioSec)}`,
    `index: ${index.state}, ${index.storedPoints} points (${index.liveUnits} live), ${index.dimension} dims, ` +
      `feature space #${index.spaceId} fitted on ${index.spaceFittedOnUnits} units, ${index.clusterCount} clusters; ` +
      `lag ${index.lag} changes; loaded from ${index.loadedFrom}` +
      (index.snapshot ? `; snapshot at change ${index.snapshot.seq} (${formatBytes(index.snapshot.sizeBytes)})` : "; no snapshot"),
    `disk: database ${formatBytes(report.disk.databaseBytes)}, index ${formatBytes(report.disk.indexBytes)}`,
  ];
  if (report.failed.length > 0) {
    lines.push(`failed files (latest ${report.failed.length}):`);
    for (const failure of report.failed) lines.push(`  ${failure.path}: ${failure.error}`);
  }
  return lines.join("\n");
}

/** Runs `status`. @throws ParameterError when there is no corpus; StoreError when it cannot be read. */
export async function runStatus(
  options: { db?: string; json?: boolean },
  io: { out: (line: string) => void; service?: Partial<MassAudioOptions> },
): Promise<StatusReport> {
  const service = await MassAudio.open({ dataDir: existingDataDir(options.db), readOnly: true, ...io.service });
  try {
    const report = service.status();
    io.out(options.json ? JSON.stringify(report) : formatStatus(report));
    return report;
  } finally {
    await service.close();
  }
}

export function registerStatusCommand(program: Command): void {
  const command = new Command("status").description("show roots, files, units, index health and disk use").option("--json", "print JSON");
  addDbOption(command);
  command.action(async (flags: { db?: string; json?: boolean }) => {
    await runStatus(flags, { out: (line) => process.stdout.write(`${line}\n`) });
  });
  program.addCommand(command);
}
