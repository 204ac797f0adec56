'use strict';
// The AWS SDK for JavaScript v3 (@aws-sdk/client-api-gateway) against the gateway's API Gateway
// management API: the pet store imported, deployed, put behind a key and a usage plan, called
// until throttled, its usage read, a method test-invoked, and refusals (unknown id, bad patch,
// wrong secret) seen as the SDK's typed errors.
//
// Usage: node management_sdk.js --scenario petstore|refusals --endpoint URL --access-key ID --secret-key SECRET
//   --document FILE [--rest-url URL --petstore-host HOST:PORT (petstore)]
// The refusals scenario sends unknown ids, bad bodies and bad patch operations, and pages through
// keys. Prints one JSON object: for each step {ok: true, ...response} or {error: name, status, message}.
// Exits 0 whenever the scenario ran; non-zero means the peer itself crashed.

const fs = require('node:fs');
const { repoRequire, argument, outcome } = require('../../Shared/peers/aws_sdk_peer.js');
const sdk = repoRequire('@aws-sdk/client-api-gateway');

function client(secret) {
  return new sdk.APIGatewayClient({
    endpoint: argument('--endpoint'),
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: argument('--access-key'), secretAccessKey: secret },
  });
}

async function petstore() {
  const gateway = client(argument('--secret-key'));
  const send = (command) => outcome(() => gateway.send(command));
  const observed = {};

  observed.imported = await send(new sdk.ImportRestApiCommand({ body: fs.readFileSync(argument('--document')) }));
  const restApiId = observed.imported.id;
  observed.resources = await send(new sdk.GetResourcesCommand({ restApiId, embed: ['methods'] }));
  const pets = observed.resources.items.find((r) => r.path === '/pets');
  observed.deployment = await send(new sdk.CreateDeploymentCommand({
    restApiId, stageName: 'sdk', variables: { petstoreHost: argument('--petstore-host') },
  }));
  observed.stages = await send(new sdk.GetStagesCommand({ restApiId }));
  observed.key = await send(new sdk.CreateApiKeyCommand({ name: 'sdk-key', enabled: true }));
  observed.plan = await send(new sdk.CreateUsagePlanCommand({
    name: 'sdk-plan',
    apiStages: [{ apiId: restApiId, stage: 'sdk' }],
    throttle: { burstLimit: 1, rateLimit: 0.1 },
    quota: { limit: 50, offset: 0, period: 'DAY' },
  }));
  observed.planKey = await send(new sdk.CreateUsagePlanKeyCommand({ usagePlanId: observed.plan.id, keyId: observed.key.id, keyType: 'API_KEY' }));

  const url = `${argument('--rest-url')}/${restApiId}/sdk/pets`;
  const statuses = [];
  while (statuses.length < 30 && !statuses.includes(429)) {
    const response = await fetch(url, { headers: { 'x-api-key': observed.key.value } });
    await response.text();
    statuses.push(response.status);
  }
  observed.statuses = statuses;

  const today = new Date().toISOString().slice(0, 10);
  observed.usage = await send(new sdk.GetUsageCommand({ usagePlanId: observed.plan.id, startDate: today, endDate: today }));
  observed.badPatch = await send(new sdk.UpdateUsagePlanCommand({
    usagePlanId: observed.plan.id,
    patchOperations: [{ op: 'replace', path: '/name', value: 'renamed' }, { op: 'replace', path: '/productCode', value: 'x' }],
  }));
  observed.planAfterBadPatch = await send(new sdk.GetUsagePlanCommand({ usagePlanId: observed.plan.id }));
  observed.disabled = await send(new sdk.UpdateApiKeyCommand({
    apiKey: observed.key.id, patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
  }));
  const refused = await fetch(url, { headers: { 'x-api-key': observed.key.value } });
  observed.disabledStatus = refused.status;
  await refused.text();

  observed.testInvoke = await send(new sdk.TestInvokeMethodCommand({
    restApiId, resourceId: pets.id, httpMethod: 'GET', pathWithQueryString: '/pets?type=dog',
  }));
  observed.unknownApi = await send(new sdk.GetRestApiCommand({ restApiId: 'nosuchapi' }));
  observed.wrongSecret = await outcome(() => client('not-the-secret').send(new sdk.GetRestApisCommand({})));
  observed.deleted = await send(new sdk.DeleteApiKeyCommand({ apiKey: observed.key.id }));
  observed.afterDelete = await send(new sdk.GetApiKeyCommand({ apiKey: observed.key.id }));
  return observed;
}

