/** Child process for the memory benchmark: analyses one file, prints {rssMb, units, seconds} as JSON. */
import { performance } from "node:perf_hooks";
import { analyzeFile } from "../src/io/analyze-file.js";

const path = process.argv[2];
if (!path) throw new Error("usage: rss-child FILE");
const t0 = performance.now();
const analysis = await analyzeFile(path);
const seconds = (performance.now() - t0) / 1000;
const rssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(JSON.stringify({ rssMb, units: analysis.units.length, seconds }) + "\n");
