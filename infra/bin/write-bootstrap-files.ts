/** Writes infra/bootstrap/*: each environment's execution policy and bootstrap template (tests check they are current). */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENV_NAMES } from '../config/environments.js';
import { loadConfig } from '../config/load.js';
import { bootstrapTemplateFile, executionPolicy, executionPolicyFile } from '../lib/bootstrap.js';
import { bootstrapTemplate } from '../lib/bootstrap-template.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
// The reference cart's config, at the repository root: these files are its bootstrap.
const config = await loadConfig({ cwd: root });
for (const env of ENV_NAMES) {
  writeFileSync(
    root + executionPolicyFile(env),
    `${JSON.stringify(executionPolicy(config, env), null, 2)}\n`,
  );
  writeFileSync(root + bootstrapTemplateFile(env), bootstrapTemplate(config, env));
}
// The repository's formatter has the last word on layout (JSON and YAML), so `npm run lint` stays clean.
const files = ENV_NAMES.flatMap((env) => [executionPolicyFile(env), bootstrapTemplateFile(env)]);
const format = spawnSync('npx', ['biome', 'format', '--write', ...files], { cwd: root, stdio: 'inherit' });
process.exitCode = format.status ?? 1;
