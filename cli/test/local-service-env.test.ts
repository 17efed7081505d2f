/** What a service sees in its environment under `berth up`: config, secrets by name, PORT and the database. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  databaseEnvironment,
  devProcessEnvironment,
  resolveLocalSecrets,
  secretsNotice,
  serviceEnvironment,
} from '../src/local/service-env.js';

const DB = { host: '127.0.0.1', port: 54321, user: 'berth', password: 'p@ss/w:rd', database: 'postgres' };

describe('service environment', () => {
  it('gives the database as DATABASE_URL (password escaped) and the PG* variables ECS injects', () => {
    assert.deepEqual(databaseEnvironment(DB), {
      DATABASE_URL: 'postgres://berth:p%40ss%2Fw%3Ard@127.0.0.1:54321/postgres',
      PGHOST: '127.0.0.1',
      PGPORT: '54321',
      PGUSER: 'berth',
      PGPASSWORD: 'p@ss/w:rd',
      PGDATABASE: 'postgres',
      PGSSLMODE: 'disable',
    });
  });

  it("puts Berth's PORT and database after the config's own variables and secrets", () => {
    const env = serviceEnvironment({
      environment: { LOG_LEVEL: 'debug', PORT: '9999', MIGRATE_ON_START: 'false' },
      secrets: { STRIPE_KEY: 'sk_test_1' },
      port: 41007,
      database: { ...DB, host: '10.0.2.2' },
    });
    assert.equal(env.PORT, '41007');
    assert.equal(env.LOG_LEVEL, 'debug');
    assert.equal(env.MIGRATE_ON_START, 'false');
    assert.equal(env.STRIPE_KEY, 'sk_test_1');
    assert.equal(env.PGHOST, '10.0.2.2');
  });

  it('gives a worker without database neither PORT nor database variables', () => {
    assert.deepEqual(serviceEnvironment({ environment: { QUEUE: 'jobs' }, secrets: {} }), { QUEUE: 'jobs' });
  });

  it('lets a dev command inherit the shell, except what would point it at another port or database', () => {
    const env = devProcessEnvironment(
      {
        PATH: '/usr/bin',
        HOME: '/home/dev',
        PORT: '3000',
        DATABASE_URL: 'postgres://elsewhere/db',
        PGHOST: 'db.internal',
        PGPASSWORD: 'other',
        PGCONNECT_TIMEOUT: '3',
      },
      { PORT: '41008', LOG_LEVEL: 'info' },
    );
    assert.deepEqual(env, { PATH: '/usr/bin', HOME: '/home/dev', PORT: '41008', LOG_LEVEL: 'info' });
  });
});

describe('local secrets', () => {
  const services = [
    {
      name: 'web',
      secrets: { STRIPE_KEY: { ssm: '/shop/stripe' }, SESSION_SECRET: { secretsManager: 'arn:x' } },
    },
    {
      name: 'worker',
      secrets: { STRIPE_KEY: { ssm: '/shop/stripe' }, SMTP_PASSWORD: { ssm: '/shop/smtp' } },
    },
    { name: 'static', secrets: {} },
  ];

  it('takes each from --env-file first, then the shell, and lists the missing ones', () => {
    const secrets = resolveLocalSecrets(services, {
      envFile: { STRIPE_KEY: 'from-file' },
      shell: { STRIPE_KEY: 'from-shell', SESSION_SECRET: 'shell-session' },
    });
    assert.deepEqual(secrets.values.get('web'), { STRIPE_KEY: 'from-file', SESSION_SECRET: 'shell-session' });
    assert.deepEqual(secrets.values.get('worker'), { STRIPE_KEY: 'from-file' });
    assert.deepEqual(secrets.values.get('static'), {});
    assert.deepEqual(secrets.missing, ['worker.SMTP_PASSWORD']);
    assert.equal(
      secretsNotice(secrets, '.env'),
      'secrets are not fetched from AWS locally: each takes the variable of its name from .env or your environment; set: SESSION_SECRET, STRIPE_KEY; missing (starting without them): worker.SMTP_PASSWORD',
    );
  });

  it('says nothing when no service has secrets', () => {
    const secrets = resolveLocalSecrets([{ name: 'web', secrets: {} }], { shell: { STRIPE_KEY: 'x' } });
    assert.equal(secretsNotice(secrets, undefined), undefined);
  });
});
