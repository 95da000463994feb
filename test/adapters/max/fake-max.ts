/**
 * A stand-in for Max's `max-api` module: records handlers registered by the device script, lets the
 * test send messages to them as the patch would, and records every outlet call.
 */
import type { MaxPort } from "../../../src/adapters/max/device-controller.js";

type Atom = string | number;

export class FakeMax implements MaxPort {
  readonly handlers = new Map<string, (...args: Atom[]) => unknown>();
  readonly outlets: Atom[][] = [];
  readonly posts: Atom[][] = [];

  addHandler(selector: string, handler: (...args: Atom[]) => unknown): void {
    this.handlers.set(selector, handler);
  }

  outlet(...args: Atom[]): void {
    this.outlets.push(args);
  }

  post(...args: Atom[]): void {
    this.posts.push(args);
  }

  /** A message into node.script's inlet: `selector args...`. */
  send(selector: string, ...args: Atom[]): void {
    const handler = this.handlers.get(selector);
    if (!handler) throw new Error(`no handler for "${selector}" (registered: ${[...this.handlers.keys()].join(", ")})`);
    handler(...args);
  }

  /** Outlet calls whose first atom is `selector`, without it. */
  out(selector: string): Atom[][] {
    return this.outlets.filter((args) => args[0] === selector).map((args) => args.slice(1));
  }

  /** Texts of `message TEXT` outlets. */
  messages(): string[] {
    return this.out("message").map((args) => String(args[0]));
  }

  lastStatus(): string | undefined {
    const all = this.out("status");
    return all.length > 0 ? String(all[all.length - 1]![0]) : undefined;
  }
}
