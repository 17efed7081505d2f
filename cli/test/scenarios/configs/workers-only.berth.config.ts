/**
 * An app of workers only, for the scenarios of #13 item 2: `ingest` consumes its queue and sends to `digest`'s,
 * `digest` consumes its own. No web service, so no load balancer and no URL. Names and sizes differ from the
 * other configs' on purpose.
 */
import { defineConfig } from '@berth/cli';

const ACCOUNT = '309876543210';

export default defineConfig({
  app: 'feeds',
  github: { repository: 'feeds-team/feeds' },
  global: { account: ACCOUNT, region: 'eu-west-1' },
  services: {
    ingest: {
      type: 'worker',
      command: ['./bin/ingest'],
      queue: { visibilityTimeoutSeconds: 90 },
      sendsTo: ['digest'],
      scaling: { minTasks: 2, maxTasks: 4, messagesPerTask: 50 },
    },
    digest: {
      type: 'worker',
      command: ['./bin/digest'],
      database: false,
      cpu: 256,
      memoryMiB: 256,
      queue: {},
    },
  },
  environments: {
    test: { account: ACCOUNT, regions: ['eu-west-1'], cluster: { maxInstances: 6 } },
    prod: {
      account: ACCOUNT,
      regions: ['eu-west-1'],
      alarms: { email: 'on-call@feeds.example' },
      cluster: { maxInstances: 14 },
    },
  },
});
