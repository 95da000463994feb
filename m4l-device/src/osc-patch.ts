/**
 * `max-patches/mass-audio-osc.maxpat`: a plain Max patch (no Node, no Live) with one message box per
 * OSC request of the daemon, sent by `udpsend`, replies printed from `udpreceive`.
 *
 * Max's `udpsend` sends from an ephemeral port that `udpreceive` does not listen on, so every message
 * carries `replyPort PORT`: the daemon must send replies and events to that port of the sender's
 * address (an addition to CONTRACTS C that the device does not need: its Node client reads replies on
 * the port it sends from).
 */
import { PatcherBuilder, type PatcherJson } from "./patcher.js";

export const OSC_PATCH_DAEMON_PORT = 9000;
export const OSC_PATCH_REPLY_PORT = 9001;

/** The request messages of the patch (id, fixed arguments, example options), in protocol order. */
export const OSC_PATCH_REQUESTS: readonly string[] = [
  "/mass/ping 1",
  "/mass/status 2",
  "/mass/find 3 /path/to/target.wav k 10",
  "/mass/find 4 /path/to/target.wav at 1.5 k 5 category kick",
  "/mass/regen 5 /path/to/target.wav variety 0.3 stickiness 0.5 seed 7",
  "/mass/target 6 /path/to/target.wav variety 0.2 wet 1.",
  "/mass/roots/add 7 /path/to/samples",
  "/mass/roots/remove 8 /path/to/samples",
  "/mass/roots/list 9",
  "/mass/subscribe 10",
  "/mass/unsubscribe 11",
];

export function buildOscPatcher(): PatcherJson {
  const p = new PatcherBuilder();
  p.comment(
    `mass-audio over OSC: start "mass-audio serve" (port ${OSC_PATCH_DAEMON_PORT}), click a message. ` +
      "Edit the paths first (absolute paths). Replies and events are printed to the Max Console.",
    [20, 10, 700, 20],
  );
  const send = p.object(`udpsend 127.0.0.1 ${OSC_PATCH_DAEMON_PORT}`, [20, 520, 160, 22]);
  OSC_PATCH_REQUESTS.forEach((request, index) => {
    const message = p.message(`${request} replyPort ${OSC_PATCH_REPLY_PORT}`, [20 + (index % 2) * 380, 50 + Math.floor(index / 2) * 40, 360, 22]);
    p.connect(message, 0, send, 0);
  });
  p.comment(`replies come back to port ${OSC_PATCH_REPLY_PORT} (the replyPort option of each message)`, [420, 500, 400, 20]);
  const receive = p.object(`udpreceive ${OSC_PATCH_REPLY_PORT}`, [420, 520, 120, 22]);
  const print = p.object("print mass-audio", [420, 560, 120, 22]);
  p.connect(receive, 0, print, 0);
  return p.build({ rect: [80, 80, 820, 640], default_fontsize: 12, gridsize: [15, 15], description: "mass-audio OSC test patch" });
}
