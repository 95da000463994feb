/**
 * Max writes file paths in its own style: `Macintosh HD:/Users/me/kick.wav` on macOS (volume name,
 * colon, then the path on that volume), `C:/Users/me/kick.wav` on Windows. Node needs native paths.
 */

/**
 * A native absolute path for a path that came from a Max object (live.drop, dropfile, opendialog).
 * macOS: `VOLUME:/rest` becomes `/rest` when that exists (the start-up volume), else `/Volumes/VOLUME/rest`.
 * Windows drive paths (`C:/x`) and native paths pass unchanged.
 * @param exists file-existence test (injected for tests).
 */
export function maxPathToNative(maxPath: string, exists: (path: string) => boolean): string {
  const trimmed = maxPath.trim();
  const match = /^([^/\\:]{2,}):(\/.*)$/.exec(trimmed);
  if (!match) return trimmed;
  const volume = match[1]!;
  const rest = match[2]!;
  if (exists(rest)) return rest;
  return `/Volumes/${volume}${rest}`;
}

/** Joins the atoms of a Max message back into one string (a path with spaces may arrive split). */
export function joinAtoms(atoms: ReadonlyArray<string | number>): string {
  return atoms.map(String).join(" ").trim();
}
