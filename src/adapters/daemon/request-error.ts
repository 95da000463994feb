/**
 * The error codes every adapter request can end with (the `/mass/error id code message` reply of the OSC
 * protocol, CONTRACTS.md C), and the mapping from the typed errors of the service onto them.
 */
import { DecodeError, MassAudioError, ParameterError } from "../../core/errors.js";
import { NotFoundError } from "../../corpus/corpus-error.js";
import { RegenerateError } from "../../service/regenerate.js";

export const REQUEST_ERROR_CODES = {
  unknown_address: "the address is not part of the protocol",
  bad_arguments: "a fixed argument is missing or of the wrong type, or options are not key value pairs",
  bad_option: "an option key is unknown or its value is of the wrong type or out of range",
  not_found: "the file, root, preset or units asked for do not exist (or the target has no units)",
  forbidden_path: "the path is outside what the daemon may read (audio files by absolute path) or write (the output folder)",
  busy: "the render queue is full, too many requests are in flight, the daemon is shutting down, or the corpus is read-only here",
  internal: "an unexpected failure (disk full, corrupt store...); the message says what",
  bad_packet: "the packet could not be decoded as OSC at all (the id is then \"\")",
} as const;

export type RequestErrorCode = keyof typeof REQUEST_ERROR_CODES;

/** A request failed with one of the protocol's error codes. */
export class RequestError extends MassAudioError {
  declare readonly code: RequestErrorCode;
  constructor(code: RequestErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * The protocol error code of any error a request raised.
 * ParameterError -> bad_option; NotFoundError, RegenerateError (no units / no candidates / empty corpus)
 * and DecodeError (unreadable target) -> not_found; everything else -> internal.
 */
export function errorCodeOf(error: unknown): RequestErrorCode {
  if (error instanceof RequestError) return error.code;
  if (error instanceof ParameterError) return "bad_option";
  if (error instanceof NotFoundError || error instanceof RegenerateError || error instanceof DecodeError) return "not_found";
  return "internal";
}

/** The message of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
