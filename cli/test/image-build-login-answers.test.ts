/**
 * docker login's token when ECR's GetAuthorizationToken answer has no `authorizationData` at all (the API
 * Reference lists the field without promising it: "Response Elements", authorizationData): refused in one line
 * before docker runs, as for an empty list (deploy-image-build.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { loginToRegistry, type RunCommand } from '../src/deploy/image-build.js';
import { mockAws } from './fixtures/aws.js';

describe('loginToRegistry: an answer without authorizationData', () => {
  it('refuses with the permission to check, and runs no docker login', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecr.on(GetAuthorizationTokenCommand, {}, true).resolves({});
    const commands: string[] = [];
    const run: RunCommand = async (command, args) => {
      commands.push([command, ...args].join(' '));
      return { code: 0, stdout: '' };
    };

    await assert.rejects(
      loginToRegistry({
        repoRoot: '/repo',
        repositoryUri: '246813579024.dkr.ecr.ap-southeast-2.amazonaws.com/shop/api',
        repositoryName: 'shop/api',
        architecture: 'arm64',
        run,
        ecr: clients.ecr,
      }),
      {
        name: 'CliError',
        message: 'ECR returned no authorization token: check ecr:GetAuthorizationToken is allowed',
      },
    );
    assert.deepEqual(commands, []);
  });
});
