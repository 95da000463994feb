/** Progress bars on stderr (cli-progress), silent when disabled (tests, pipes). */
import cliProgress from "cli-progress";

export interface Progress {
  increment(delta?: number, payload?: Record<string, unknown>): void;
  setTotal(total: number): void;
  stop(): void;
}

const SILENT: Progress = { increment() {}, setTotal() {}, stop() {} };

export function createProgress(total: number, options: { enabled: boolean; label: string; format?: string }): Progress {
  if (!options.enabled || !process.stderr.isTTY) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: options.format ?? `${options.label} [{bar}] {value}/{total} files | {percentage}% | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    increment: (delta = 1, payload) => bar.increment(delta, payload),
    setTotal: (n) => bar.setTotal(n),
    stop: () => bar.stop(),
  };
}
