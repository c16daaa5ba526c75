// Shared jest settings: SWC transform with decorator metadata (NestJS DI needs it),
// workspace packages resolved to their sources so tests never need a build.
const path = require('path');
const packagesDir = path.join(__dirname, 'packages');
module.exports = (dir, displayName) => ({
  displayName,
  rootDir: dir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        keepClassNames: true,
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    }],
  },
  moduleNameMapper: { '^@vecron/([a-z-]+)$': `${packagesDir}/$1/src/index.ts` },
  setupFiles: [path.join(__dirname, 'scripts/jest-setup.js')],
});
