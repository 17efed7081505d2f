import { loadConfig } from '../config/load.js';
import { createApp } from '../lib/app.js';

// `cdk synth` from infra/: the nearest berth.config.ts above it (the repository's own).
createApp({ config: await loadConfig() }).synth();
