import { berthInstalledIn, CLI_PACKAGE } from './berth-install.js';
import type { InitPlan } from './config-file.js';
import type { FileOutcome } from './write-files.js';

/** What init found, what it wrote, what still needs the user, and the next three commands. */
export function initReport(input: {
  plan: InitPlan;
  note: string;
  configFile: string;
  outcomes: ReadonlyMap<string, FileOutcome>;
  root: string;
  version: string;
}): string {
  const { plan } = input;
  const lines = [
    `web service ${'build' in plan.image ? `from ${plan.image.build.dockerfile}` : `running ${plan.image.prebuilt}`} (${input.note})`,
    `  port ${plan.port.value}: ${plan.port.source}`,
    `  health check ${plan.healthPath.value}: ${plan.healthPath.source}`,
    `  app ${plan.app}, repository ${plan.repository.value}, region ${plan.region}`,
    ...[...input.outcomes].map(([file, outcome]) => `${outcome} ${file}`),
    ...[plan.repository, plan.testAccount, plan.alarmEmail]
      .filter((value) => value.placeholder)
      .map((value) => `PLACEHOLDER in ${input.configFile}: ${value.source}`),
  ];
  return `${lines.join('\n')}\n${nextSteps(input.root, input.version, 'prebuilt' in plan.image)}`;
}

function nextSteps(root: string, version: string, prebuilt: boolean): string {
  // Column-aligned with the other commands' comments.
  const deploy = prebuilt
    ? 'deploy the image as named, wait, smoke-test; prints the URL'
    : 'build, push, deploy, wait, smoke-test; prints the URL';
  const install = berthInstalledIn(root)
    ? ''
    : `Berth is not installed here yet: npm install --save-dev ${CLI_PACKAGE}@${version} (or, to keep no package.json, npm install --no-save ${CLI_PACKAGE}@${version})\n`;
  return `${install}Next:
  npx berth plan test                             # offline: what will be created, what is public, monthly cost
  npx berth ami publish test --aws-recommended    # first deploy to an account only, after its bootstrap (docs/deploy.md, "From an empty AWS account")
  npx berth deploy test                           # ${deploy}
Then for the workflows: the repository variables and the prod environment with reviewers (docs/deploy.md, "GitHub").
`;
}