async function refusals() {
  const gateway = client(argument('--secret-key'));
  const send = (command) => outcome(() => gateway.send(command));
  const observed = {};
  const today = new Date().toISOString().slice(0, 10);

  const api = await send(new sdk.ImportRestApiCommand({ body: fs.readFileSync(argument('--document')) }));
  const restApiId = api.id;
  const key = await send(new sdk.CreateApiKeyCommand({ name: 'refusals-key', description: 'before' }));
  const plan = await send(new sdk.CreateUsagePlanCommand({ name: 'refusals-plan', throttle: { burstLimit: 5, rateLimit: 10 } }));
  observed.setup = { api, key, plan };

  // Unknown ids: NotFoundException, each naming the id.
  observed.notFound = {
    getStages: await send(new sdk.GetStagesCommand({ restApiId: 'nosuchapi' })),
    getMethod: await send(new sdk.GetMethodCommand({ restApiId, resourceId: 'nosuchres', httpMethod: 'GET' })),
    createDeployment: await send(new sdk.CreateDeploymentCommand({ restApiId: 'nosuchapi', stageName: 'dev' })),
    createStage: await send(new sdk.CreateStageCommand({ restApiId, stageName: 'other', deploymentId: 'nosuchdep' })),
    getDeployment: await send(new sdk.GetDeploymentCommand({ restApiId, deploymentId: 'nosuchdep' })),
    deleteDeployment: await send(new sdk.DeleteDeploymentCommand({ restApiId, deploymentId: 'nosuchdep' })),
    updateStage: await send(new sdk.UpdateStageCommand({ restApiId, stageName: 'nosuchstage', patchOperations: [{ op: 'replace', path: '/variables/a', value: 'b' }] })),
    flushStageCache: await send(new sdk.FlushStageCacheCommand({ restApiId, stageName: 'nosuchstage' })),
    deleteApiKey: await send(new sdk.DeleteApiKeyCommand({ apiKey: 'nosuchkey' })),
    updateUsagePlan: await send(new sdk.UpdateUsagePlanCommand({ usagePlanId: 'nosuchplan', patchOperations: [{ op: 'replace', path: '/name', value: 'x' }] })),
    createUsagePlanKey: await send(new sdk.CreateUsagePlanKeyCommand({ usagePlanId: 'nosuchplan', keyId: key.id, keyType: 'API_KEY' })),
    getUsage: await send(new sdk.GetUsageCommand({ usagePlanId: 'nosuchplan', startDate: today, endDate: today })),
    planStage: await send(new sdk.CreateUsagePlanCommand({ name: 'bad', apiStages: [{ apiId: 'nosuchapi', stage: 'dev' }] })),
  };

  // Bad documents and bodies: BadRequestException naming the problem.
  observed.badRequest = {
    notADocument: await send(new sdk.ImportRestApiCommand({ body: Buffer.from('just: [text') })),
    merge: await send(new sdk.PutRestApiCommand({ restApiId, mode: 'merge', body: fs.readFileSync(argument('--document')) })),
    keyType: await send(new sdk.CreateUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: key.id, keyType: 'COGNITO' })),
    quotaPeriod: await send(new sdk.CreateUsagePlanCommand({ name: 'bad', quota: { limit: 10, period: 'YEAR' } })),
    variablesWithoutStage: await send(new sdk.CreateDeploymentCommand({ restApiId, variables: { a: 'b' } })),
    usageDate: await send(new sdk.GetUsageCommand({ usagePlanId: plan.id, startDate: 'yesterday', endDate: today })),
    limit: await send(new sdk.GetApiKeysCommand({ limit: 501 })),
    badEnabled: await send(new sdk.UpdateApiKeyCommand({ apiKey: key.id, patchOperations: [{ op: 'replace', path: '/enabled', value: 'yes' }] })),
    badRate: await send(new sdk.UpdateUsagePlanCommand({ usagePlanId: plan.id, patchOperations: [{ op: 'replace', path: '/throttle/rateLimit', value: '-1' }] })),
  };
  observed.keyAfterRefusals = await send(new sdk.GetApiKeyCommand({ apiKey: key.id }));
  observed.planAfterRefusals = await send(new sdk.GetUsagePlanCommand({ usagePlanId: plan.id }));

  // Accepted patches.
  observed.keyUpdated = await send(new sdk.UpdateApiKeyCommand({
    apiKey: key.id, patchOperations: [{ op: 'replace', path: '/name', value: 'patched' }, { op: 'replace', path: '/enabled', value: 'true' }],
  }));
  observed.planUpdated = await send(new sdk.UpdateUsagePlanCommand({
    usagePlanId: plan.id,
    patchOperations: [
      { op: 'replace', path: '/quota/limit', value: '500' }, { op: 'replace', path: '/quota/period', value: 'WEEK' }, { op: 'remove', path: '/throttle' },
    ],
  }));

  // Paging: five keys read two at a time through the SDK's paginator (position).
  for (let i = 0; i < 5; i++) {
    await gateway.send(new sdk.CreateApiKeyCommand({ name: `paged-${i}` }));
  }
  const pages = [];
  for await (const page of sdk.paginateGetApiKeys({ client: gateway, pageSize: 2 }, { nameQuery: 'paged-' })) {
    pages.push(page.items.map((k) => k.name));
  }
  observed.pages = pages;

  // No signature at all.
  const unsigned = await fetch(`${argument('--endpoint')}/restapis`);
  observed.unsigned = { status: unsigned.status, type: unsigned.headers.get('x-amzn-errortype'), body: await unsigned.json() };
  return observed;
}

async function main() {
  const observed = argument('--scenario') === 'refusals' ? await refusals() : await petstore();
  process.stdout.write(JSON.stringify(observed));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
