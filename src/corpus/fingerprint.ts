/**
 * A cheap content fingerprint: SHA-256 over the file size and three 64 KiB windows (start, middle, end).
 * It recognises a moved or renamed file (same bytes, new path) without reading whole multi-GB files;
 * it is not a cryptographic identity of the content. Size and modification time travel with it so the
 * scanner can skip unchanged files.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

/** Bytes hashed per window: 64 KiB. */
export const FINGERPRINT_WINDOW_BYTES = 64 * 1024;

export interface FileIdentity {
  readonly sizeBytes: number;
  /** Last modification time, ms since the epoch. */
  readonly mtimeMs: number;
  /** 32 hex digits (the first 128 bits of the SHA-256). */
  readonly fingerprint: string;
}

/** Largest read: files up to three windows (192 KiB) are hashed whole. */
const MAX_READ_BYTES = 3 * FINGERPRINT_WINDOW_BYTES;
/**
 * Read buffers of finished calls, reused: fresh memory is slow to touch on some VMs, and a call per
 * indexed file would otherwise allocate up to 256 KiB. Concurrent calls take one each.
 */
const freeBuffers: Buffer[] = [];
const MAX_FREE_BUFFERS = 8;

/**
 * Reads size, mtime and the fingerprint of one file.
 * @throws the fs error (ENOENT, EACCES, EISDIR ...) when the file cannot be opened or read.
 */
export async function identifyFile(path: string): Promise<FileIdentity> {
  const handle = await open(path, "r");
  try {
    const stats = await handle.stat();
    const sizeBytes = stats.size;
    const hash = createHash("sha256");
    hash.update(`mass-audio-fp1:${sizeBytes}:`);
    const offsets =
      sizeBytes <= 3 * FINGERPRINT_WINDOW_BYTES
        ? [0]
        : [0, Math.floor(sizeBytes / 2 - FINGERPRINT_WINDOW_BYTES / 2), sizeBytes - FINGERPRINT_WINDOW_BYTES];
    const windowBytes = sizeBytes <= 3 * FINGERPRINT_WINDOW_BYTES ? sizeBytes : FINGERPRINT_WINDOW_BYTES;
    const whole = freeBuffers.pop() ?? Buffer.allocUnsafe(MAX_READ_BYTES);
    try {
      for (const offset of offsets) {
        let filled = 0;
        while (filled < windowBytes) {
          const { bytesRead } = await handle.read(whole, filled, windowBytes - filled, offset + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        hash.update(whole.subarray(0, filled));
      }
    } finally {
      if (freeBuffers.length < MAX_FREE_BUFFERS) freeBuffers.push(whole);
    }
    return { sizeBytes, mtimeMs: Math.floor(stats.mtimeMs), fingerprint: hash.digest("hex").slice(0, 32) };
  } finally {
    await handle.close();
  }
}
