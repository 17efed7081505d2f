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
    web: {
      type: 'web',
      // `service`: the repository the cart's images have been pushed to since it had one service of that name.
      build: { dockerfile: 'Dockerfile', context: '.', repository: 'service' },
      port: 80,
      // /readyz never touches the database, so only the task itself (or its draining) can fail it.
      healthCheck: { path: '/readyz' },
      // Migrations run once per deploy, before any task is replaced; a failure stops the deploy.
      release: { command: ['node', 'dist/migrate-command.js'] },
      // So the tasks leave them to the release command (`npm start` alone still migrates).
      // DATABASE_POOL_SIZE 3: a task opens up to 3 × 3 connections (reads, changes, transactions), so prod's
      // blue/green peak (2 × 10 tasks) plus the worker and the release task stays under the ~200 connections
      // RDS allows a db.t4g.small (max_connections = DBInstanceClassMemory / 9531392, AWS RDS user guide).
      environment: { MIGRATE_ON_START: 'false', DATABASE_POOL_SIZE: '3' },
      // `berth up` (`npm start`) runs the compiled server as a process, so Node is all the quick start needs;
      // the release command runs first, the same way, in this directory.
      dev: { command: ['node', 'dist/server.js'], cwd: 'service' },
    },
    worker: {
      type: 'worker',
      // Expires abandoned carts; idempotent, so one task is enough and a second only covers a deploy.
      command: ['node', 'dist/worker.js'],
      // A small Node process (a query a minute): 256 MiB leaves the web service's room on the instances.
      cpu: 256,
      memoryMiB: 256,
      scaling: { minTasks: 1, maxTasks: 2 },
      dev: { command: ['node', 'dist/worker.js'], cwd: 'service' },
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
