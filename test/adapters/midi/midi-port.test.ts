import { describe, expect, it } from "vitest";
import { MidiUnavailableError, openEasymidiInput } from "../../../src/adapters/midi/midi-port.js";

describe("easymidi input", () => {
  it("opens a virtual port where the system has MIDI, else fails with one line saying why", async () => {
    try {
      const port = await openEasymidiInput({ virtual: true });
      expect(port.name).toBe("mass-audio");
      port.close();
    } catch (error) {
      expect(error).toBeInstanceOf(MidiUnavailableError);
      const message = (error as MidiUnavailableError).message;
      expect(message).toMatch(/^MIDI unavailable: cannot (create the virtual input "mass-audio"|load easymidi)/);
      expect(message).not.toContain("\n");
    }
  });

  it("fails with MidiUnavailableError for a port name that does not exist", async () => {
    await expect(openEasymidiInput({ name: "no such port 4711" })).rejects.toThrow(MidiUnavailableError);
  });
});
