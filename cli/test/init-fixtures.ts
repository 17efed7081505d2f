import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { type InitFlags, type InitIo, runInit } from '../src/init/run-init.js';

/** Registers cleanup; node:test's TestContext has it, the fixtures need nothing else. */
export interface Cleanup {
  after(fn: () => void): void;
}

/** Why the suites that build git repositories cannot run here, or false: git is not something we install. */
export const NO_GIT: string | false =
  spawnSync('git', ['--version']).error === undefined
    ? false
    : 'git is not installed: these tests build git repositories';

/** A throwaway git repository holding `files`, with `origin` set when given. Not a Node project. */
export function repository(t: Cleanup, name: string, files: Record<string, string>, origin?: string): string {
  const parent = mkdtempSync(path.join(tmpdir(), 'berth-init-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const root = path.join(parent, name);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  mkdirSync(root, { recursive: true });
  const git = (...args: string[]) => {
    const result = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  };
  git('init', '--quiet');
  if (origin) git('remote', 'add', 'origin', origin);
  return root;
}

/** A Python service: Flask-style app with a /healthz route, python:3.13-slim, EXPOSE 8000. */
export const PYTHON_SERVICE = {
  Dockerfile: `FROM python:3.13-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY app.py .
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
`,
  'requirements.txt': 'flask==3.1.2\ngunicorn==23.0.0\n',
  'app.py': `from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return "ok"


@app.get("/api/quotes")
def quotes():
    return [{"text": "Ship it."}]
`,
};

/** A static site behind nginx: no health route anywhere, so the health check is `/`. */
export const STATIC_SITE = {
  Dockerfile: `FROM nginx:1.29-alpine
COPY nginx.conf /etc/nginx/conf.d/default.conf
COPY public/ /usr/share/nginx/html/
EXPOSE 80
`,
  'nginx.conf': `server {
  listen 80;
  root /usr/share/nginx/html;
  location / {
    try_files $uri $uri/ =404;
  }
}
`,
  'public/index.html': '<!doctype html><title>Docs</title><h1>Docs</h1>\n',
};

export interface InitRun {
  readonly stdout: string;
  /** Everything the prompts printed (questions and re-asks). */
  readonly dialogue: string;
}

/**
 * Runs `berth init` in-process in `root`. With `answers`, it is interactive: each answer is typed when the
 * dialogue shows its question (checked in order), as a person at a terminal would; an entry without an
 * answer only expects the text (an error line before a question is asked again).
 */
export async function init(
  root: string,
  flags: InitFlags,
  answers?: readonly (readonly [question: string, answer?: string])[],
  env: NodeJS.ProcessEnv = {},
): Promise<InitRun> {
  let stdout = '';
  let dialogue = '';
  const input = new PassThrough();
  const output = new PassThrough();
  const pending = [...(answers ?? [])];
  let seen = 0;
  output.on('data', (chunk: Buffer) => {
    dialogue += chunk.toString();
    const next = pending[0];
    // A question nobody expected: end the input, so init fails saying so instead of waiting forever.
    if (!next) input.end();
    const at = next ? dialogue.indexOf(next[0], seen) : -1;
    if (next && at >= 0) {
      seen = at + next[0].length;
      pending.shift();
      if (next[1] !== undefined) input.write(`${next[1]}\n`);
    }
  });
  const io: InitIo = {
    cwd: root,
    input,
    output,
    stdout: { write: (text: string) => (stdout += text) },
    interactive: answers !== undefined,
    env,
  };
  // No answers at all: the input ends at once, as when stdin is closed.
  if (answers?.length === 0) input.end();
  try {
    await runInit(flags, io);
  } finally {
    input.end();
  }
  if (pending.length > 0)
    throw new Error(`never asked: ${pending.map((p) => p[0]).join(' | ')}\n${dialogue}`);
  return { stdout, dialogue };
}

export const read = (root: string, file: string) => readFileSync(path.join(root, file), 'utf8');
