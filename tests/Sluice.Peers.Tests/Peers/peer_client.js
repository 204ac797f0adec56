'use strict';
// Real grpc-js client of the Sluice all-in-one host, for Sluice.Peers.Tests.
//
// Usage: node peer_client.js --scenario NAME --gateway H:P --ingestion H:P --query H:P --validation H:P
// Runs one scenario (README.md) and prints one JSON object with the same keys as peer_client.py
// on stdout (the C# tests assert on them). Exits 0 whenever the scenario ran, even if calls ended
// with a gRPC error status; non-zero means the peer itself crashed.
// @grpc/grpc-js, @grpc/proto-loader and @grpc/reflection (its reflection protos) come from
// deploy/node/node_modules of the repository.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const QUERY_PROTO = 'sluice/query/v1/query.proto';
const VALIDATION_PROTO = 'sluice/validation/v1/validation.proto';
const HEALTH_PROTO = 'grpc/health/v1/health.proto';
// Every call gets a deadline so a broken server fails the scenario instead of hanging the test.
const CALL_TIMEOUT_MS = 30000;
const LISTENERS = ['gateway', 'ingestion', 'query', 'validation'];
const QUERY_SERVICE = 'sluice.query.v1.QueryService';
const VALIDATION_SERVICE = 'sluice.validation.v1.ValidationService';
const HEALTH_SERVICE = 'grpc.health.v1.Health';
const UNKNOWN_HEALTH_SERVICE = 'sluice.nothing.v1.Nothing';
const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const GZIP_ALGORITHM = 2; // grpc-js compression algorithm ids: 0 identity, 1 deflate, 2 gzip

// The validation scenario's schema: an object that needs a name and whose age is a small integer.
const PERSON_SCHEMA = JSON.stringify({
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' }, age: { type: 'integer', maximum: 150 } },
});
const VALID_PERSON = JSON.stringify({ name: 'Ada', age: 36 });
const INVALID_PERSON = JSON.stringify({ age: 200 });
const NOT_JSON = '{not json';
const UNKNOWN_SCHEMA = `no-such-schema-${crypto.randomUUID().replaceAll('-', '')}`;

// The query scenario: a parameterized aggregate on the demo sales table.
const QUERY_SQL = 'SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM sales '
  + 'WHERE amount > :min GROUP BY region ORDER BY region';
const QUERY_PARAMETERS = [{ name: 'min', value: '1000' }];

// The gzip scenario: a large, very compressible document with one bad item at the end.
const GZIP_ITEMS = 20000;
const GZIP_SCHEMA = JSON.stringify({
  type: 'object',
  properties: { items: { type: 'array', items: { type: 'integer', maximum: 9 } } },
});
const GZIP_DOCUMENT = JSON.stringify({ items: [...Array(GZIP_ITEMS).fill(7), 10] });

// What a grpcurl user would send to each service found by reflection, as JSON.
const DYNAMIC_CALLS = {
  [HEALTH_SERVICE]: ['Check', { service: '' }],
  [QUERY_SERVICE]: ['ExecuteStatement', {
    sql: 'SELECT COUNT(*) AS n FROM sales WHERE amount > :min',
    database: 'dev',
    parameters: [{ name: 'min', value: '1000' }],
  }],
  [VALIDATION_SERVICE]: ['ValidateDocument', { schema_json: '{"type": "string"}', document_json: '42' }],
};

function findRepoRoot() {
  if (process.env.SLUICE_REPO_ROOT) return path.resolve(process.env.SLUICE_REPO_ROOT);
  // Walk up so the script also works from a copy in a build output folder.
  let directory = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(directory, 'protos', QUERY_PROTO))) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`cannot find the repository root (protos/${QUERY_PROTO}) above ${__dirname}`);
    directory = parent;
  }
}

const repoRoot = findRepoRoot();
const deployPackage = path.join(repoRoot, 'deploy', 'node', 'package.json');
const requireFromDeploy = createRequire(deployPackage);
const grpc = requireFromDeploy('@grpc/grpc-js');
const protoLoader = requireFromDeploy('@grpc/proto-loader');
// protobufjs's descriptor.proto types (proto-loader's own dependency) decode FileDescriptorProtos.
const descriptor = requireFromDeploy('protobufjs/ext/descriptor');
const reflectionProtos = path.join(path.dirname(requireFromDeploy.resolve('@grpc/reflection/package.json')), 'build', 'proto');

