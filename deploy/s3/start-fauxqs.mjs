#!/usr/bin/env node
// Starts fauxqs (an S3-compatible server, npm package in ../node) bound to 127.0.0.1 only.
// fauxqs's own CLI and startFauxqs() listen on 0.0.0.0, so this builds its app and listens itself.
//
// Usage: node deploy/s3/start-fauxqs.mjs --port 4566 [--host 127.0.0.1] [--exit-with-stdin]
//   --port 0 picks a free port. When the server listens it prints one line to stdout:
//     fauxqs listening on http://127.0.0.1:<port>
//   --exit-with-stdin stops the server when its standard input closes, so a test host that dies
//   without stopping it does not leave it running.
// Objects live in memory and vanish when the process stops.
import { readFileSync, existsSync } from "node:fs";
import { isBuiltin, register } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4566" },
    host: { type: "string", default: "127.0.0.1" },
    "exit-with-stdin": { type: "boolean", default: false },
  },
});

const port = Number.parseInt(values.port, 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`start-fauxqs: --port must be 0-65535, got '${values.port}'`);
  process.exit(2);
}

if (!["127.0.0.1", "::1", "localhost"].includes(values.host)) {
  console.error(`start-fauxqs: --host must be a loopback address, got '${values.host}'`);
  process.exit(2);
}

// fauxqs is installed in deploy/node (the test peers' package.json), not beside this script.
const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..", "node", "node_modules", "fauxqs");
const packageJsonPath = join(packageDir, "package.json");
if (!existsSync(packageJsonPath)) {
  console.error(`start-fauxqs: fauxqs is not installed at ${packageDir}; run 'npm ci --prefix deploy/node'.`);
  process.exit(3);
}

// fauxqs declares Node >= 22.5 because its optional persistence imports node:sqlite; the machines
// here have Node 20. This server runs in memory (no dataDir), so on a Node without node:sqlite the
// import is satisfied by a stand-in that fails loudly if persistence is ever asked for.
if (!isBuiltin("node:sqlite")) {
  register(pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), "sqlite-stand-in-hooks.mjs")).href);
}

// Honour the package's own entry point rather than hard-coding a file inside it.
const packageJson = JSON.parse(readFileSync(packageJsonPath, "utf8"));
const entry = packageJson.exports?.["."]?.import?.default ?? packageJson.main;
const { buildApp } = await import(pathToFileURL(join(packageDir, entry)).href);

const app = buildApp({ logger: false });
const address = await app.listen({ port, host: values.host });
console.log(`fauxqs listening on ${address}`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await app.close();
  process.exit(0);
}

process.on("SIGINT", stop);
process.on("SIGTERM", stop);
if (values["exit-with-stdin"]) {
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.resume();
}
