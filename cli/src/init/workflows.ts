/**
 * The two GitHub workflows `berth init` writes, derived from Berth's own ci.yml and deliver.yml for a
 * repository whose only Node usage is `npx berth`: no test job (the repository's own tests stay in its
 * own workflows), every AWS call through an OIDC role from a repository variable, actions pinned.
 */

/** How a job gets the `berth` binary, decided from the repository at init time. */
export type BerthInstall =
  /** The repository's package.json (with its lockfile) lists @berth/cli: install exactly the lockfile. */
  | { readonly kind: 'lockfile' }
  /**
   * Anything else (a Python or static site with no package.json): install this exact version into
   * ./node_modules without writing a package.json. `npx berth` then runs it, and berth.config.ts's
   * `import … from '@berth/cli'` resolves from the repository root. Without the pin, `npx berth` would
   * fetch whatever package is called `berth`.
   */
  | { readonly kind: 'pinned'; readonly spec: string };

export interface WorkflowInputs {
  readonly install: BerthInstall;
  /** The config's primary region: the fallback when the BERTH_PRIMARY_REGION variable is unset. */
  readonly region: string;
  /** The path the smoke test fetches: the service's health path. */
  readonly healthPath: string;
  /**
   * Every service runs a prebuilt image (`berth init --image`): the deliver workflow has no build job, and each
   * environment runs the references berth.config.ts names (nothing to promote by digest).
   * @default false - the app builds its images
   */
  readonly prebuilt?: boolean;
}

export const CI_WORKFLOW = '.github/workflows/berth-ci.yml';
export const DELIVER_WORKFLOW = '.github/workflows/berth-deliver.yml';

/** checkout + Node 24 + berth: the steps every job that runs `npx berth` starts with. */
export function berthSteps(install: BerthInstall): string {
  // setup-node's npm cache needs a lockfile; without one it fails the job, so the pinned form has none.
  const node =
    install.kind === 'lockfile'
      ? `      - uses: actions/setup-node@v4.1.0
        with:
          node-version: 24
          cache: npm
      - run: npm ci --no-audit --no-fund`
      : `      - uses: actions/setup-node@v4.1.0
        with:
          node-version: 24
      - name: Install Berth
        run: npm install --no-save --no-audit --no-fund ${install.spec}`;
  return `      - uses: actions/checkout@v4.2.2
        with:
          persist-credentials: false
${node}`;
}

export function assumeRole(variable: string): string {
  return `      - uses: aws-actions/configure-aws-credentials@v4.0.2
        with:
          role-to-assume: \${{ vars.${variable} }}
          aws-region: \${{ env.AWS_REGION }}`;
}

export function renderCiWorkflow(inputs: WorkflowInputs): string {
  return `# Written by \`berth init\`. Pull requests: \`berth plan\` of test and prod (resources, what is public,
# monthly cost, change safety) in the job summary. With the read-only plan role (repository variable
# BERTH_PLAN_ROLE_ARN, an output of the Berth global stack) each plan also diffs against what is deployed.
# AWS access is OIDC only; no access keys. Guide: docs/deploy.md in Berth.
name: berth-ci

on:
  pull_request:

permissions:
  contents: read

concurrency:
  group: berth-ci-\${{ github.event.pull_request.number }}
  cancel-in-progress: true

env:
  AWS_REGION: \${{ vars.BERTH_PRIMARY_REGION || '${inputs.region}' }}

jobs:
  plan:
    name: berth plan
    runs-on: ubuntu-24.04
    timeout-minutes: 20
    permissions:
      contents: read
      id-token: write
    steps:
${berthSteps(inputs.install)}
      - name: Read-only AWS access for the deployed diff
        id: aws
        # Pull requests from forks get no OIDC token: they plan offline.
        if: vars.BERTH_PLAN_ROLE_ARN != '' && !github.event.pull_request.head.repo.fork
        uses: aws-actions/configure-aws-credentials@v4.0.2
        with:
          role-to-assume: \${{ vars.BERTH_PLAN_ROLE_ARN }}
          aws-region: \${{ env.AWS_REGION }}
      - name: Plan test and prod
        env:
          # --diff compares with the deployed stacks, only when the plan role was assumed above.
          DIFF: \${{ steps.aws.outcome == 'success' && '--diff' || '' }}
        run: |
          {
            echo "## berth plan test"
            npx berth plan test $DIFF
            echo
            echo "## berth plan prod"
            npx berth plan prod $DIFF
          } >> "$GITHUB_STEP_SUMMARY"
`;
}

