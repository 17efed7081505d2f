/**
 * The cart's config with its one web service named `web` and nothing else: what the flow tests that stub AWS
 * call by call (deploy-flow, deploy-rollout, rollback-destroy) run against, whatever services the cart grows.
 */
import { defineConfig } from '@berth/cli';

const ACCOUNT = '123456789012';

export default defineConfig({
  app: 'berth',
  github: { repository: 'berth-dev/berth' },
  global: { account: ACCOUNT, region: 'eu-west-1' },
  services: {
    web: { type: 'web', port: 80, healthCheck: { path: '/readyz' } },
  },
  environments: {
    test: { account: ACCOUNT, regions: ['eu-west-1'] },
    prod: {
      account: ACCOUNT,
      regions: ['eu-west-1'],
      alarms: { waiveSubscriber: 'a test fixture: nobody is paged' },
    },
  },
});
