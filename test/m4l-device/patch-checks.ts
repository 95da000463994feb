/** Structural checks of a Max patcher JSON, independent of the builder that wrote it. */

interface Box {
  id: string;
  maxclass: string;
  numinlets: number;
  numoutlets: number;
  outlettype?: string[];
  text?: string;
  [key: string]: unknown;
}

interface Patcher {
  patcher: { boxes: Array<{ box: Box }>; lines: Array<{ patchline: { source: [string, number]; destination: [string, number] } }>; [key: string]: unknown };
}

/** Problems: duplicate ids, lines to missing boxes or to ports beyond numinlets/numoutlets, outlettype length mismatches. */
export function patchProblems(json: unknown): string[] {
  const patcher = (json as Patcher).patcher;
  const problems: string[] = [];
  const boxes = new Map<string, Box>();
  for (const { box } of patcher.boxes) {
    if (boxes.has(box.id)) problems.push(`duplicate box id ${box.id}`);
    boxes.set(box.id, box);
    if (!Number.isInteger(box.numinlets) || !Number.isInteger(box.numoutlets)) problems.push(`${box.id}: inlet/outlet counts missing`);
    if (box.outlettype && box.outlettype.length !== box.numoutlets) problems.push(`${box.id}: ${box.outlettype.length} outlet types for ${box.numoutlets} outlets`);
  }
  for (const { patchline } of patcher.lines) {
    const [sourceId, outlet] = patchline.source;
    const [destinationId, inlet] = patchline.destination;
    const source = boxes.get(sourceId);
    const destination = boxes.get(destinationId);
    if (!source) problems.push(`line from missing box ${sourceId}`);
    else if (!(outlet >= 0 && outlet < source.numoutlets)) problems.push(`line from ${sourceId} outlet ${outlet} of ${source.numoutlets} (${source.text ?? source.maxclass})`);
    if (!destination) problems.push(`line to missing box ${destinationId}`);
    else if (!(inlet >= 0 && inlet < destination.numinlets)) problems.push(`line to ${destinationId} inlet ${inlet} of ${destination.numinlets} (${destination.text ?? destination.maxclass})`);
  }
  return problems;
}

export function boxes(json: unknown): Box[] {
  return (json as Patcher).patcher.boxes.map((entry) => entry.box);
}

export function lines(json: unknown): Array<{ source: [string, number]; destination: [string, number] }> {
  return (json as Patcher).patcher.lines.map((entry) => entry.patchline);
}
