'use strict';
// The current AWS SDK for JavaScript (@aws-sdk/client-redshift-data, whose model has ResultFormat,
// sessions and GetStatementResultV2) against Sluice's Redshift Data API endpoint.
//
// Usage: node data_api_sdk.js --endpoint http://127.0.0.1:PORT --access-key ID --secret-key SECRET --slow-sql SQL --csv-sql SQL. Prints one JSON object: for each
// request of the scenario, {ok: true, ...} or {error: name, message}; a CSV result read with
// GetStatementResultV2 page by page is {ok: true, pages, csv (the pages' CSVRecords joined), ...}. Exits 0 whenever the scenario
// ran; non-zero means the peer itself crashed.

const { repoRequire, argument, outcome } = require('../../Shared/peers/aws_sdk_peer.js');
const sdk = repoRequire('@aws-sdk/client-redshift-data');

async function waitFinished(client, id) {
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    const described = await client.send(new sdk.DescribeStatementCommand({ Id: id }));
    if (['FINISHED', 'FAILED', 'ABORTED'].includes(described.Status)) {
      return described.Status;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return 'TIMEOUT';
}

async function readCsvPages(client, id) {
  const pages = [];
  let NextToken;
  do {
    const page = await client.send(new sdk.GetStatementResultV2Command({ Id: id, NextToken }));
    pages.push(page);
    NextToken = page.NextToken;
  } while (NextToken && pages.length < 100);
  return {
    ok: true,
    pages: pages.length,
    csv: pages.flatMap((page) => page.Records || []).map((record) => record.CSVRecords).join(''),
    columns: (pages[0].ColumnMetadata || []).map((column) => column.name),
    TotalNumRows: pages[0].TotalNumRows,
    ResultFormat: pages[0].ResultFormat,
  };
}

async function main() {
  const client = new sdk.RedshiftDataClient({
    endpoint: argument('--endpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: argument('--access-key'), secretAccessKey: argument('--secret-key') },
    maxAttempts: 1,
  });
  const name = `sdk-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const result = {};
  const base = { Database: 'dev', Sql: 'SELECT 1 AS one' };
  result.neither = await outcome(() => client.send(new sdk.ExecuteStatementCommand(base)));
  result.both = await outcome(() => client.send(new sdk.ExecuteStatementCommand({ ...base, ClusterIdentifier: 'local', WorkgroupName: 'wg' })));
  result.workgroupWithDbUser = await outcome(() => client.send(new sdk.ExecuteStatementCommand({ ...base, WorkgroupName: 'wg', DbUser: 'analyst' })));
  result.secretAndDbUser = await outcome(() => client.send(new sdk.ExecuteStatementCommand({ ...base, ClusterIdentifier: 'local', SecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x', DbUser: 'analyst' })));
  result.waitTime = await outcome(() => client.send(new sdk.ExecuteStatementCommand({ ...base, ClusterIdentifier: 'local', WaitTimeSeconds: 5 })));
  result.xml = await outcome(() => client.send(new sdk.ExecuteStatementCommand({ ...base, ClusterIdentifier: 'local', ResultFormat: 'XML' })));
  result.csv = await outcome(() => client.send(new sdk.ExecuteStatementCommand({
    Database: 'dev', Sql: argument('--csv-sql'), ClusterIdentifier: 'local', ResultFormat: 'CSV', StatementName: `csv-${name}`,
  })));
  if (result.csv.ok) {
    result.csvStatus = await waitFinished(client, result.csv.Id);
    result.csvDescribe = await outcome(() => client.send(new sdk.DescribeStatementCommand({ Id: result.csv.Id })));
    result.csvPages = await outcome(() => readCsvPages(client, result.csv.Id));
    result.csvAsJson = await outcome(() => client.send(new sdk.GetStatementResultCommand({ Id: result.csv.Id })));
    result.csvListed = await outcome(() => client.send(new sdk.ListStatementsCommand({ StatementName: `csv-${name}` })));
  }
  result.batchCsv = await outcome(() => client.send(new sdk.BatchExecuteStatementCommand({ Database: 'dev', Sqls: ['SELECT 1 AS one', "SELECT 'x' AS two"], WorkgroupName: 'wg', ResultFormat: 'CSV' })));
  if (result.batchCsv.ok) {
    result.batchCsvStatus = await waitFinished(client, result.batchCsv.Id);
    result.batchCsvPages = await outcome(() => readCsvPages(client, `${result.batchCsv.Id}:2`));
  }
  result.json = await outcome(() => client.send(new sdk.ExecuteStatementCommand({ ...base, WorkgroupName: 'wg', ResultFormat: 'JSON', StatementName: `${name}-done` })));
  if (result.json.ok) {
    result.jsonStatus = await waitFinished(client, result.json.Id);
    result.describe = await outcome(() => client.send(new sdk.DescribeStatementCommand({ Id: result.json.Id })));
    result.jsonAsCsv = await outcome(() => client.send(new sdk.GetStatementResultV2Command({ Id: result.json.Id })));
  }
  result.slow = await outcome(() => client.send(new sdk.ExecuteStatementCommand({
    Database: 'dev', Sql: argument('--slow-sql'), ClusterIdentifier: 'local', StatementName: `${name}-slow`,
  })));
  result.listDefault = await outcome(() => client.send(new sdk.ListStatementsCommand({ StatementName: name })));
  result.listAll = await outcome(() => client.send(new sdk.ListStatementsCommand({ StatementName: name, Status: 'ALL' })));
  if (result.slow.ok) {
    result.cancel = await outcome(() => client.send(new sdk.CancelStatementCommand({ Id: result.slow.Id })));
  }
  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(2);
});
