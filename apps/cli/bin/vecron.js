#!/usr/bin/env node
// The `vecron` command (apps/cli): built by `pnpm build` / scripts/start.sh into dist/.
require('../dist/main.js');
