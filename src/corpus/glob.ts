/**
 * Folder globs for query filters (`--folder "drums/**"`), compiled to one RegExp over `/`-separated
 * paths. Node 20 has no `path.matchesGlob`, so this is the small subset a sample-folder filter needs:
 * `**` (any folders), `*` (within one name), `?`, `[abc]`/`[!abc]`, `{a,b}`. Matching is
 * case-insensitive (sample folders are named "Drums" and "drums" alike).
 *
 * A pattern matches a file when it matches the file's path or any folder above it, so `drums` selects
 * everything under every folder named `drums`. A relative pattern may start at any folder boundary;
 * an absolute one (`/mnt/samples/drums`, `C:/Samples`) is anchored at the filesystem root.
 */
import { ParameterError } from "../core/errors.js";

function escapeLiteral(char: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char;
}

function compileBody(glob: string): string {
  let out = "";
  let braceDepth = 0;
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === "*") {
      if (glob[i + 1] === "*") {
        const atSegmentStart = i === 0 || glob[i - 1] === "/";
        const atSegmentEnd = i + 2 >= glob.length || glob[i + 2] === "/";
        if (atSegmentStart && atSegmentEnd) {
          if (glob[i + 2] === "/") {
            out += "(?:[^/]*/)*";
            i += 2;
          } else {
            out += ".*";
            i += 1;
          }
          continue;
        }
        i += 1;
      }
      out += "[^/]*";
    } else if (char === "?") {
      out += "[^/]";
    } else if (char === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close < 0) throw new ParameterError(`folder glob "${glob}": unclosed "["`);
      let set = glob.slice(i + 1, close);
      const negate = set.startsWith("!") || set.startsWith("^");
      if (negate) set = set.slice(1);
      out += `[${negate ? "^/" : ""}${set.replace(/[\\\]]/g, "\\$&")}]`;
      i = close;
    } else if (char === "{") {
      braceDepth++;
      out += "(?:";
    } else if (char === "}" && braceDepth > 0) {
      braceDepth--;
      out += ")";
    } else if (char === "," && braceDepth > 0) {
      out += "|";
    } else {
      out += escapeLiteral(char);
    }
  }
  if (braceDepth !== 0) throw new ParameterError(`folder glob "${glob}": unclosed "{"`);
  return out;
}

/** Normalises a path for matching: `/` separators, no trailing slash. */
export function toGlobPath(path: string): string {
  const slashed = path.replace(/\\/g, "/");
  return slashed.length > 1 ? slashed.replace(/\/+$/, "") : slashed;
}

/**
 * Compiles a folder glob.
 * @returns a RegExp to test against `toGlobPath(absolutePath)`.
 * @throws ParameterError on an empty pattern or an unclosed `[` / `{`.
 */
export function compileFolderGlob(pattern: string): RegExp {
  const glob = toGlobPath(pattern.trim());
  if (glob === "") throw new ParameterError("folder glob is empty");
  const absolute = glob.startsWith("/") || /^[a-zA-Z]:\//.test(glob);
  const body = compileBody(glob);
  return new RegExp(`^${absolute ? "" : "(?:.*/)?"}${body}(?:/.*)?$`, "i");
}
