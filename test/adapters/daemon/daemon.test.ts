import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { regenFraction } from "../../../src/adapters/daemon/daemon.js";
import { RequestError } from "../../../src/adapters/daemon/request-error.js";
import { openDaemonFixture, type DaemonFixture } from "../osc/helpers.js";

describe("daemon admission and progress", () => {
  let fx: DaemonFixture;

  beforeAll(async () => {
    fx = await openDaemonFixture("daemon", ["bd_haus.flac", "sn_dub.flac", "elec_tick.flac"], { findSlots: 1, maxFindsWaiting: 2 });
  }, 60_000);

  afterAll(async () => fx.close());

  it("runs finds in their slots, queues up to the bound, refuses the rest with busy at once", async () => {
    const target = join(fx.root, "bd_haus.flac");
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => fx.daemon.find(target, { k: 2 })));
    const done = outcomes.filter((o) => o.status === "fulfilled");
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(done).toHaveLength(3); // one running, two waiting
    expect(refused).toHaveLength(5);
    for (const failure of refused) {
      expect(failure.reason).toBeInstanceOf(RequestError);
      expect((failure.reason as RequestError).code).toBe("busy");
    }
    // The gate is free again afterwards.
    expect((await fx.daemon.find(target, { k: 1 })).hits).toHaveLength(1);
  });

  it("answers a corpus file checked lately on the spot, even when every slot and waiting place is taken", async () => {
    const checked = join(fx.root, "bd_haus.flac");
    await fx.daemon.find(checked, { k: 1 }); // its path passes the policy now
    const fresh = join(fx.root, "sn_dub.flac"); // first sight: the disk is looked at, in a slot
    const slotted = Array.from({ length: 3 }, () => fx.daemon.find(fresh, { k: 1 })); // one running, two waiting
    const refused = fx.daemon.find(fresh, { k: 1 });
    const onTheSpot = fx.daemon.find(checked, { k: 2 });
    await expect(refused).rejects.toMatchObject({ code: "busy" });
    const answered = await onTheSpot;
    expect(answered.hits).toHaveLength(2);
    expect(answered.query.source).toBe("corpus-file");
    for (const result of await Promise.all(slotted)) expect(result.hits).toHaveLength(1);
  });

  it("a find on the spot still refuses bad options, k and times past the end", async () => {
    const checked = join(fx.root, "bd_haus.flac");
    await fx.daemon.find(checked, { k: 1 });
    await expect(fx.daemon.find(checked, { weights: "loud=2" })).rejects.toThrow(/unknown group/);
    await expect(fx.daemon.find(checked, { k: 0 })).rejects.toThrow(/k/);
    await expect(fx.daemon.find(checked, { at: 99 })).rejects.toThrow(/past the end/);
  });

  it("maps regeneration stages onto 0..1 in order", () => {
    const stages = ["analyse", "search", "select", "read", "render", "write"] as const;
    const points = stages.flatMap((stage) => [regenFraction({ stage, done: 0, total: 4 }), regenFraction({ stage, done: 4, total: 4 })]);
    expect(points[0]).toBe(0);
    expect(points[points.length - 1]).toBe(1);
    expect([...points].sort((a, b) => a - b)).toEqual(points);
    expect(regenFraction({ stage: "read", done: 2, total: 4 })).toBeCloseTo(0.6, 12);
  });
});
