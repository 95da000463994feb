/**
 * A filter bank stored sparsely (compressed rows): only the non-zero weights of each band, with their
 * bin indices. Mel and chroma banks touch a few hundred of the `bands x bins` cells, so applying them
 * sparsely is what keeps one frame's descriptors within a few microseconds.
 */

/** Band `b` owns entries `rowStart[b] .. rowStart[b + 1] - 1` of `bins` / `weights`. */
export interface SparseFilterBank {
  readonly bandCount: number;
  /** Number of spectrum bins the bank reads (bins `0 .. binCount - 1`). */
  readonly binCount: number;
  /** `bandCount + 1` offsets into `bins` / `weights`. */
  readonly rowStart: Int32Array;
  /** Spectrum bin of each stored weight, ascending within a band. */
  readonly bins: Int32Array;
  readonly weights: Float64Array;
  /**
   * True when every band's bins are consecutive (`bins[e + 1] = bins[e] + 1` within a band, as in a mel
   * triangle): entry e then weights bin `e + bins[rowStart[b]] - rowStart[b]`, no index read needed.
   */
  readonly contiguous: boolean;
}

/**
 * Packs a dense bank (`dense[band][bin]`, bins `0 .. binCount - 1` read) into a `SparseFilterBank`,
 * keeping the weights whose magnitude is greater than `dropBelow` (0 keeps every non-zero weight).
 * Build-time only: allocates.
 */
export function packFilterBank(
  dense: readonly (ArrayLike<number> | readonly number[])[],
  binCount: number,
  dropBelow = 0,
): SparseFilterBank {
  const bandCount = dense.length;
  const rowStart = new Int32Array(bandCount + 1);
  const bins: number[] = [];
  const weights: number[] = [];
  for (let band = 0; band < bandCount; band++) {
    const row = dense[band]!;
    rowStart[band] = bins.length;
    const end = Math.min(binCount, row.length);
    for (let bin = 0; bin < end; bin++) {
      const weight = row[bin]!;
      if (Math.abs(weight) > dropBelow) {
        bins.push(bin);
        weights.push(weight);
      }
    }
  }
  rowStart[bandCount] = bins.length;
  let contiguous = true;
  for (let band = 0; band < bandCount; band++) {
    for (let entry = rowStart[band]! + 1; entry < rowStart[band + 1]!; entry++) {
      if (bins[entry] !== bins[entry - 1]! + 1) contiguous = false;
    }
  }
  return { bandCount, binCount, rowStart, bins: Int32Array.from(bins), weights: Float64Array.from(weights), contiguous };
}