// longs as String keeps int64 exact; oneofs adds a virtual property naming the member that is set.
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, bytes: Buffer, defaults: true, oneofs: true };
const loaded = grpc.loadPackageDefinition(protoLoader.loadSync([QUERY_PROTO, VALIDATION_PROTO, HEALTH_PROTO], {
  ...LOADER_OPTIONS,
  includeDirs: [path.join(repoRoot, 'protos')],
}));
const { QueryService } = loaded.sluice.query.v1;
const { ValidationService } = loaded.sluice.validation.v1;
const { Health } = loaded.grpc.health.v1;
const reflection = grpc.loadPackageDefinition(protoLoader.loadSync(
  ['grpc/reflection/v1alpha/reflection.proto', 'grpc/reflection/v1/reflection.proto'],
  { ...LOADER_OPTIONS, includeDirs: [reflectionProtos] },
)).grpc.reflection;

const statusName = (code) => grpc.status[code] ?? String(code);
const deadlineIn = (milliseconds) => ({ deadline: Date.now() + milliseconds });
const callOptions = () => deadlineIn(CALL_TIMEOUT_MS);
const insecure = () => grpc.credentials.createInsecure();

function packageVersion(name) {
  // Read package.json from the package's folder: subpath exports may not expose it.
  let directory = path.dirname(requireFromDeploy.resolve(name));
  for (;;) {
    const file = path.join(directory, 'package.json');
    if (fs.existsSync(file)) {
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (json.name === name) return json.version;
    }
    const parent = path.dirname(directory);
    if (parent === directory) return null;
    directory = parent;
  }
}

// A failed call's status name, message and raw grpc-status-details-bin (base64, or null).
function errorFields(error) {
  const details = error.metadata ? error.metadata.get(STATUS_DETAILS_KEY) : [];
  return {
    status: statusName(error.code),
    details: error.details,
    details_bin: details.length > 0 ? Buffer.from(details[0]).toString('base64') : null,
  };
}

// Unary call as a promise of { error, reply }: errors are observations, not exceptions.
function unary(client, method, request, options = callOptions()) {
  return new Promise((resolve) => {
    client[method](request, new grpc.Metadata(), options, (error, reply) => resolve({ error, reply }));
  });
}

// Every message of a server stream (passed to onMessage) and the status it ended with.
function readStream(client, method, request, onMessage = () => {}, options = callOptions()) {
  return new Promise((resolve) => {
    const call = client[method](request, options);
    call.on('data', onMessage);
    call.on('error', () => {}); // the status event below carries the outcome
    call.on('status', resolve);
  });
}

function withClients(factories, run) {
  const clients = factories.map(([Client, target, options]) => new Client(target, insecure(), options));
  return Promise.resolve(run(...clients)).finally(() => clients.forEach((client) => client.close()));
}

// One query Field as {member: value}: longs as decimal text (exact int64), blobs as base64.
function fieldObject(field) {
  const member = field.value;
  if (!member) return {};
  const value = field[member];
  return { [member]: Buffer.isBuffer(value) ? value.toString('base64') : value };
}

// ---- version ----------------------------------------------------------------------------------

async function check(health, service) {
  const { error, reply } = await unary(health, 'Check', { service });
  return error ? statusName(error.code) : reply.status;
}

