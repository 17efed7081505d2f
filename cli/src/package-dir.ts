import { fileURLToPath } from 'node:url';

/**
 * The @berth/cli package's own directory (cli/ here, node_modules/@berth/cli when installed): where the
 * files Berth ships are (package.json, the AMI's Packer template). This module sits one level below it both
 * as source (src/) and compiled (dist/).
 */
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
