/**
 * The SDK clients the CLI builds (cli/src/aws/clients.ts): every one in the requested region, with few retries
 * so a broken network fails in seconds, and with the shared settings (fixed credentials) applied. Read back
 * through each client's resolved configuration (AWS SDK for JavaScript v3, "Configuring the SDK": `region`,
 * `maxAttempts`, `credentials` are providers on `client.config`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAwsClients } from '../src/aws/clients.js';

const SERVICES = ['sts', 'cfn', 'ecs', 'elbv2', 'logs', 'ssm', 'ecr', 'cloudwatch', 'autoscaling'] as const;

describe('createAwsClients', () => {
  it('builds every client for the region, with at most 3 attempts per call', async () => {
    const clients = createAwsClients('ap-southeast-2');

    assert.equal(clients.region, 'ap-southeast-2');
    for (const name of SERVICES) {
      assert.equal(await clients[name].config.region(), 'ap-southeast-2', name);
      assert.equal(await clients[name].config.maxAttempts(), 3, name);
    }
    // Nine different services: no client is another one's copy.
    assert.equal(new Set(SERVICES.map((name) => clients[name].constructor.name)).size, SERVICES.length);
  });

  it('passes shared settings such as fixed credentials to every client', async () => {
    const clients = createAwsClients('eu-north-1', {
      credentials: { accessKeyId: 'AKIAEXAMPLE7', secretAccessKey: 'secret-7' },
    });

    for (const name of SERVICES) {
      const credentials = await clients[name].config.credentials();
      assert.equal(credentials.accessKeyId, 'AKIAEXAMPLE7', name);
      assert.equal(credentials.secretAccessKey, 'secret-7', name);
      assert.equal(await clients[name].config.region(), 'eu-north-1', name);
    }
  });
});