const scenarios = {
  version: (targets) => withClients([[Health, targets.query]], async (health) => ({
    language: 'node',
    implementation: 'grpc-js',
    grpc_version: packageVersion('@grpc/grpc-js'),
    protobuf_version: packageVersion('protobufjs'),
    protobuf_implementation: `proto-loader ${packageVersion('@grpc/proto-loader')}`,
    runtime_version: process.versions.node,
    check: await check(health, ''),
  })),

  // ---- health ---------------------------------------------------------------------------------

  async health(targets) {
    const observed = {};
    for (const listener of LISTENERS) {
      observed[listener] = await withClients([[Health, targets[listener]]], async (health) => {
        const checks = {};
        for (const service of ['', QUERY_SERVICE, VALIDATION_SERVICE]) checks[service] = await check(health, service);
        return { check: checks, check_unknown: await check(health, UNKNOWN_HEALTH_SERVICE), watch: await watchFirst(health, '') };
      });
    }
    return observed;
  },

  // ---- deadline -------------------------------------------------------------------------------

  // Watch never ends by itself: a 300 ms deadline must end it with DEADLINE_EXCEEDED.
  deadline: (targets) => withClients([[Health, targets.gateway]], async (health) => {
    await check(health, ''); // connect first, so that the deadline measures the call and not the connection
    const started = process.hrtime.bigint();
    let messages = 0;
    const status = await readStream(health, 'Watch', { service: '' }, () => { messages += 1; }, deadlineIn(300));
    return { status: statusName(status.code), messages, elapsed_ms: Number((process.hrtime.bigint() - started) / 1000000n) };
  }),

  // ---- validation -----------------------------------------------------------------------------

  validation: (targets) => withClients([[ValidationService, targets.validation]], async (validation) => {
    const observed = {
      valid: await validate(validation, { schema_json: PERSON_SCHEMA, document_json: VALID_PERSON }),
      invalid: await validate(validation, { schema_json: PERSON_SCHEMA, document_json: INVALID_PERSON }),
      bad_field: await validate(validation, { schema_json: PERSON_SCHEMA, document_json: NOT_JSON }),
    };
    const { error } = await unary(validation, 'GetSchema', { name: UNKNOWN_SCHEMA });
    observed.unknown_schema = { ...(error ? errorFields(error) : { status: 'OK', details: null, details_bin: null }), name: UNKNOWN_SCHEMA };
    return observed;
  }),

  // ---- gzip -----------------------------------------------------------------------------------

  async gzip(targets) {
    const compressed = { 'grpc.default_compression_algorithm': GZIP_ALGORITHM };
    return withClients([[ValidationService, targets.validation, compressed], [Health, targets.query, compressed]], async (validation, health) => {
      const request = { schema_json: GZIP_SCHEMA, document_json: GZIP_DOCUMENT };
      const observed = await validate(validation, request);
      observed.request_bytes = ValidationService.service.ValidateDocument.requestSerialize(request).length;
      observed.health_check = await check(health, '');
      return observed;
    });
  },

  // ---- query ----------------------------------------------------------------------------------

  query: (targets) => withClients([[QueryService, targets.query]], async (query) => {
    const observed = { execute: null, watch: null, stream: null };
    const executed = await unary(query, 'ExecuteStatement', { sql: QUERY_SQL, database: 'dev', parameters: QUERY_PARAMETERS });
    observed.execute = executed.error
      ? { ...errorFields(executed.error), id: null, database: null }
      : { status: 'OK', id: executed.reply.id, database: executed.reply.database };
    const { id } = observed.execute;

    if (id) {
      const watch = { status: 'OK', statuses: [] };
      const watched = await readStream(query, 'WatchStatement', { id }, (change) => watch.statuses.push(change.statement.status));
      if (watched.code !== grpc.status.OK) Object.assign(watch, { status: statusName(watched.code), details: watched.details });
      observed.watch = watch;

      const stream = { status: 'OK', message_kinds: [], columns: null, total_num_rows: null, records: [] };
      const streamed = await readStream(query, 'StreamStatementResult', { id }, (message) => {
        stream.message_kinds.push(message.payload);
        if (message.payload === 'metadata') {
          stream.columns = message.metadata.column_metadata.map((column) => column.name);
          stream.total_num_rows = Number(message.metadata.total_num_rows);
        } else if (message.payload === 'batch') {
          stream.records.push(...message.batch.records.map((record) => record.fields.map(fieldObject)));
        }
      });
      if (streamed.code !== grpc.status.OK) Object.assign(stream, { status: statusName(streamed.code), details: streamed.details });
      observed.stream = stream;
    }

    const unknown = crypto.randomUUID();
    const described = await unary(query, 'DescribeStatement', { id: unknown });
    observed.unknown_describe = described.error ? statusName(described.error.code) : 'OK';
    observed.unknown_watch = statusName((await readStream(query, 'WatchStatement', { id: unknown })).code);
    return observed;
  }),

  // ---- unimplemented --------------------------------------------------------------------------

  unimplemented: (targets) => withClients([[grpc.Client, targets.query], [grpc.Client, targets.validation]], async (query, validation) => ({
    unknown_method: await rawUnaryStatus(query, `/${QUERY_SERVICE}/NoSuchMethod`),
    unknown_service: await rawUnaryStatus(query, '/sluice.nothing.v1.Nothing/Call'),
    validation_on_query_listener: await rawUnaryStatus(query, `/${VALIDATION_SERVICE}/GetSchema`),
    query_on_validation_listener: await rawUnaryStatus(validation, `/${QUERY_SERVICE}/DescribeStatement`),
    // Control: the same raw call shape on the right listener reaches the service.
    validation_on_validation_listener: await rawUnaryStatus(validation, `/${VALIDATION_SERVICE}/GetSchema`),
  })),

  // ---- reflection -----------------------------------------------------------------------------

  async reflection(targets) {
    const observed = {};
    for (const listener of LISTENERS) {
      observed[listener] = {
        v1alpha: await reflect(targets[listener], reflection.v1alpha.ServerReflection),
        v1: await reflect(targets[listener], reflection.v1.ServerReflection),
      };
    }
    return observed;
  },
};

