/**
 * Entry of the device's Node for Max script (`node.script mass-audio-node.mjs`). `npm run build:device`
 * bundles this file and everything it imports into one pure-JS `.mjs`; `max-api` stays external
 * because it exists only inside Max.
 */
import * as maxApiModule from "max-api";
import { deviceSettingsPath } from "./daemon-launcher.js";
import { DeviceController, type MaxPort } from "./device-controller.js";

/** What this entry uses of `max-api` (declared here: @types/max-api types a default export the runtime may not have). */
interface MaxApi extends MaxPort {
  readonly POST_LEVELS?: { readonly ERROR: string };
}

/**
 * The API object, whichever way Max's loader exposes it to an ES module: the CommonJS `module.exports`
 * under `default` (complete), else the named exports of the namespace.
 */
function resolveMaxApi(mod: unknown): MaxApi {
  const candidate = mod as Partial<MaxApi> & { readonly default?: MaxApi };
  if (candidate.default && typeof candidate.default.addHandler === "function") return candidate.default;
  if (typeof candidate.addHandler === "function") return candidate as MaxApi;
  throw new Error("max-api: no addHandler found (is this running inside node.script?)");
}

const maxApi = resolveMaxApi(maxApiModule);
const controller = new DeviceController(maxApi, { settingsPath: deviceSettingsPath() });

try {
  await controller.start();
} catch (error) {
  maxApi.post(`mass-audio device: ${(error as Error).stack ?? String(error)}`, maxApi.POST_LEVELS?.ERROR ?? "error");
  maxApi.outlet("message", `device script failed: ${(error as Error).message}`);
}
