#!/usr/bin/env node
// The `attn` command. The CLI itself is compiled TypeScript in dist/ (built by `npm install`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
