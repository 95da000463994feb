/**
 * Validation of one decoded OSC message against the address table: the request id, the address, the
 * fixed arguments and the `key value` options. The result is a typed request, or the error to send back
 * with the id to echo. Nothing here touches the corpus or the file system.
 */
import { RequestError } from "../daemon/request-error.js";
import type { OptionMap, OptionScalar } from "../daemon/request-options.js";
import { OSC_REQUESTS, type RequestAddress, type RequestSpec } from "./address-table.js";
import { numberOf, oscString, stringOf, type OscArg, type OscMessageIn } from "./osc-codec.js";

export interface OscRequest {
  readonly address: RequestAddress;
  /** The id argument as received (int or string), echoed in every reply. */
  readonly id: OscArg;
  /** Fixed arguments after the id, in table order. */
  readonly args: readonly string[];
  readonly options: OptionMap;
}

export type OscParseOutcome = (
  | { readonly ok: true; readonly request: OscRequest }
  | { readonly ok: false; readonly id: OscArg; readonly error: RequestError }
) & {
  /** `replyPort N` at the end of any request: replies (and events, after subscribe) go to this port of the sender's host. */
  readonly replyPort?: number;
};

/** The option any request may end with to have its replies sent to another port of the sender's host. */
export const REPLY_PORT_KEY = "replyPort";

/**
 * Splits a trailing `replyPort N` off the arguments (Max's udpsend sends from a random port that
 * udpreceive cannot listen on, and TouchOSC / Pd setups often listen on a fixed port).
 */
function splitReplyPort(message: OscMessageIn): { message: OscMessageIn; replyPort?: number } {
  const n = message.args.length;
  if (n < 3) return { message };
  const key = stringOf(message.args[n - 2]!);
  if (key !== REPLY_PORT_KEY && key !== "reply-port") return { message };
  const port = numberOf(message.args[n - 1]!);
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return { message };
  return { message: { ...message, args: message.args.slice(0, n - 2) }, replyPort: port };
}

/** Id types echoed as they came: int32, int64, string (and, for an error reply only, floats). */
const ID_TYPES = new Set(["i", "h", "s", "S"]);
const ECHOABLE_TYPES = new Set(["i", "h", "s", "S", "f", "d"]);
/** Id used when the request has none, or one that cannot be echoed. */
export const NO_ID: OscArg = oscString("");

function describeArg(arg: OscArg): string {
  switch (arg.type) {
    case "i":
    case "h":
      return "an int";
    case "f":
    case "d":
      return "a float";
    case "s":
    case "S":
      return "a string";
    case "T":
    case "F":
      return "a boolean";
    case "N":
      return "nil";
    case "b":
      return "a blob";
    case "[":
      return "an array";
    default:
      return `type '${arg.type}'`;
  }
}

/** An option value from an argument: numbers, strings, booleans. */
function optionValue(arg: OscArg): OptionScalar | undefined {
  if (arg.type === "T") return true;
  if (arg.type === "F") return false;
  return numberOf(arg) ?? stringOf(arg);
}

function fail(id: OscArg, code: RequestError["code"], message: string): OscParseOutcome {
  return { ok: false, id, error: new RequestError(code, message) };
}

/** Validates a message against the address table (a trailing `replyPort N` is split off first). Never throws. */
export function parseOscRequest(received: OscMessageIn): OscParseOutcome {
  const { message, replyPort } = splitReplyPort(received);
  const outcome = parseMessage(message);
  return replyPort === undefined ? outcome : { ...outcome, replyPort };
}

function parseMessage(message: OscMessageIn): OscParseOutcome {
  const first = message.args[0];
  if (first === undefined) return fail(NO_ID, "bad_arguments", `${message.address}: missing the request id (first argument, int or string)`);
  const idOk = ID_TYPES.has(first.type) && (stringOf(first) !== undefined || numberOf(first) !== undefined);
  const id = idOk || ECHOABLE_TYPES.has(first.type) ? first : NO_ID;
  if (!Object.hasOwn(OSC_REQUESTS, message.address)) {
    return fail(id, "unknown_address", `unknown address ${message.address} (known: ${Object.keys(OSC_REQUESTS).join(" ")})`);
  }
  const address = message.address as RequestAddress;
  const spec: RequestSpec = OSC_REQUESTS[address];
  if (!idOk) return fail(id, "bad_arguments", `${address}: the request id must be an int or a string, got ${describeArg(first)}`);

  const args: string[] = [];
  for (let i = 0; i < spec.args.length; i++) {
    const doc = spec.args[i]!;
    const arg = message.args[i + 1];
    if (arg === undefined) return fail(id, "bad_arguments", `${address}: missing ${doc.name} (${doc.doc})`);
    const text = stringOf(arg);
    if (text === undefined) return fail(id, "bad_arguments", `${address}: ${doc.name} must be a string, got ${describeArg(arg)}`);
    args.push(text);
  }

  const rest = message.args.slice(1 + spec.args.length);
  if (!spec.options) {
    if (rest.length > 0) return fail(id, "bad_arguments", `${address} takes ${spec.args.length + 1} argument(s), got ${message.args.length}`);
    return { ok: true, request: { address, id, args, options: {} } };
  }
  if (rest.length % 2 !== 0) return fail(id, "bad_arguments", `${address}: options come in key value pairs (${rest.length} arguments after the fixed ones)`);
  const pairs: [string, OptionScalar][] = [];
  for (let i = 0; i < rest.length; i += 2) {
    const key = stringOf(rest[i]!);
    if (key === undefined) return fail(id, "bad_arguments", `${address}: option key ${i / 2 + 1} must be a string, got ${describeArg(rest[i]!)}`);
    const value = optionValue(rest[i + 1]!);
    if (value === undefined) return fail(id, "bad_option", `${address}: option ${key} must be a number, string or boolean, got ${describeArg(rest[i + 1]!)}`);
    pairs.push([key, value]);
  }
  try {
    return { ok: true, request: { address, id, args, options: spec.options.collect(pairs) } };
  } catch (error) {
    if (error instanceof RequestError) return { ok: false, id, error };
    throw error;
  }
}
