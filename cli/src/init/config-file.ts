/** What `berth init` decided, each value with where it came from (shown as a comment beside it). */
export interface InitPlan {
  readonly app: string;
  readonly repository: Sourced<string>;
  readonly testAccount: Sourced<string>;
  readonly prodAccount: Sourced<string>;
  readonly region: string;
  /**
   * What the web service runs: a build (the Dockerfile relative to the project root with `/` separators, as
   * docker build's `-f` from the root, and the build context, the Dockerfile's folder), or a prebuilt image
   * reference (`--image`: nothing is built).
   */
  readonly image:
    | { readonly build: { readonly dockerfile: string; readonly context: string } }
    | { readonly prebuilt: string };
  readonly port: Sourced<number>;
  readonly healthPath: Sourced<string>;
  /** Who hears prod's alarms; a placeholder becomes a marked waiver (prod without either is refused). */
  readonly alarmEmail: Sourced<string>;
}

export interface Sourced<T> {
  readonly value: T;
  /** Why this value: "EXPOSE in Dockerfile", "--port", or a PLACEHOLDER warning. */
  readonly source: string;
  /** Found in the repository or defaulted by init (a comment in the config says where from). */
  readonly detected?: boolean;
  /** Not known: a marked stand-in the user must replace before deploying. */
  readonly placeholder?: boolean;
}

/** Where every field and its per-environment default is documented (generated from the types). */
export const CONFIG_REFERENCE = 'docs/config-reference.md in Berth (or hover a field in your editor)';

/** The waiver a config without an on-call address carries: the config refuses prod with neither. */
export const ALARM_WAIVER = 'no on-call address yet (written by berth init)';

/** A TypeScript string literal (values are validated before, this only keeps the file well-formed). */
const str = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** A detection or placeholder is worth a comment; a value the user typed or passed is not. */
const note = (s: Sourced<unknown>) =>
  s.placeholder ? ` // PLACEHOLDER: ${s.source}` : s.detected ? ` // ${s.source}` : '';

function imageLine(image: InitPlan['image']): string {
  return 'build' in image
    ? `build: { dockerfile: ${str(image.build.dockerfile)}, context: ${str(image.build.context)} },`
    : `image: ${str(image.prebuilt)}, // prebuilt: nothing is built, every environment runs this reference`;
}

/**
 * `berth.config.ts`: the minimal config (app, repository, accounts and regions, one web service); every
 * other setting keeps Berth's per-environment default, which `berth plan` prints, so it is not copied here.
 */
export function renderConfigFile(plan: InitPlan): string {
  const regions = `regions: [${str(plan.region)}]`;
  const alarms = plan.alarmEmail.placeholder
    ? `      // PLACEHOLDER: ${plan.alarmEmail.source}.\n      alarms: { waiveSubscriber: ${str(ALARM_WAIVER)} },`
    : `      alarms: { email: ${str(plan.alarmEmail.value)} }, // who is told when prod's alarms fire`;
  return `// Berth: how this repository runs on AWS. Written by \`berth init\`; yours to edit.
// Reference for every field and its default per environment: ${CONFIG_REFERENCE}.
import { defineConfig } from '@berth/cli';

export default defineConfig({
  // Names the stacks, SSM parameters (/${plan.app}/test/…)${'build' in plan.image ? ` and image repositories (${plan.app}/web)` : ''}.
  app: ${str(plan.app)},
  // The CI roles trust only this repository's workflows (GitHub OIDC, no access keys).
  github: { repository: ${str(plan.repository.value)} },${note(plan.repository)}
  services: {
    web: {
      type: 'web', // behind the environment's load balancer
      ${imageLine(plan.image)}
      port: ${plan.port.value},${note(plan.port)}
      healthCheck: { path: ${str(plan.healthPath.value)} },${note(plan.healthPath)}
      // cpu, memoryMiB, scaling, deployment: defaulted per environment, see the reference above.
    },
  },
  environments: {
    test: { account: ${str(plan.testAccount.value)}, ${regions} },${note(plan.testAccount)}
    // prod's account also holds the account-wide stack: CI roles${'build' in plan.image ? ' and the image registry' : ''}.
    prod: {
      account: ${str(plan.prodAccount.value)},${note(plan.prodAccount)}
      ${regions},
${alarms}
    },
  },
});
`;
}
