'use strict';
// Sessions of the Redshift Data API (SessionKeepAliveSeconds, SessionId) through the current AWS
// SDK for JavaScript (@aws-sdk/client-redshift-data) against Sluice's Data API endpoint.
//
// Usage: node data_api_sessions.js --endpoint http://127.0.0.1:PORT --access-key ID --secret-key SECRET --slow-sql SQL
// Prints one JSON object: for each request of the scenario, {ok: true, ...response} or
// {error: name, message}. Nothing here asserts; the C# test decides. Exits 0 whenever the scenario
// ran; non-zero means the peer itself crashed.

const { repoRequire, argument, outcome } = require('../../Shared/peers/aws_sdk_peer.js');
const sdk = repoRequire('@aws-sdk/client-redshift-data');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitStatus(client, id, statuses) {
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    const described = await client.send(new sdk.DescribeStatementCommand({ Id: id }));
    if (statuses.includes(described.Status)) {
      return described.Status;
    }
    await sleep(100);
  }
  return 'TIMEOUT';
}

const waitEnd = (client, id) => waitStatus(client, id, ['FINISHED', 'FAILED', 'ABORTED']);

async function main() {
  const client = new sdk.RedshiftDataClient({
    endpoint: argument('--endpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: argument('--access-key'), secretAccessKey: argument('--secret-key') },
    maxAttempts: 1,
  });
  const name = `session-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const result = {};

  // A temporary table created in one statement, read by the next in the same session.
  result.open = await outcome(() => client.send(new sdk.ExecuteStatementCommand({
    ClusterIdentifier: 'local', Database: 'dev', Sql: 'CREATE TEMP TABLE staged AS SELECT 7 AS n', SessionKeepAliveSeconds: 300, StatementName: name,
  })));
  if (!result.open.ok) {
    process.stdout.write(JSON.stringify(result));
    return;
  }
  const sessionId = result.open.SessionId;
  result.openStatus = await waitEnd(client, result.open.Id);
  result.reuse = await outcome(() => client.send(new sdk.ExecuteStatementCommand({ Sql: 'SELECT n FROM staged', SessionId: sessionId, StatementName: name })));
  if (result.reuse.ok) {
    result.reuseStatus = await waitEnd(client, result.reuse.Id);
    result.reuseDescribe = await outcome(() => client.send(new sdk.DescribeStatementCommand({ Id: result.reuse.Id })));
    result.reuseResult = await outcome(() => client.send(new sdk.GetStatementResultCommand({ Id: result.reuse.Id })));
  }
  result.batch = await outcome(() => client.send(new sdk.BatchExecuteStatementCommand({
    Sqls: ['INSERT INTO staged VALUES (8)', 'SELECT count(*) AS total FROM staged'], SessionId: sessionId,
  })));
  if (result.batch.ok) {
    result.batchStatus = await waitEnd(client, result.batch.Id);
    result.batchResult = await outcome(() => client.send(new sdk.GetStatementResultCommand({ Id: `${result.batch.Id}:2` })));
  }
  result.listed = await outcome(() => client.send(new sdk.ListStatementsCommand({ StatementName: name })));

  // Refusals: the session with a target beside it, an unknown session, a busy one.
  result.withDatabase = await outcome(() => client.send(new sdk.ExecuteStatementCommand({ Sql: 'SELECT 1', SessionId: sessionId, Database: 'dev' })));
  result.withCluster = await outcome(() => client.send(new sdk.BatchExecuteStatementCommand({ Sqls: ['SELECT 1'], SessionId: sessionId, ClusterIdentifier: 'local' })));
  result.unknown = await outcome(() => client.send(new sdk.ExecuteStatementCommand({ Sql: 'SELECT 1', SessionId: '00000000-0000-4000-8000-000000000000' })));
  result.keepAliveTooLong = await outcome(() => client.send(new sdk.ExecuteStatementCommand({
    ClusterIdentifier: 'local', Database: 'dev', Sql: 'SELECT 1', SessionKeepAliveSeconds: 86401,
  })));
  result.slow = await outcome(() => client.send(new sdk.ExecuteStatementCommand({ Sql: argument('--slow-sql'), SessionId: sessionId })));
  if (result.slow.ok) {
    result.slowStatus = await waitStatus(client, result.slow.Id, ['STARTED', 'FINISHED', 'FAILED', 'ABORTED']);
    result.busy = await outcome(() => client.send(new sdk.ExecuteStatementCommand({ Sql: 'SELECT 1', SessionId: sessionId })));
    result.cancel = await outcome(() => client.send(new sdk.CancelStatementCommand({ Id: result.slow.Id })));
    result.slowEnd = await waitEnd(client, result.slow.Id);
  }

  // Expiry: a one-second keep-alive. The service counts it from the statement's end, which came
  // before this client saw FINISHED, so after 1.5 s more it has run out however slow the machine.
  // (Probing earlier would restart it: any statement in the session does.)
  result.short = await outcome(() => client.send(new sdk.ExecuteStatementCommand({
    WorkgroupName: 'wg', Database: 'dev', Sql: 'SELECT 1 AS one', SessionKeepAliveSeconds: 1,
  })));
  if (result.short.ok) {
    result.shortStatus = await waitEnd(client, result.short.Id);
    await sleep(1500);
    result.expired = await outcome(() => client.send(new sdk.ExecuteStatementCommand({ Sql: 'SELECT 1', SessionId: result.short.SessionId })));
  }
  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(2);
});
