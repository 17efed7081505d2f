/**
 * An app whose services run three images, for the scenarios of #13 item 2 (a service's own build or a prebuilt
 * image): `api` (with the release command) and the worker `jobs` share one build, `admin` builds another stage
 * of the same Dockerfile with an argument, `docs` runs a prebuilt public image. Names, ports and sizes differ
 * from the other configs' on purpose, so a value taken from the wrong service or image shows.
 */
import { defineConfig } from '@berth/cli';

const ACCOUNT = '135792468024';

export default defineConfig({
  app: 'depot',
  github: { repository: 'depot-team/depot' },
  global: { account: ACCOUNT, region: 'eu-west-1' },
  services: {
    api: {
      type: 'web',
      port: 8080,
      healthCheck: { path: '/health' },
      build: { dockerfile: 'api/Dockerfile', context: 'api' },
      release: { command: ['./bin/migrate'] },
    },
    admin: {
      type: 'web',
      port: 8100,
      route: { path: '/admin/*' },
      build: { dockerfile: 'api/Dockerfile', context: 'api', target: 'admin', args: { THEME: 'dark' } },
    },
    docs: {
      type: 'web',
      port: 8200,
      route: { path: '/docs/*' },
      image: 'public.ecr.aws/nginx/nginx:1.27',
      database: false,
    },
    jobs: {
      type: 'worker',
      command: ['./bin/jobs'],
      build: { dockerfile: 'api/Dockerfile', context: 'api' },
      cpu: 256,
      memoryMiB: 256,
    },
  },
  environments: {
    test: { account: ACCOUNT, regions: ['eu-west-1'], cluster: { maxInstances: 10 } },
    prod: {
      account: ACCOUNT,
      regions: ['eu-west-1'],
      alarms: { email: 'on-call@depot.example' },
      cluster: { maxInstances: 24 },
    },
  },
});
