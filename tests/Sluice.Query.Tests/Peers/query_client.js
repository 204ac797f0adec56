'use strict';
// Real grpc-js client of sluice.query.v1.QueryService for Sluice's query interop tests.
//
// Usage: node query_client.js --target 127.0.0.1:PORT --database NAME
// Runs the same scenario as query_client.py and prints one JSON object with the same keys on
// stdout (the C# test asserts on them). Exits 0 whenever the scenario ran, even if calls ended
// with a gRPC error status; non-zero means the peer itself crashed.
// @grpc/grpc-js and @grpc/proto-loader come from deploy/node/node_modules of the repository.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const QUERY_PROTO = 'sluice/query/v1/query.proto';
// Every call gets a deadline so a broken server fails the scenario instead of hanging the test.
const CALL_TIMEOUT_MS = 30000;
const SQL = 'SELECT id, region, amount FROM sales WHERE amount > :min ORDER BY id';
const PARAMETERS = [{ name: 'min', value: '1000' }];
// Decodes as base64 but is no token the server issued.
const INVALID_NEXT_TOKEN = 'bm90LWEtdG9rZW4=';

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
const requireFromDeploy = createRequire(path.join(repoRoot, 'deploy', 'node', 'package.json'));
const grpc = requireFromDeploy('@grpc/grpc-js');
const protoLoader = requireFromDeploy('@grpc/proto-loader');

// longs as String keeps int64 exact; oneofs adds a virtual property naming the member that is set.
// google/protobuf/timestamp.proto comes from proto-loader's bundled well-known types.
const packageDefinition = protoLoader.loadSync(QUERY_PROTO, {
  includeDirs: [path.join(repoRoot, 'protos')],
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
});
const QueryService = grpc.loadPackageDefinition(packageDefinition).sluice.query.v1.QueryService;

const statusName = (code) => grpc.status[code] ?? String(code);
const callOptions = () => ({ deadline: Date.now() + CALL_TIMEOUT_MS });

// Unary call as a promise of { error, reply }: errors are observations, not exceptions.
function unary(client, method, request) {
  return new Promise((resolve) => {
    client[method](request, new grpc.Metadata(), callOptions(), (error, reply) => resolve({ error, reply }));
  });
}

// Every message of a server stream and the status it ended with.
function readStream(client, method, request, onMessage = () => {}) {
  return new Promise((resolve) => {
    const call = client[method](request, callOptions());
    call.on('data', onMessage);
    call.on('error', () => {}); // the status event below carries the outcome
    call.on('status', resolve);
  });
}

// One Field as {member: value}: longs as decimal text (exact int64), blobs as base64, {} if unset.
function fieldObject(field) {
  const member = field.value;
  if (!member) return {};
  const value = field[member];
  return { [member]: Buffer.isBuffer(value) ? value.toString('base64') : value };
}

const recordsOf = (records) => records.map((record) => record.fields.map(fieldObject));
// The first column as numbers, as a reader of `SELECT id, ...` would use it (null if not a long).
const idsOf = (records) => records.map((record) =>
  (record.fields.length > 0 && record.fields[0].value === 'long_value' ? Number(record.fields[0].long_value) : null));
const columnNames = (columnMetadata) => columnMetadata.map((column) => column.name);

async function execute(client, database) {
  const { error, reply } = await unary(client, 'ExecuteStatement', { sql: SQL, database, parameters: PARAMETERS });
  if (error) return { status: statusName(error.code), details: error.details, id: null };
  return { status: 'OK', id: reply.id };
}

// Read to its end: the server sends every state change and closes the stream after the terminal one.
async function watch(client, id) {
  const observed = { status: 'OK', statuses: [] };
  const status = await readStream(client, 'WatchStatement', { id }, (change) => {
    observed.statuses.push(change.statement.status);
  });
  if (status.code !== grpc.status.OK) Object.assign(observed, { status: statusName(status.code), details: status.details });
  return observed;
}

