/**
 * Crossfade curves. Equal power (sin/cos, sum of squares = 1) for joins between unrelated sounds, whose
 * energies add; equal gain (sin^2/cos^2, sum = 1) for a join between two pieces of the same continuous
 * recording, which add coherently and must sum back to the original exactly.
 */

export type FadeShape = "equal-power" | "equal-gain";

/**
 * Gain of the fading-in side at position `x` in [0, 1] of the fade (0 = start, silent; 1 = end, full).
 * The fading-out side at the same instant is `fadeInGain(1 - x, shape)`.
 */
export function fadeInGain(x: number, shape: FadeShape): number {
  const clamped = x <= 0 ? 0 : x >= 1 ? 1 : x;
  const s = Math.sin(0.5 * Math.PI * clamped);
  return shape === "equal-power" ? s : s * s;
}

/**
 * Multiplies `data[start, start + length)` by a fade in (or out), in place; indices outside the array are skipped.
 * Sample i of the fade sits at x = (i + 0.5) / length, so two complementary fades over the same span sum
 * (gain or power) to exactly 1 at every sample.
 */
export function applyFade(data: Float32Array, start: number, length: number, direction: "in" | "out", shape: FadeShape): void {
  for (let i = 0; i < length; i++) {
    const n = start + i;
    if (n < 0 || n >= data.length) continue;
    const x = (i + 0.5) / length;
    data[n] = data[n]! * fadeInGain(direction === "in" ? x : 1 - x, shape);
  }
}
