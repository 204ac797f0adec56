'use strict';
// Real grpc-js client for Sluice's interop tests.
//
// Usage: node node_client.js --target 127.0.0.1:PORT --scenario NAME
// Runs exactly one scenario and prints one JSON object of observations on stdout (the C# test
// asserts on them), with the same scenarios and keys as python_client.py. Exits 0 whenever the
// scenario ran, even if the call ended with a gRPC error status; non-zero means the peer crashed.
// @grpc/grpc-js and @grpc/proto-loader come from deploy/node/node_modules of the repository.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const INTEROP_PROTO = 'sluice/interop/v1/interop.proto';
const HEALTH_PROTO = 'grpc/health/v1/health.proto';
// Every call gets a deadline so a broken server fails the scenario instead of hanging the test.
const CALL_TIMEOUT_MS = 30000;
const MIB = 1024 * 1024;
const ECHO_KEY_PREFIXES = ['x-echo-', 'trailer-'];
const NON_ASCII_STATUS_MESSAGE = 'Ünïcödé ✓ 数据 100% done\r\nline2';
const GZIP_ALGORITHM = 2; // grpc-js compression algorithm ids: 0 identity, 1 deflate, 2 gzip

function findRepoRoot() {
  if (process.env.SLUICE_REPO_ROOT) return path.resolve(process.env.SLUICE_REPO_ROOT);
  // Walk up so the script also works from a copy in a build output folder.
  let directory = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(directory, 'protos', HEALTH_PROTO)) &&
        fs.existsSync(path.join(directory, 'tests', 'protos', INTEROP_PROTO))) {
      return directory;
    }
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`cannot find the repository root above ${__dirname}`);
    directory = parent;
  }
}

const repoRoot = findRepoRoot();
const requireFromDeploy = createRequire(path.join(repoRoot, 'deploy', 'node', 'package.json'));
const grpc = requireFromDeploy('@grpc/grpc-js');
const protoLoader = requireFromDeploy('@grpc/proto-loader');

const packageDefinition = protoLoader.loadSync([INTEROP_PROTO, HEALTH_PROTO], {
  includeDirs: [path.join(repoRoot, 'protos'), path.join(repoRoot, 'tests', 'protos')],
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
});
const loaded = grpc.loadPackageDefinition(packageDefinition);
const InteropService = loaded.sluice.interop.v1.InteropService;
const Health = loaded.grpc.health.v1.Health;

const statusName = (code) => grpc.status[code] ?? String(code);
const deadlineIn = (milliseconds) => ({ deadline: Date.now() + milliseconds });
const callOptions = () => deadlineIn(CALL_TIMEOUT_MS);

// Unary call as a promise of { error, reply, call }: errors are observations, not exceptions.
function unary(client, method, request, metadata = new grpc.Metadata(), options = callOptions()) {
  return new Promise((resolve) => {
    const call = client[method](request, metadata, options, (error, reply) => resolve({ error, reply, call }));
  });
}

function errorFields(error) {
  return { status: statusName(error.code), details: error.details };
}

function metadataObject(metadata) {
  const observed = {};
  if (!metadata) return observed;
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (ECHO_KEY_PREFIXES.some((prefix) => key.startsWith(prefix))) {
      observed[key] = Buffer.isBuffer(value) ? value.toString('base64') : value;
    }
  }
  return observed;
}

async function probeFields(client, probeId) {
  const { error, reply } = await unary(client, 'GetProbe', { probe_id: probeId, wait_ms: 5000 });
  if (error) return { probe: null, probe_status: statusName(error.code) };
  return {
    probe: { found: reply.found, finished: reply.finished, cancelled: reply.cancelled },
    probe_status: 'OK',
  };
}

