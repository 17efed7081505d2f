/**
 * The AMI workflow `berth init` writes, after Berth's own ami.yml: the cluster boots from the Berth node AMI
 * (`cluster.amiSource: 'berth'`, the default), which only a rebuild keeps patched. Monthly and by hand
 * (the Packer template ships in @berth/cli, so a Berth upgrade is the other reason to run it): build once,
 * publish to test and roll out, then the same AMI ids to prod behind one approval.
 */
import { assumeRole, type BerthInstall, berthSteps } from './workflows.js';

export const AMI_WORKFLOW = '.github/workflows/berth-ami.yml';

export interface AmiWorkflowInputs {
  readonly install: BerthInstall;
  /** The config's primary region: the fallback when the BERTH_PRIMARY_REGION variable is unset. */
  readonly region: string;
}

/** Publish the manifest's AMI to an environment, point its launch template at it, replace its nodes. */
function rollOut(env: 'test' | 'prod'): string {
  return `      - uses: actions/download-artifact@v4.1.8
        with:
          name: ami-manifest
          path: .berth/ami
      - run: npx berth ami publish ${env}
      - name: Point the launch template at the published AMI (infrastructure only, same image)
        run: npx berth deploy ${env} --skip-build
      - run: npx berth ami rollout ${env} --timeout 60m`;
}

export function renderAmiWorkflow(inputs: AmiWorkflowInputs): string {
  return `# Written by \`berth init\`. Builds the Berth ECS node AMI your clusters boot from, publishes it to test and
# rolls it out, then — after ONE approval of the \`prod\` environment — publishes the SAME AMI ids to prod and
# rolls them out there. Monthly, so security updates land; run it by hand (Actions → berth-ami) after
# upgrading Berth, whose Packer template ships in @berth/cli. AWS access is OIDC only (role ARNs in
# repository variables, outputs of the Berth global stack): the build and test jobs have no GitHub
# environment, so their subject is \`ref:refs/heads/main\`, which the AMI build and test deploy roles trust;
# prod's is \`environment:prod\`. Rollouts expect deployed environments: publish the very first AMI by hand.
# Guide: docs/ami.md and docs/deploy.md ("The first node AMI") in Berth.
name: berth-ami

on:
  schedule:
    - cron: "17 4 1 * *"
  workflow_dispatch: {}

permissions:
  contents: read

concurrency:
  group: berth-ami
  # Never abandon a half-finished instance refresh.
  cancel-in-progress: false

env:
  CHECKPOINT_DISABLE: "1"
  AWS_REGION: \${{ vars.BERTH_PRIMARY_REGION || '${inputs.region}' }}

jobs:
  build:
    runs-on: ubuntu-24.04
    timeout-minutes: 90
    permissions:
      contents: read
      id-token: write
    steps:
${berthSteps(inputs.install)}
      - uses: hashicorp/setup-packer@v3.1.0
        with:
          version: 1.11.2
${assumeRole('BERTH_AMI_BUILD_ROLE_ARN')}
      # Both architectures, so a cluster switched to Graviton (arm64) finds its AMI; --arch x86_64 halves the time.
      - name: Build the AMIs (packer init + packer build)
        run: npx berth ami build --arch all --version "$(date -u +%Y.%m.%d)-\${GITHUB_RUN_NUMBER}"
      - uses: actions/upload-artifact@v4.4.3
        with:
          name: ami-manifest
          path: .berth/ami/manifest.json
          if-no-files-found: error
          # upload-artifact skips dot-directories unless told (v4.4.0 and later).
          include-hidden-files: true

  test:
    needs: build
    runs-on: ubuntu-24.04
    timeout-minutes: 120
    permissions:
      contents: read
      id-token: write
    steps:
${berthSteps(inputs.install)}
${assumeRole('BERTH_TEST_DEPLOY_ROLE_ARN')}
${rollOut('test')}

  prod:
    needs: test
    runs-on: ubuntu-24.04
    timeout-minutes: 150
    # The one approval: required reviewers on the prod environment, after test ran the new nodes.
    environment: prod
    permissions:
      contents: read
      id-token: write
    steps:
${berthSteps(inputs.install)}
${assumeRole('BERTH_PROD_DEPLOY_ROLE_ARN')}
${rollOut('prod')}
`;
}
