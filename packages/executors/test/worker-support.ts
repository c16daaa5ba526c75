import { Worker, type WorkerOptions } from 'worker_threads';

/**
 * Starts a worker thread on a TypeScript entry (tests run the sources, not `dist`): the thread
 * first installs a `require` hook that compiles `.ts` files with SWC, as jest does, then loads
 * `entry`. Workspace packages (`@vecron/x`) resolve to their sources, as in jest.
 */
export function startTsWorker(entry: string, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const swc = require.resolve('@swc/core');
  const code = `
const fs = require('fs');
const path = require('path');
const Module = require('module');
const swc = require(${JSON.stringify(swc)});
const packages = ${JSON.stringify(`${__dirname}/../..`)};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const m = /^@vecron\\/([a-z-]+)$/.exec(request);
  return resolve.call(this, m ? path.join(packages, m[1], 'src/index.ts') : request, ...rest);
};
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, keepClassNames: true, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
require(${JSON.stringify(entry)});
`;
  return new Worker(code, { ...options, eval: true });
}
