/**
 * The reference cart service's own Berth config: what a user writes at the root of their repository.
 * Everything not stated here is Berth's default for the environment (docs/config-reference.md).
 */
import { defineConfig } from '@berth/cli';

/** Placeholder: set your account id here before the first deploy (docs/deploy.md, step 1). */
const ACCOUNT = '123456789012';

export default defineConfig({
  app: 'berth',
  github: { repository: 'berth-dev/berth' },
  global: { account: ACCOUNT, region: 'eu-west-1' },
  services: {
    service: {
      type: 'web',
      build: { dockerfile: 'Dockerfile', context: '.' },
      port: 80,
      // /readyz never touches the database, so only the task itself (or its draining) can fail it.
      healthCheck: { path: '/readyz' },
      // `berth up` (`npm start`) runs the compiled server as a process, so Node is all the quick start needs.
      dev: { command: ['node', 'dist/server.js'], cwd: 'service' },
    },
  },
  environments: {
    test: { account: ACCOUNT, regions: ['eu-west-1'] },
    prod: {
      account: ACCOUNT,
      regions: ['eu-west-1'],
      // Replace the waiver with `email: 'on-call@your-company.example'` before relying on prod.
      alarms: {
        waiveSubscriber:
          'reference configuration with no on-call address yet; set alarms.email before go-live',
      },
    },
  },
});