// The first status a Watch sends; the call is then cancelled (Watch never ends by itself).
function watchFirst(health, service) {
  return new Promise((resolve) => {
    const call = health.Watch({ service }, callOptions());
    let first = null;
    call.on('data', (reply) => {
      if (first === null) {
        first = reply.status;
        call.cancel();
      }
    });
    call.on('error', () => {});
    call.on('status', (status) => {
      if (first !== null) resolve({ status: 'OK', first });
      else resolve({ status: status.code === grpc.status.OK ? 'ENDED' : statusName(status.code), first: null });
    });
  });
}

async function validate(validation, request) {
  const { error, reply } = await unary(validation, 'ValidateDocument', request);
  if (error) return { ...errorFields(error), valid: null, errors: null };
  return {
    status: 'OK',
    valid: reply.valid,
    errors: reply.errors.map(({ instance_location, keyword, schema_location, message }) => ({ instance_location, keyword, schema_location, message })),
  };
}

// Calls `method` with an empty message, as a client with other stubs than the server's would.
function rawUnaryStatus(client, method) {
  return new Promise((resolve) => {
    client.makeUnaryRequest(method, (message) => message, (bytes) => bytes, Buffer.alloc(0), new grpc.Metadata(), callOptions(),
      (error) => resolve(error ? statusName(error.code) : 'OK'));
  });
}

// One ServerReflectionInfo stream, used as grpcurl does: a request, then its answer.
function conversation(client) {
  const call = client.ServerReflectionInfo(callOptions());
  const ended = new Promise((resolve) => call.on('status', resolve));
  call.on('error', () => {}); // the status carries the outcome
  const responses = call[Symbol.asyncIterator]();
  return {
    async ask(request) {
      call.write(request);
      const { value, done } = await responses.next();
      if (done) throw Object.assign(new Error('the reflection stream ended'), { status: await ended });
      return value;
    },
    async close() {
      call.end();
      for (let next = await responses.next(); !next.done; next = await responses.next());
      return ended;
    },
  };
}

// A FileDescriptorSet of serialized FileDescriptorProtos: field 1, repeated, length-delimited.
function fileDescriptorSet(files) {
  const parts = [];
  for (const file of files) {
    const length = [];
    for (let n = file.length; ; n >>>= 7) {
      if (n < 0x80) { length.push(n); break; }
      length.push((n & 0x7f) | 0x80);
    }
    parts.push(Buffer.from([0x0a, ...length]), file);
  }
  return Buffer.concat(parts);
}

