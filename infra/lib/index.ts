// @berth/infra's light entry: the config types and their validation, resource naming and the bootstrap
// helpers. It must not load aws-cdk-lib (a test checks): the CLI imports it on every command, and only
// synth and deploy pay for the CDK, through the `@berth/infra/app` entry (app.ts).

// berth.config.ts: the user-facing schema and defineConfig, and its loading, checking and resolving.
export * from '../config/defaults.js';
export * from '../config/environments.js';
// Each service's image: the builds Berth runs, prebuilt references (the ECR ones need pull permission).
export * from '../config/images.js';
// Instance sizes and the capacity arithmetic validation uses: `berth plan` sizes the services' floor with them.
export * from '../config/instance-capacity.js';
export * from '../config/load.js';
export * from '../config/resolve.js';
export * from '../config/schema.js';
export * from '../config/shape.js';
export * from '../config/validate.js';
export * from './bootstrap.js';
// Image references and a release's images in one line (`berth:image`, `--image-digest`, the digest record).
export * from './image.js';
export * from './naming.js';
