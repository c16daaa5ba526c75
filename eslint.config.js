// Lint rules that encode the house rules: no console in product code, no untyped `any`
// without a reason, no `export *` grab-bags, process.env only read by apps' entry points.
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.data/**', '**/*.js'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      'no-debugger': 'error',
      'no-eval': 'error',
      'no-new-func': 'error',
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'use explicit named exports' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'only apps read process.env (through their config class)' }],
    },
  },
  {
    // Entry points, configuration and tests may read the environment.
    files: ['apps/*/src/main.ts', 'apps/*/src/cli.ts', '**/test/**/*.ts', '**/*.spec.ts', 'e2e/**/*.ts', 'bench/**/*.ts', 'packages/*/test/**/*.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Benchmarks and test code print their own reports.
    files: ['bench/**/*.ts', 'e2e/**/*.ts', '**/*.spec.ts', '**/test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