// Builds the method from the reflected descriptors only and calls it with a JSON request.
async function dynamicCall(target, files, serviceName) {
  if (!(serviceName in DYNAMIC_CALLS)) return null;
  const [method, request] = DYNAMIC_CALLS[serviceName];
  const definition = protoLoader.loadFileDescriptorSetFromBuffer(fileDescriptorSet(files), { ...LOADER_OPTIONS, defaults: false });
  const Service = serviceName.split('.').reduce((scope, name) => scope[name], grpc.loadPackageDefinition(definition));
  return withClients([[Service, target]], async (client) => {
    const { error, reply } = await unary(client, method, request);
    if (error) return { method, ...errorFields(error), response: null };
    return { method, status: 'OK', response: JSON.parse(JSON.stringify(reply)) };
  });
}

async function reflect(target, ServerReflection) {
  return withClients([[ServerReflection, target]], async (client) => {
    const observed = { status: 'OK', services: null, symbols: {}, unknown_symbol_error_code: null, by_filename: null };
    const talk = conversation(client);
    try {
      const listed = await talk.ask({ list_services: '' });
      observed.services = listed.list_services_response.service.map((service) => service.name);
      for (const serviceName of observed.services) {
        const answer = await talk.ask({ file_containing_symbol: serviceName });
        if (answer.message_response !== 'file_descriptor_response') {
          observed.symbols[serviceName] = { error_code: answer.error_response.error_code };
          continue;
        }
        const files = answer.file_descriptor_response.file_descriptor_proto;
        const protos = files.map((file) => descriptor.FileDescriptorProto.decode(file));
        const declaring = protos.find((proto) => (proto.service || []).some((s) => `${proto.package}.${s.name}` === serviceName));
        const service = declaring ? declaring.service.find((s) => `${declaring.package}.${s.name}` === serviceName) : null;
        observed.symbols[serviceName] = {
          files: protos.map((proto) => proto.name),
          file: declaring ? declaring.name : null,
          methods: service ? service.method.map((method) => method.name) : null,
          streaming: service ? Object.fromEntries(service.method.map((method) => [method.name, [!!method.clientStreaming, !!method.serverStreaming]])) : null,
          dynamic_call: await dynamicCall(target, files, serviceName),
        };
      }
      const unknown = await talk.ask({ file_containing_symbol: 'sluice.nothing.v1.Nothing' });
      observed.unknown_symbol_error_code = unknown.message_response === 'error_response' ? unknown.error_response.error_code : 0;
      // Each file a service was found in, asked for again by its name.
      observed.by_filename = {};
      const filenames = [...new Set(Object.values(observed.symbols).map((symbol) => symbol.file).filter(Boolean))].sort();
      for (const filename of filenames) {
        const byName = await talk.ask({ file_by_filename: filename });
        observed.by_filename[filename] = byName.message_response === 'file_descriptor_response'
          ? byName.file_descriptor_response.file_descriptor_proto.map((file) => descriptor.FileDescriptorProto.decode(file).name)
          : { error_code: byName.error_response.error_code };
      }
      const status = await talk.close();
      if (status.code !== grpc.status.OK) Object.assign(observed, { status: statusName(status.code), details: status.details });
    } catch (error) {
      if (!error.status) throw error;
      Object.assign(observed, { status: statusName(error.status.code), details: error.status.details });
    }
    return observed;
  });
}

function parseArguments(argv) {
  const usage = 'usage: node peer_client.js --scenario NAME --gateway H:P --ingestion H:P --query H:P --validation H:P';
  const options = {};
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    if (!flag.startsWith('--') || i + 1 >= argv.length) throw new Error(`${usage} (bad argument ${flag})`);
    options[flag.slice(2)] = argv[i + 1];
  }
  if (!(options.scenario in scenarios)) throw new Error(`${usage} (scenarios: ${Object.keys(scenarios).join(', ')})`);
  for (const listener of LISTENERS) if (!options[listener]) throw new Error(usage);
  return options;
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const observed = await scenarios[options.scenario](options);
  // Exit only once stdout is flushed: it is a pipe, and pipe writes are asynchronous in Node.
  process.stdout.write(`${JSON.stringify(observed)}\n`, () => process.exit(0));
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
