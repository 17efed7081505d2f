/**
 * What `berth init` reads from a Dockerfile: the port the image EXPOSEs and the path its HEALTHCHECK
 * probes. Not a full parser — only the instructions those two need, after Docker's own rules for line
 * continuations, comments, build stages and `$VAR` / `${VAR}` substitution
 * (Dockerfile reference: https://docs.docker.com/reference/dockerfile/).
 */

export interface DockerfileFacts {
  /** The first TCP port the final stage EXPOSEs (inherited from an earlier stage it is built FROM). */
  readonly port?: number;
  /** Every port the final stage exposes, in order, so the caller can say which one it chose. */
  readonly exposed: readonly number[];
  /** An EXPOSE whose value stayed a variable (`EXPOSE $PORT` with no default anywhere). */
  readonly unresolvedExpose?: string;
  /** The path (and query) of the URL the final stage's HEALTHCHECK command fetches. */
  readonly healthPath?: string;
  /** The port of that URL when it names one: a fallback when nothing is EXPOSEd. */
  readonly healthPort?: number;
}

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

interface Stage {
  readonly alias?: string;
  readonly base: string;
  readonly expose: string[];
  healthcheck?: string;
}

/** Joins continued lines and drops comments and blank lines, as the Docker parser does. */
export function instructions(text: string): Instruction[] {
  const result: Instruction[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    // A comment line inside a continued instruction is removed without ending it.
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = '';
    const match = /^(\S+)\s*(.*)$/.exec(whole);
    if (match) result.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim() });
  }
  return result;
}

/** `$NAME`, `${NAME}` and `${NAME:-default}` from the known values; unknown names stay as written. */
function substitute(value: string, vars: ReadonlyMap<string, string>): string {
  return value.replace(
    /\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)/g,
    (whole, braced: string, fallback: string | undefined, bare: string) =>
      vars.get(braced ?? bare) ?? fallback ?? whole,
  );
}

/** `ARG A=1 B=2`, `ENV A=1 B="2"` and the legacy `ENV A 1` into name/value pairs. */
function assignments(keyword: string, args: string): [string, string][] {
  const legacy = /^(\w+)\s+([^=]*)$/.exec(args);
  if (keyword === 'ENV' && legacy) return [[legacy[1]!, legacy[2]!.trim()]];
  const pairs: [string, string][] = [];
  for (const m of args.matchAll(/(\w+)=("([^"]*)"|'([^']*)'|(\S*))/g)) {
    pairs.push([m[1]!, m[3] ?? m[4] ?? m[5] ?? '']);
  }
  return pairs;
}

function stagesOf(list: Instruction[], vars: Map<string, string>): Stage[] {
  const stages: Stage[] = [];
  for (const { keyword, args } of list) {
    if (keyword === 'FROM') {
      // FROM [--platform=…] image [AS name]
      const words = args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({
        base: words[0] ?? '',
        ...(as > 0 && words[as + 1] ? { alias: words[as + 1]!.toLowerCase() } : {}),
        expose: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (keyword === 'ARG' || keyword === 'ENV') {
      // Names without a value (`ARG PORT`) keep an earlier default: graceful rather than scoped exactly.
      for (const [name, value] of assignments(keyword, args)) vars.set(name, substitute(value, vars));
    } else if (keyword === 'EXPOSE' && stage) {
      stage.expose.push(...args.split(/\s+/).filter(Boolean));
    } else if (keyword === 'HEALTHCHECK' && stage) {
      stage.healthcheck = args;
    }
  }
  return stages;
}

/**
 * The final stage, then the stages it is built FROM: EXPOSE and HEALTHCHECK are inherited from the
 * base image, and an earlier stage used as a base is the only base image we can read.
 */
function finalChain(stages: Stage[]): Stage[] {
  const chain: Stage[] = [];
  let stage = stages.at(-1);
  while (stage && !chain.includes(stage)) {
    chain.push(stage);
    const base = stage.base.toLowerCase();
    stage = stages.find((s) => s.alias === base);
  }
  return chain;
}

/** `8000`, `8000/tcp`, `8000-8010/tcp` → 8000; UDP and anything not a port → undefined. */
function tcpPort(spec: string): number | undefined {
  const match = /^(\d+)(?:-\d+)?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!match || (match[2] && match[2].toLowerCase() !== 'tcp')) return undefined;
  const port = Number(match[1]);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/**
 * The path and port of the URL a HEALTHCHECK command fetches (curl, wget or anything else that names
 * one). Read by pattern, not `new URL`, so `http://localhost:$PORT/health` still yields its path.
 */
function healthTarget(healthcheck: string): { path: string; port?: number } | undefined {
  if (/^NONE\b/i.test(healthcheck)) return undefined;
  const match = /https?:\/\/([^/\s"']*)(\/[^\s"',\]|;&)]*)?/.exec(healthcheck);
  if (!match) return undefined;
  const port = /:(\d+)$/.exec(match[1]!)?.[1];
  return { path: match[2] ?? '/', ...(port ? { port: Number(port) } : {}) };
}

export function readDockerfile(text: string): DockerfileFacts {
  const vars = new Map<string, string>();
  const chain = finalChain(stagesOf(instructions(text), vars));
  const specs = (chain.find((s) => s.expose.length > 0)?.expose ?? []).map((s) => substitute(s, vars));
  const exposed = specs.map(tcpPort).filter((p) => p !== undefined);
  const unresolved = specs.find((s) => s.includes('$'));
  const healthcheck = chain.find((s) => s.healthcheck !== undefined)?.healthcheck;
  const health = healthcheck === undefined ? undefined : healthTarget(substitute(healthcheck, vars));
  return {
    exposed,
    ...(exposed[0] === undefined ? {} : { port: exposed[0] }),
    ...(unresolved === undefined ? {} : { unresolvedExpose: unresolved }),
    ...(health ? { healthPath: health.path } : {}),
    ...(health?.port === undefined ? {} : { healthPort: health.port }),
  };
}
