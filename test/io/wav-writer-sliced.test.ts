import { describe, expect, it } from "vitest";
import { ParameterError } from "../../src/core/errors.js";
import { encodeWav, WavEncoder, wavByteLength, type WavSampleFormat } from "../../src/io/wav-writer.js";
import { createSeededRandom } from "../../src/core/select/seeded-random.js";

function noise(seed: number, frames: number): Float32Array {
  const random = createSeededRandom(seed);
  // Beyond full scale too, so that clipping and rounding are both exercised.
  return Float32Array.from({ length: frames }, () => 2.4 * (random() - 0.5));
}

describe("WavEncoder", () => {
  it("in pieces, into a reused dirty buffer, writes the bytes of encodeWav for every format and layout", () => {
    const reused = new Uint8Array(200_000).fill(0xa5);
    for (const format of ["int16", "int24", "float32"] as WavSampleFormat[]) {
      for (const channelCount of [1, 2, 3]) {
        const channels = Array.from({ length: channelCount }, (_, c) => noise(10 * channelCount + c, 9_999));
        const expected = encodeWav(channels, 44100, format);
        expect(wavByteLength(channelCount, 9_999, format)).toBe(expected.length);
        const encoder = new WavEncoder(channels, 44100, format, reused);
        let calls = 0;
        while (!encoder.run(777)) calls++;
        expect(calls).toBe(Math.ceil(9_999 / 777) - 1);
        expect(encoder.bytes.length).toBe(expected.length);
        expect(encoder.bytes.buffer).toBe(reused.buffer);
        expect(Buffer.compare(encoder.bytes, expected)).toBe(0);
        reused.fill(0x5a);
      }
    }
  });

  it("refuses a buffer shorter than the file", () => {
    expect(() => new WavEncoder([new Float32Array(100)], 44100, "int16", new Uint8Array(100))).toThrow(ParameterError);
  });
});
