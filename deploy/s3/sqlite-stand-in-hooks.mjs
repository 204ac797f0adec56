// Module hooks (node:module register) used by start-fauxqs.mjs on Node versions without the
// node:sqlite built-in: the import resolves to a stand-in whose DatabaseSync throws when used.
// fauxqs only opens a database for on-disk persistence, which start-fauxqs.mjs never enables.
const STAND_IN_URL = "sluice:sqlite-stand-in";

export async function resolve(specifier, context, nextResolve) {
  if (specifier === "node:sqlite") {
    return { url: STAND_IN_URL, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (url === STAND_IN_URL) {
    return {
      format: "module",
      shortCircuit: true,
      source:
        "export class DatabaseSync { constructor() { throw new Error(" +
        "'node:sqlite is not available in this Node version; fauxqs persistence needs Node >= 22.5'); } }",
    };
  }
  return nextLoad(url, context);
}
