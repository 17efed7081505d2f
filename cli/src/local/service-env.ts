/**
 * What a service's process or container sees in its environment under `berth up`, from berth.config.ts:
 * its `environment`, its `secrets` (by name, from the user's own environment: never fetched from AWS), and
 * what Berth provides (PORT, the database).
 */

/** Where the local PostgreSQL is, as the service reaches it. */
export interface DatabaseEndpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/**
 * DATABASE_URL and the PG* variables ECS injects from the RDS secret (infra/lib/constructs/service-task.ts),
 * so a service reading either finds the local database. No TLS: the embedded cluster listens on loopback.
 */
export function databaseEnvironment(db: DatabaseEndpoint): Record<string, string> {
  const url = `postgres://${encodeURIComponent(db.user)}:${encodeURIComponent(db.password)}@${db.host}:${db.port}/${encodeURIComponent(db.database)}`;
  return {
    DATABASE_URL: url,
    PGHOST: db.host,
    PGPORT: String(db.port),
    PGUSER: db.user,
    PGPASSWORD: db.password,
    PGDATABASE: db.database,
    PGSSLMODE: 'disable',
  };
}

export interface ServiceEnvironmentInput {
  /** The service's `environment` from berth.config.ts. */
  readonly environment: Readonly<Record<string, string>>;
  /** The values found for the service's secrets (see resolveLocalSecrets). */
  readonly secrets: Readonly<Record<string, string>>;
  /** Set for a web service: the port it must listen on. */
  readonly port?: number;
  /** Set when the service has `database: true`. */
  readonly database?: DatabaseEndpoint;
}

/**
 * The variables a service is given. Berth's own (PORT, DATABASE_URL, PG*) come last and win: a config that
 * sets PORT would otherwise make the service listen where nothing routes to it.
 */
export function serviceEnvironment(input: ServiceEnvironmentInput): Record<string, string> {
  return {
    ...input.environment,
    ...input.secrets,
    ...(input.port === undefined ? {} : { PORT: String(input.port) }),
    ...(input.database ? databaseEnvironment(input.database) : {}),
  };
}

/**
 * Variables a dev command must not inherit from the shell: they would point it at another port or database
 * (every PG* variable is libpq's: PGSSLMODE, PGCONNECT_TIMEOUT…).
 */
const PROVIDED = /^(PORT|DATABASE_URL|PG.*)$/;

/**
 * A dev command's whole environment: the shell's (PATH, HOME, tool settings), without what Berth provides,
 * then the service's. A container, like an ECS task, sees only serviceEnvironment.
 */
export function devProcessEnvironment(
  shell: NodeJS.ProcessEnv,
  service: Readonly<Record<string, string>>,
): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(shell).filter(([name]) => !PROVIDED.test(name)));
  return { ...inherited, ...service };
}

/** A service's secret references from berth.config.ts: only the names matter locally. */
export interface SecretsOf {
  readonly name: string;
  readonly secrets: Readonly<Record<string, unknown>>;
}

export interface LocalSecrets {
  /** Per service, the secret values found. */
  readonly values: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** `service.NAME` for each secret with no value: the service starts without it. */
  readonly missing: readonly string[];
  /** Every secret name that has a value, for the one line saying where they came from. */
  readonly found: readonly string[];
}

/**
 * The local rule for secrets: berth up never reads SSM or Secrets Manager. A secret named `NAME` takes the
 * value of the variable `NAME` from `--env-file` when that file sets it, else from berth up's own
 * environment; a secret with neither is left unset and reported.
 */
export function resolveLocalSecrets(
  services: readonly SecretsOf[],
  sources: { readonly envFile?: Readonly<Record<string, string>>; readonly shell: NodeJS.ProcessEnv },
): LocalSecrets {
  const values = new Map<string, Record<string, string>>();
  const missing: string[] = [];
  const found = new Set<string>();
  for (const service of services) {
    const own: Record<string, string> = {};
    for (const name of Object.keys(service.secrets)) {
      const value = sources.envFile?.[name] ?? sources.shell[name];
      if (value === undefined) {
        missing.push(`${service.name}.${name}`);
      } else {
        own[name] = value;
        found.add(name);
      }
    }
    values.set(service.name, own);
  }
  return { values, missing, found: [...found].sort() };
}

/** The one line `berth up` prints about secrets, or nothing when no service has any. */
export function secretsNotice(secrets: LocalSecrets, envFile: string | undefined): string | undefined {
  if (secrets.found.length === 0 && secrets.missing.length === 0) return undefined;
  const from = envFile === undefined ? 'your environment' : `${envFile} or your environment`;
  const parts = [
    `secrets are not fetched from AWS locally: each takes the variable of its name from ${from}`,
  ];
  if (secrets.found.length > 0) parts.push(`set: ${secrets.found.join(', ')}`);
  if (secrets.missing.length > 0) {
    parts.push(`missing (starting without them): ${secrets.missing.join(', ')}`);
  }
  return parts.join('; ');
}
