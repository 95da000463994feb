/**
 * Typed errors. One type for bad parameters (after librosa's `ParameterError`); the others are typed
 * by what failed. Every message names the file or value at fault and, where there is one, what to do.
 */

/** Base class: every error mass-audio raises on purpose is a `MassAudioError` with a stable `code`. */
export class MassAudioError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A parameter (CLI flag, OSC option, function argument) is missing, of the wrong type or out of range. */
export class ParameterError extends MassAudioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("bad_parameter", message, options);
  }
}

/** Why a file could not be decoded. Stable strings: they are stored with failed files and shown by `status`. */
export type DecodeFailure =
  | "unreadable"
  | "empty"
  | "truncated"
  | "not_audio"
  | "unsupported_codec"
  | "bad_header"
  | "zero_length"
  | "too_large"
  | "corrupt";

/** An audio file could not be read or decoded. `path` names the file, `reason` the class of failure. */
export class DecodeError extends MassAudioError {
  readonly path: string;
  readonly reason: DecodeFailure;
  constructor(path: string, reason: DecodeFailure, detail: string, options?: { cause?: unknown }) {
    super(`decode_${reason}`, `${path}: ${detail}`, options);
    this.path = path;
    this.reason = reason;
  }
}

/** The audio decoded, but its content cannot be analysed (e.g. NaN/Inf samples). */
export class AnalysisError extends MassAudioError {
  readonly path: string;
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super("analysis_failed", `${path}: ${detail}`, options);
    this.path = path;
  }
}

/** Writing an output file failed (folder missing, not writable, disk full). */
export class WriteError extends MassAudioError {
  readonly path: string;
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super("write_failed", `${path}: ${detail}`, options);
    this.path = path;
  }
}
