/**
 * Large work buffers of a render (output channels, limiter gains, layer sums, the encoded WAV bytes),
 * allocated once, grown to the largest size asked for and reused render after render.
 *
 * Why: a freshly allocated multi-megabyte array costs a page fault per 4 KiB page the first time it is
 * written (tens of milliseconds for a 16-second stereo clip on a virtual machine), and again after the
 * garbage collector has returned it to the system. Reused buffers stay mapped.
 *
 * Ownership: a workspace serves one render at a time. Views it hands out stay valid (and keep their
 * contents) until the same name is asked for again or the workspace is trimmed; whoever holds the
 * workspace decides when that happens (the regeneration engine lends one per regeneration and takes it back
 * after the WAV is written).
 */
import { ParameterError } from "../errors.js";

/** Capacity granularity: 65536 values (buffers grow in steps, so a slightly longer render reuses them). */
const GROWTH_VALUES = 65_536;

export class RenderWorkspace {
  private readonly floatBuffers = new Map<string, Float32Array>();
  private readonly sharedBuffers = new Map<string, Float32Array>();
  private byteBuffer = new Uint8Array(0);

  /**
   * A view of `length` float32 values of the buffer called `name` (grown when needed). The contents are
   * whatever the last user left: callers clear what they read before writing.
   * @throws ParameterError on a negative or non-integer length.
   */
  floats(name: string, length: number): Float32Array {
    if (!Number.isInteger(length) || length < 0) throw new ParameterError(`workspace: length must be an integer >= 0, got ${length}`);
    let buffer = this.floatBuffers.get(name);
    if (!buffer || buffer.length < length) {
      buffer = new Float32Array(Math.ceil(length / GROWTH_VALUES) * GROWTH_VALUES);
      this.floatBuffers.set(name, buffer);
    }
    return buffer.subarray(0, length);
  }

  /**
   * `count` float views of `length` values each, named `name.0`, `name.1`, ... (see `floats`).
   */
  channels(name: string, count: number, length: number): Float32Array[] {
    const out: Float32Array[] = [];
    for (let c = 0; c < count; c++) out.push(this.floats(`${name}.${c}`, length));
    return out;
  }

  /**
   * A view of `length` bytes of the workspace's byte buffer (one per workspace: an encoded file), its own
   * ArrayBuffer starting at offset 0 (so aligned typed views of it can be made). Contents undefined.
   * @throws ParameterError on a negative or non-integer length.
   */
  bytes(length: number): Uint8Array {
    if (!Number.isInteger(length) || length < 0) throw new ParameterError(`workspace: length must be an integer >= 0, got ${length}`);
    if (this.byteBuffer.length < length) this.byteBuffer = new Uint8Array(Math.ceil(length / GROWTH_VALUES) * GROWTH_VALUES);
    return this.byteBuffer.subarray(0, length);
  }

  /**
   * `count` float views of `length` values each over SharedArrayBuffers (named `name.0`, `name.1`, ...;
   * grown when needed): samples a worker thread reads without their being copied or moved, such as a
   * regeneration target on its way to analysis. Contents undefined.
   * @throws ParameterError on a negative or non-integer length.
   */
  sharedChannels(name: string, count: number, length: number): Float32Array[] {
    if (!Number.isInteger(length) || length < 0) throw new ParameterError(`workspace: length must be an integer >= 0, got ${length}`);
    const out: Float32Array[] = [];
    for (let c = 0; c < count; c++) {
      const key = `${name}.${c}`;
      let buffer = this.sharedBuffers.get(key);
      if (!buffer || buffer.length < length) {
        buffer = new Float32Array(new SharedArrayBuffer(Math.ceil(length / GROWTH_VALUES) * GROWTH_VALUES * Float32Array.BYTES_PER_ELEMENT));
        this.sharedBuffers.set(key, buffer);
      }
      out.push(buffer.subarray(0, length));
    }
    return out;
  }

  /** Memory held, bytes. */
  get heldBytes(): number {
    let total = this.byteBuffer.byteLength;
    for (const buffer of this.floatBuffers.values()) total += buffer.byteLength;
    for (const buffer of this.sharedBuffers.values()) total += buffer.byteLength;
    return total;
  }

  /** Drops every buffer (views already handed out keep theirs). */
  clear(): void {
    this.floatBuffers.clear();
    this.sharedBuffers.clear();
    this.byteBuffer = new Uint8Array(0);
  }
}