async function describe(client, id) {
  const { error, reply } = await unary(client, 'DescribeStatement', { id });
  if (error) {
    return { status: statusName(error.code), details: error.details, statement_status: null, result_rows: null,
      has_result_set: null, query_parameters: null };
  }
  return {
    status: 'OK',
    statement_status: reply.status,
    result_rows: Number(reply.result_rows),
    has_result_set: reply.has_result_set,
    query_parameters: reply.query_parameters.map(({ name, value }) => ({ name, value })),
  };
}

async function stream(client, id) {
  const observed = { status: 'OK', message_kinds: [], columns: null, total_num_rows: null, batches: 0,
    batch_rows: [], records: [], ids: [] };
  const status = await readStream(client, 'StreamStatementResult', { id }, (message) => {
    observed.message_kinds.push(message.payload);
    if (message.payload === 'metadata') {
      observed.columns = columnNames(message.metadata.column_metadata);
      observed.total_num_rows = Number(message.metadata.total_num_rows);
    } else if (message.payload === 'batch') {
      const { records } = message.batch;
      observed.batches += 1;
      observed.batch_rows.push(records.length);
      observed.records.push(...recordsOf(records));
      observed.ids.push(...idsOf(records));
    }
  });
  if (status.code !== grpc.status.OK) Object.assign(observed, { status: statusName(status.code), details: status.details });
  return observed;
}

async function pages(client, id) {
  const observed = { status: 'OK', pages: 0, page_rows: [], page_columns: [], page_total_num_rows: [], records: [],
    ids: [] };
  let nextToken = '';
  do {
    const { error, reply: page } = await unary(client, 'GetStatementResult', { id, next_token: nextToken });
    if (error) return Object.assign(observed, { status: statusName(error.code), details: error.details });
    observed.pages += 1;
    observed.page_rows.push(page.records.length);
    observed.page_columns.push(columnNames(page.column_metadata));
    observed.page_total_num_rows.push(Number(page.total_num_rows));
    observed.records.push(...recordsOf(page.records));
    observed.ids.push(...idsOf(page.records));
    nextToken = page.next_token;
  } while (nextToken);
  return observed;
}

async function invalidNextToken(client, id) {
  const { error } = await unary(client, 'GetStatementResult', { id, next_token: INVALID_NEXT_TOKEN });
  return error ? { status: statusName(error.code), details: error.details } : { status: 'OK', details: null };
}

async function unknownId(client) {
  const id = crypto.randomUUID();
  const unaryStatus = async (method) => {
    const { error } = await unary(client, method, { id });
    return error ? statusName(error.code) : 'OK';
  };
  return {
    describe: await unaryStatus('DescribeStatement'),
    get_result: await unaryStatus('GetStatementResult'),
    stream_result: statusName((await readStream(client, 'StreamStatementResult', { id })).code),
  };
}

async function run(client, database) {
  const executed = await execute(client, database);
  const { id } = executed;
  // Without a statement the calls on it cannot run: their keys stay null.
  const onStatement = (step) => (id ? step(client, id) : null);
  return {
    execute: executed,
    watch: await onStatement(watch),
    describe: await onStatement(describe),
    stream: await onStatement(stream),
    paged: await onStatement(pages),
    invalid_next_token: await onStatement(invalidNextToken),
    unknown_id: await unknownId(client),
  };
}

function parseArguments(argv) {
  const usage = 'usage: node query_client.js --target HOST:PORT --database NAME';
  const options = {};
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    if (!['--target', '--database'].includes(flag) || i + 1 >= argv.length) throw new Error(`${usage} (bad argument ${flag})`);
    options[flag.slice(2)] = argv[i + 1];
  }
  if (!options.target || !options.database) throw new Error(usage);
  return options;
}

async function main() {
  const { target, database } = parseArguments(process.argv.slice(2));
  const client = new QueryService(target, grpc.credentials.createInsecure());
  let observed;
  try {
    observed = await run(client, database);
  } finally {
    client.close();
  }
  // Exit only once stdout is flushed: it is a pipe, and pipe writes are asynchronous in Node.
  process.stdout.write(`${JSON.stringify(observed)}\n`, () => process.exit(0));
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
