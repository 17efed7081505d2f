/**
 * An app whose every service runs a prebuilt image, for the scenarios of #13 ("give me an image", as ECS Express
 * Mode users expect): `site`, a web service from a public registry pinned by digest, and `relay`, a worker from a
 * tag with a release command. Nothing is built: no repository, no digests. Names, ports and sizes differ from the
 * other configs' on purpose.
 */
import { defineConfig } from '@berth/cli';

const ACCOUNT = '482615937048';

export default defineConfig({
  app: 'kiosk',
  github: { repository: 'kiosk-team/kiosk' },
  global: { account: ACCOUNT, region: 'eu-west-1' },
  services: {
    site: {
      type: 'web',
      port: 8088,
      healthCheck: { path: '/healthz' },
      image: `public.ecr.aws/nginx/nginx:1.27@sha256:${'5e'.repeat(32)}`,
      database: false,
    },
    relay: {
      type: 'worker',
      image: 'ghcr.io/kiosk-team/relay:2.4',
      command: ['relay', '--forever'],
      release: { command: ['relay', 'migrate'] },
      cpu: 256,
      memoryMiB: 256,
    },
  },
  environments: {
    test: { account: ACCOUNT, regions: ['eu-west-1'], cluster: { maxInstances: 7 } },
    prod: {
      account: ACCOUNT,
      regions: ['eu-west-1'],
      alarms: { email: 'ops@kiosk.example' },
      cluster: { maxInstances: 15 },
    },
  },
});