const scenarios = {
  async unary({ interop }) {
    const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const { error, reply } = await unary(interop, 'UnaryEcho', { message: 'héllo wörld', payload });
    if (error) return { ...errorFields(error), message: null, payload_b64: null, received_size: null };
    return {
      status: 'OK',
      message: reply.message,
      payload_b64: reply.payload.toString('base64'),
      received_size: reply.received_size,
    };
  },

  server_stream({ interop }) {
    return new Promise((resolve) => {
      const observed = { status: 'OK', messages: [], sequences: [], payload_sizes: [] };
      const call = interop.ServerStream({ message: 'm', count: 5, payload_size: 10 }, callOptions());
      call.on('data', (reply) => {
        observed.messages.push(reply.message);
        observed.sequences.push(reply.sequence);
        observed.payload_sizes.push(reply.payload.length);
      });
      call.on('error', () => {}); // the status event below carries the outcome
      call.on('status', (status) => {
        observed.status = statusName(status.code);
        if (status.code !== grpc.status.OK) observed.details = status.details;
        resolve(observed);
      });
    });
  },

  client_stream({ interop }) {
    return new Promise((resolve) => {
      const call = interop.ClientStream(callOptions(), (error, reply) => {
        if (error) resolve({ ...errorFields(error), message: null, sequence: null });
        else resolve({ status: 'OK', message: reply.message, sequence: reply.sequence });
      });
      for (const message of ['a', 'b', 'c']) call.write({ message });
      call.end();
    });
  },

  async bidi({ interop }) {
    const observed = { status: 'OK', messages: [], sequences: [] };
    const call = interop.BidiEcho(callOptions());
    const status = new Promise((resolve) => call.on('status', resolve));
    const replies = call[Symbol.asyncIterator]();
    try {
      for (const message of ['one', 'two', 'three']) {
        call.write({ message });
        const { value: reply, done } = await replies.next();
        if (done) break;
        observed.messages.push(reply.message);
        observed.sequences.push(reply.sequence);
      }
      call.end();
      // Anything the server sends after the half-close is observed too.
      for (let next = await replies.next(); !next.done; next = await replies.next()) {
        observed.messages.push(next.value.message);
        observed.sequences.push(next.value.sequence);
      }
    } catch {
      // The stream errors with the call's status, which the status event reports.
    }
    const final = await status;
    observed.status = statusName(final.code);
    if (final.code !== grpc.status.OK) observed.details = final.details;
    return observed;
  },

  async status_non_ascii({ interop }) {
    const { error } = await unary(interop, 'Fail', { code: 9, message: NON_ASCII_STATUS_MESSAGE });
    if (error) return { ...errorFields(error), code: error.code };
    return { status: 'OK', code: 0, details: null };
  },

  metadata({ interop }) {
    const metadata = new grpc.Metadata();
    metadata.set('x-echo-text', 'hello world');
    metadata.set('x-echo-data-bin', Buffer.from([0, 1, 2, 254, 255]));
    return new Promise((resolve) => {
      // A trailers-only reply has no header block, so no metadata event: headers stay empty then.
      let headers = null;
      const call = interop.EchoMetadata({ message: 'md' }, metadata, callOptions(), () => {});
      call.on('metadata', (received) => { headers = received; });
      // grpc-js emits status last, after the metadata event and the callback.
      call.on('status', (status) => {
        const observed = {
          status: statusName(status.code),
          headers: metadataObject(headers),
          trailers: metadataObject(status.metadata),
        };
        if (status.code !== grpc.status.OK) observed.details = status.details;
        resolve(observed);
      });
    });
  },

  async deadline({ interop }) {
    const probeId = crypto.randomUUID();
    const { error } = await unary(interop, 'Sleep', { probe_id: probeId, sleep_ms: 10000 },
      new grpc.Metadata(), deadlineIn(500));
    const observed = error ? errorFields(error) : { status: 'OK' };
    return { ...observed, ...(await probeFields(interop, probeId)) };
  },

  async cancel({ interop }) {
    const probeId = crypto.randomUUID();
    const outcome = new Promise((resolve) => {
      const call = interop.Sleep({ probe_id: probeId, sleep_ms: 10000 }, callOptions(),
        (error) => resolve(error));
      // The scenario itself: cancel a call that is in flight.
      setTimeout(() => call.cancel(), 300);
    });
    const error = await outcome;
    const observed = error ? { status: statusName(error.code) } : { status: 'OK' };
    return { ...observed, ...(await probeFields(interop, probeId)) };
  },

  async large_accepted({ interop }) {
    const { error, reply } = await unary(interop, 'UnaryEcho', { payload: Buffer.alloc(3 * MIB) });
    if (error) return { ...errorFields(error), received_size: null, payload_len: null };
    return { status: 'OK', received_size: reply.received_size, payload_len: reply.payload.length };
  },

  async large_rejected({ interop }) {
    const { error } = await unary(interop, 'UnaryEcho', { payload: Buffer.alloc(5 * MIB) });
    if (error) return errorFields(error);
    return { status: 'OK', details: null };
  },

  async gzip({ target }) {
    // grpc-js compresses only through a channel-wide default algorithm, hence a separate client.
    const client = new InteropService(target, grpc.credentials.createInsecure(),
      { 'grpc.default_compression_algorithm': GZIP_ALGORITHM });
    try {
      const text = 'sluice gzip ';
      const payload = Buffer.from(text.repeat(Math.ceil((100 * 1024) / text.length))).subarray(0, 100 * 1024);
      const { error, reply } = await unary(client, 'UnaryEcho',
        { message: 'gzip', payload, compress_response: true });
      if (error) {
        return { ...errorFields(error), received_size: null, payload_len: null, payload_ok: false,
          request_compressed: null };
      }
      return {
        status: 'OK',
        received_size: reply.received_size,
        payload_len: reply.payload.length,
        payload_ok: reply.payload.equals(payload),
        request_compressed: reply.request_compressed,
      };
    } finally {
      client.close();
    }
  },

  async unknown_method({ target }) {
    const client = new grpc.Client(target, grpc.credentials.createInsecure());
    const requestBytes = InteropService.service.UnaryEcho.requestSerialize({ message: 'nobody home' });
    const identity = (bytes) => bytes;
    const callStatus = (methodPath) => new Promise((resolve) => {
      client.makeUnaryRequest(methodPath, identity, identity, requestBytes, new grpc.Metadata(), callOptions(),
        (error) => resolve(error ? statusName(error.code) : 'OK'));
    });
    try {
      return {
        method_status: await callStatus('/sluice.interop.v1.InteropService/NoSuchMethod'),
        service_status: await callStatus('/sluice.interop.v1.NoSuchService/UnaryEcho'),
      };
    } finally {
      client.close();
    }
  },

  async health({ target }) {
    const client = new Health(target, grpc.credentials.createInsecure());
    try {
      const serving = await unary(client, 'Check', { service: '' });
      const observed = serving.error
        ? { ...errorFields(serving.error), serving_status: null }
        : { status: 'OK', serving_status: serving.reply.status };
      const unknown = await unary(client, 'Check', { service: 'no.such.Service' });
      observed.unknown_status = unknown.error ? statusName(unknown.error.code) : 'OK';
      return observed;
    } finally {
      client.close();
    }
  },
};

function parseArguments(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    if (!['--target', '--scenario'].includes(flag) || i + 1 >= argv.length) {
      throw new Error(`usage: node node_client.js --target HOST:PORT --scenario NAME (bad argument ${flag})`);
    }
    options[flag.slice(2)] = argv[i + 1];
  }
  if (!options.target || !options.scenario) {
    throw new Error('usage: node node_client.js --target HOST:PORT --scenario NAME');
  }
  if (!Object.hasOwn(scenarios, options.scenario)) {
    throw new Error(`unknown scenario ${options.scenario}; known: ${Object.keys(scenarios).join(', ')}`);
  }
  return options;
}

async function main() {
  const { target, scenario } = parseArguments(process.argv.slice(2));
  const interop = new InteropService(target, grpc.credentials.createInsecure());
  let observed;
  try {
    observed = await scenarios[scenario]({ interop, target });
  } finally {
    interop.close();
  }
  // Exit only once stdout is flushed: it is a pipe, and pipe writes are asynchronous in Node.
  process.stdout.write(`${JSON.stringify(observed)}\n`, () => process.exit(0));
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
