/**
 * Block buffers of the decoding readers are kept per thread and reused by the next file: a file read
 * after longer and wider ones must still get exactly its own samples, in blocks of exactly `frameCount`.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openAudioFile } from "../../src/io/audio-reader.js";
import { openByteSource } from "../../src/io/byte-source.js";
import { DecodedStreamReader } from "../../src/io/decoded-stream-reader.js";
import { CORPUS_DIR } from "../helpers/corpus.js";

/** Blocks of a file (copied) and a check that each block's arrays are exactly `frameCount` long. */
async function blocksOf(path: string, blockFrames?: number): Promise<{ blocks: Float32Array[][]; reference: Float32Array[] }> {
  const reader = await openAudioFile(path);
  try {
    const blocks: Float32Array[][] = [];
    let frames = 0;
    for await (const block of reader.blocks(blockFrames)) {
      expect(block.startFrame).toBe(frames);
      for (const channel of block.channels) expect(channel.length).toBe(block.frameCount);
      blocks.push(block.channels.map((channel) => channel.slice()));
      frames += block.frameCount;
    }
    // readRange returns new arrays (never pooled ones): an independent reference
    return { blocks, reference: await reader.readRange(0, frames) };
  } finally {
    await reader.close();
  }
}

function joined(blocks: readonly Float32Array[][], channel: number): Float32Array {
  const total = blocks.reduce((n, block) => n + block[channel]!.length, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const block of blocks) {
    out.set(block[channel]!, offset);
    offset += block[channel]!.length;
  }
  return out;
}

describe("DecodedStreamReader blocks", () => {
  it("gives each file exactly its own samples when files of other sizes and channel counts came before", async () => {
    // long stereo, tiny mono, mid-size stereo, tiny mono again, in blocks of the default size and of 4096
    const files = ["ambi_sauna.flac", "tabla_ke1.flac", "loop_amen.flac", "tabla_ke1.flac", "bd_haus.flac"];
    for (const blockFrames of [undefined, 4096]) {
      for (const file of files) {
        const { blocks, reference } = await blocksOf(join(CORPUS_DIR, file), blockFrames);
        expect(blocks[0]!.length).toBe(reference.length);
        reference.forEach((wanted, c) => {
          const got = joined(blocks, c);
          expect(got.length).toBe(wanted.length);
          expect(got.every((value, i) => Object.is(value, wanted[i]))).toBe(true);
        });
      }
    }
  });

  it("decodes the same samples when its input chunks go through one reused buffer (a codec that copies its input)", async () => {
    // 1.2 MB: five 256 KiB chunks, each read into the buffer the previous one used
    const path = join(CORPUS_DIR, "ambi_sauna.flac");
    const { blocks, reference } = await blocksOf(path);
    const info = (await openAudioFileInfo(path)).info;
    for (let run = 0; run < 2; run++) {
      const reader = new DecodedStreamReader(await openByteSource(path), info, "flac", 0, undefined, { reuseInput: true });
      try {
        const reused: Float32Array[][] = [];
        for await (const block of reader.blocks()) reused.push(block.channels.map((channel) => channel.slice()));
        reference.forEach((wanted, c) => {
          const got = joined(reused, c);
          expect(got.length).toBe(wanted.length);
          expect(got.every((value, i) => Object.is(value, wanted[i]))).toBe(true);
        });
        expect(reused.length).toBe(blocks.length);
      } finally {
        await reader.close();
      }
    }
  });
});

async function openAudioFileInfo(path: string): Promise<{ info: Awaited<ReturnType<typeof openAudioFile>>["info"] }> {
  const reader = await openAudioFile(path);
  await reader.close();
  return { info: reader.info };
}
