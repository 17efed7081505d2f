/**
 * An app with two services of one image, for the scenarios of #13 item 2: `api` behind the load balancer (with
 * the release command) and `jobs`, a worker. Names, ports and sizes differ from the cart's on purpose, so a
 * value taken from the wrong service or the wrong config shows.
 */
import { defineConfig } from '@berth/cli';

const ACCOUNT = '210987654321';

export default defineConfig({
  app: 'shop',
  github: { repository: 'shop-team/shop' },
  global: { account: ACCOUNT, region: 'eu-west-1' },
  services: {
    api: {
      type: 'web',
      port: 8080,
      healthCheck: { path: '/health' },
      release: { command: ['./bin/migrate', '--apply'] },
    },
    jobs: {
      type: 'worker',
      command: ['./bin/jobs'],
      database: false,
      cpu: 256,
      memoryMiB: 256,
      scaling: { maxTasks: 3 },
    },
  },
  environments: {
    test: {
      account: ACCOUNT,
      regions: ['eu-west-1'],
      services: { jobs: { scaling: { minTasks: 3 } } },
      // Room for api and jobs at their maxTasks during a deploy (the config checks every service's share).
      cluster: { maxInstances: 6 },
    },
    prod: {
      account: ACCOUNT,
      regions: ['eu-west-1'],
      alarms: { email: 'on-call@shop.example' },
      cluster: { maxInstances: 14 },
    },
  },
});
