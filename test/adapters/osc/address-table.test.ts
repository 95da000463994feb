import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REQUEST_ERROR_CODES } from "../../../src/adapters/daemon/request-error.js";
import { FIND_OPTION_SET, OptionSet, REGEN_OPTION_SET, TARGET_OPTION_SET } from "../../../src/adapters/daemon/request-options.js";
import { formatOscReference, OSC_EVENTS, OSC_REQUESTS } from "../../../src/adapters/osc/address-table.js";
import { ANALYSIS_PARAMETERS } from "../../../src/core/analysis/analysis-params.js";
import { REGEN_PARAMETERS } from "../../../src/core/select/regen-params.js";
import { REPO_ROOT } from "../../helpers/corpus.js";

describe("OSC address table", () => {
  it("holds every address of the protocol contract (CONTRACTS.md C) with its replies", () => {
    const contract: Record<string, string[]> = {
      "/mass/ping": ["/mass/pong"],
      "/mass/find": ["/mass/find/hit", "/mass/find/done"],
      "/mass/regen": ["/mass/regen/progress", "/mass/regen/done"],
      "/mass/status": ["/mass/status/reply"],
      "/mass/roots/add": ["/mass/roots/reply"],
      "/mass/roots/remove": ["/mass/roots/reply"],
      "/mass/roots/list": ["/mass/roots/reply"],
      "/mass/subscribe": ["/mass/subscribed"],
      "/mass/unsubscribe": ["/mass/subscribed"],
      "/mass/target": ["/mass/target/reply"],
    };
    for (const [address, replies] of Object.entries(contract)) {
      const spec = (OSC_REQUESTS as Record<string, { replies: readonly { address: string }[] }>)[address];
      expect(spec, address).toBeDefined();
      expect(spec!.replies.map((r) => r.address)).toEqual(replies);
    }
    expect(Object.keys(OSC_EVENTS)).toEqual(expect.arrayContaining(["/mass/event/progress", "/mass/event/file", "/mass/event/regen"]));
    expect(OSC_REQUESTS["/mass/find"].replies[0].args.map((a) => `${a.name}:${a.type}`)).toEqual(["rank:i", "path:s", "start:f", "end:f", "distance:f", "category:s"]);
    expect(OSC_REQUESTS["/mass/status"].replies[0].args.map((a) => a.name)).toEqual(["files", "units", "pending", "failed", "indexing"]);
    expect(Object.keys(REQUEST_ERROR_CODES).sort()).toEqual(
      ["bad_arguments", "bad_option", "bad_packet", "busy", "forbidden_path", "internal", "not_found", "unknown_address"].sort(),
    );
  });

  it("takes the regen and segmentation options from their parameter tables (the same declarations as the CLI)", () => {
    for (const table of [REGEN_PARAMETERS, ANALYSIS_PARAMETERS]) {
      for (const def of Object.values(table)) {
        for (const set of [REGEN_OPTION_SET, TARGET_OPTION_SET]) {
          const byFlag = set.lookup(def.flag);
          expect(byFlag, `${set.name} ${def.flag}`).toBeDefined();
          expect(byFlag!.kind === "param" && byFlag!.def).toBe(def);
          expect(set.lookup(def.key)).toBe(byFlag);
          expect(set.lookup(def.flag.toUpperCase())).toBe(byFlag);
        }
      }
    }
    expect(REGEN_OPTION_SET.lookup("out")?.kind).toBe("out");
    expect(TARGET_OPTION_SET.lookup("out")).toBeUndefined();
    expect(FIND_OPTION_SET.lookup("pitch")?.kind).toBe("range");
    expect(REGEN_OPTION_SET.lookup("pitch")?.kind).toBe("param");
    expect(REGEN_OPTION_SET.lookup("pitch-range")?.kind).toBe("range");
  });

  it("refuses option tables whose keys collide once normalised", () => {
    expect(
      () =>
        new OptionSet("/x", [
          { key: "crossfadeMs", flag: "crossfade-ms", kind: "text", doc: "" },
          { key: "crossfade_ms", flag: "xf", kind: "text", doc: "" },
        ]),
    ).toThrow(/share the key "crossfadems"/);
  });

  it("renders a reference naming every request, reply, event, error code and option with its default", () => {
    const reference = formatOscReference();
    for (const spec of Object.values(OSC_REQUESTS)) {
      expect(reference).toContain(`\`${spec.address} id`);
      for (const reply of spec.replies) expect(reference).toContain(`\`${reply.address} id`);
    }
    for (const address of Object.keys(OSC_EVENTS)) expect(reference).toContain(`\`${address} `);
    for (const code of Object.keys(REQUEST_ERROR_CODES)) expect(reference).toContain(`| \`${code}\` |`);
    const regenSection = reference.slice(reference.indexOf("Options of `/mass/regen`"));
    for (const def of [...Object.values(REGEN_PARAMETERS), ...Object.values(ANALYSIS_PARAMETERS)]) {
      const row = regenSection.split("\n").find((line) => line.startsWith(`| \`${def.flag}\``));
      expect(row, def.flag).toBeDefined();
      expect(row).toContain(`| ${def.defaultValue} |`);
    }
  });

  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  it("the README's OSC reference is the generated one", () => {
    expect(readme).toContain(formatOscReference());
  });
});
