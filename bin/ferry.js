#!/usr/bin/env node
// Entry point of the `ferry` command: runs the compiled CLI (`npm run build` writes dist/).
// `ferry copy` takes a fast path that loads only the OCI engine (src/cli/commands/copy.ts
// `copyMain`): the full CLI imports every command's modules at start, which a bulk copy does not need.
const args = process.argv.slice(2);
if (args[0] === 'copy') {
  const { copyMain } = await import('../dist/cli/commands/copy.js');
  process.exitCode = await copyMain(args);
} else {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(args);
}
