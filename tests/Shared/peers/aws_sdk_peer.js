'use strict';
// What every AWS SDK for JavaScript peer script shares: the SDK packages from the repo's own
// deploy/node install, command-line arguments, and each call's outcome as plain JSON for the C#
// test to judge (the scripts assert nothing themselves).

const path = require('node:path');
const { createRequire } = require('node:module');

/** Loads a package installed by deploy/install-deps.sh in deploy/node, wherever the script runs from. */
const repoRequire = createRequire(path.join(__dirname, '..', '..', '..', 'deploy', 'node', 'package.json'));

/** The value after `name` on the command line; a missing one is the caller's bug, so it throws. */
function argument(name) {
  const index = process.argv.indexOf(name);
  if (index < 0 || index + 1 >= process.argv.length) {
    throw new Error(`missing ${name}`);
  }
  return process.argv[index + 1];
}

/** {ok: true, ...response} without the SDK's $metadata, or {error: name, status, message} for a refusal. */
async function outcome(call) {
  try {
    const response = await call();
    delete response.$metadata;
    return { ok: true, ...response };
  } catch (error) {
    return { error: error.name, status: error.$metadata && error.$metadata.httpStatusCode, message: error.message };
  }
}

module.exports = { repoRequire, argument, outcome };
