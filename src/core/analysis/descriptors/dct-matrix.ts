/**
 * The DCT that meyda's MFCCs use: the `dct` package (0.1.0) computes the unnormalised DCT-II with a factor 2,
 * `X[k] = 2 * sum_n x[n] cos(pi / N * (n + 0.5) * k)` (no orthonormal scaling, X[0] = 2 * sum x).
 */
import { ParameterError } from "../../errors.js";

/**
 * Row-major `outputCount x inputCount` matrix `M[k * inputCount + n] = 2 cos(pi / inputCount * (n + 0.5) * k)`,
 * so that `X[k] = sum_n M[k, n] x[n]` equals the `dct` package's first `outputCount` coefficients.
 * @throws ParameterError unless 1 <= outputCount <= inputCount.
 */
export function createDctMatrix(inputCount: number, outputCount: number): Float64Array {
  if (!Number.isInteger(inputCount) || inputCount < 1) throw new ParameterError(`DCT inputCount must be an integer >= 1, got ${inputCount}`);
  if (!Number.isInteger(outputCount) || outputCount < 1 || outputCount > inputCount)
    throw new ParameterError(`DCT outputCount must be an integer in [1, ${inputCount}], got ${outputCount}`);
  const matrix = new Float64Array(outputCount * inputCount);
  const piOverN = Math.PI / inputCount;
  for (let k = 0; k < outputCount; k++) {
    for (let n = 0; n < inputCount; n++) matrix[k * inputCount + n] = 2 * Math.cos(piOverN * (n + 0.5) * k);
  }
  return matrix;
}