/** The deliver workflow's opening comment: what runs in which order, for an app that builds or one that does not. */
function deliverSummary(prebuilt: boolean): string {
  return prebuilt
    ? `# Written by \`berth init\`. Push to main: deploy to test → smoke test → prod behind the \`prod\` environment's
# required reviewers. Every service runs a prebuilt image, so nothing is built: each environment runs the
# references berth.config.ts names (pin them by digest so prod runs exactly what test ran). No access keys: each
# job assumes its role via OIDC (role ARNs in repository variables, outputs of the Berth global stack); the
# roles' trust policies pin the branch / environment. Run your own tests in your own workflow, or add a job
# here that \`deploy-test\` needs. Guide: docs/deploy.md in Berth.`
    : `# Written by \`berth init\`. Push to main: build every image once → deploy them to test → smoke test → the
# SAME digests to prod behind the \`prod\` environment's required reviewers. No access keys: each job assumes its
# role via OIDC (role ARNs in repository variables, outputs of the Berth global stack); the roles' trust
# policies pin the branch / environment. Run your own tests in your own workflow, or add a job here that
# \`build\` needs. Guide: docs/deploy.md in Berth.`;
}

/** CI's build job: every image the app builds, once; its `digest` output is the release later jobs deploy. */
function buildJob(install: BerthInstall): string {
  return `  build:
    runs-on: ubuntu-24.04
    timeout-minutes: 30
    permissions:
      contents: read
      id-token: write
    outputs:
      digest: \${{ steps.push.outputs.digest }}
    steps:
${berthSteps(install)}
${assumeRole('BERTH_TEST_DEPLOY_ROLE_ARN')}
      - uses: docker/setup-buildx-action@v3.7.1
      # Every image berth.config.ts builds (services with the same build share one), each built once the way
      # \`berth deploy\` builds (the cluster's architecture, one platform); a re-run finds the commit's immutable
      # tags and builds nothing. \`digest\` is the release: the digest, or \`<image>=<digest>\` pairs when the
      # app builds several images. Every later job deploys exactly it, never a tag.
      - id: push
        name: Build and push (berth image)
        run: |
          digest=$(npx berth image test --json | jq -r .digest)
          echo "digest=$digest" >> "$GITHUB_OUTPUT"

`;
}

export function renderDeliverWorkflow(inputs: WorkflowInputs): string {
  const path = inputs.healthPath;
  const prebuilt = inputs.prebuilt ?? false;
  // A prebuilt app deploys what its config names: no build job to wait for, no release to pass on.
  const image = prebuilt ? '' : ` --image-digest "\${{ needs.build.outputs.digest }}"`;
  return `${deliverSummary(prebuilt)}
name: berth-deliver

on:
  push:
    branches: [main]

permissions:
  contents: read

env:
  AWS_REGION: \${{ vars.BERTH_PRIMARY_REGION || '${inputs.region}' }}

# GitHub's default \`bash -e\` has no pipefail: a failing \`npx berth … | jq\` would pass with an empty value.
defaults:
  run:
    shell: bash

jobs:
${prebuilt ? '' : buildJob(inputs.install)}  deploy-test:
${prebuilt ? '' : '    needs: build\n'}    runs-on: ubuntu-24.04
    timeout-minutes: 45
    permissions:
      contents: read
      id-token: write
    # One group for both deploys: they share the global stack, and a deploy in flight is never cancelled.
    concurrency:
      group: berth-deploy
      cancel-in-progress: false
    outputs:
      url: \${{ steps.deploy.outputs.url }}
    steps:
${berthSteps(inputs.install)}
${assumeRole('BERTH_TEST_DEPLOY_ROLE_ARN')}
      # The URL berth prints is the stack's output: what was really deployed, not configuration.
      - id: deploy
        name: Deploy to test
        run: |
          url=$(npx berth deploy test${image} --timeout 40m --json \\
            | jq -r '.regions[0].url // empty')
          echo "url=$url" >> "$GITHUB_OUTPUT"

  smoke-test:
    needs: deploy-test
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    permissions:
      contents: read
    steps:
      - name: Smoke test the health path on test
        env:
          URL: \${{ needs.deploy-test.outputs.url }}
        run: |
          # An app of workers only has no URL: the deploy already waited for every worker to run.
          if [ -z "$URL" ]; then echo "No web service: nothing to smoke-test"; exit 0; fi
          echo "Smoke-testing \${URL%/}${path}"
          curl --fail --silent --show-error --retry 5 --retry-all-errors --max-time 10 "\${URL%/}${path}"

  deploy-prod:
    needs: ${prebuilt ? 'smoke-test' : '[build, smoke-test]'}
    runs-on: ubuntu-24.04
    timeout-minutes: 60
    # Required reviewers on this GitHub environment gate the promotion; the prod role trusts only it.
    environment: prod
    permissions:
      contents: read
      id-token: write
    concurrency:
      group: berth-deploy
      cancel-in-progress: false
    steps:
${berthSteps(inputs.install)}
${assumeRole('BERTH_PROD_DEPLOY_ROLE_ARN')}
      - name: ${prebuilt ? 'Deploy the tested references to prod' : 'Promote the tested digest to prod'}
        run: npx berth deploy prod${image} --timeout 55m
`;
}
