// One lint set-up for every workspace. Beyond the recommended rules it enforces the
// architecture: no workspace reaches into another's src/, and code that runs inside the
// isolate (worker-pool/src/runtime) uses no Node built-ins.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const workspaces = ['core', 'gateway', 'scheduler', 'worker-pool', 'cli', 'functions-examples', 'bench', 'triggers', 'sidecar', 'console', 'k8s'];

export default tseslint.config(
  // Hostile fixtures are deliberately bad code: data for the sandbox tests, not code to lint.
  { ignores: ['**/dist/**', '**/node_modules/**', '.isola/**', '.scratch/**', '**/fixtures/hostile/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@isola/[^/]+/(src|dist)(/|$)',
              message: 'Import another workspace through its package entry (@isola/name), never its src/ or dist/ internals.',
            },
            {
              regex: `^(\\.\\./)+(${workspaces.join('|')})/`,
              message: 'Import another workspace through its package entry (@isola/name), not by a relative path into it.',
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'smart'],
      'no-console': 'error',
    },
  },
  {
    // User-facing output of the CLI, test/bench reporting, and functions and templates of functions (whose console is captured).
    files: ['cli/src/commands/**', 'cli/src/bin.ts', 'bench/**', '**/*.test.ts', 'scripts/**', 'functions-examples/*/src/**', 'cli/templates/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['worker-pool/src/runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'The runtime runs inside the isolate: no Node built-ins.' },
            { regex: '^(fs|path|os|net|http|https|crypto|child_process|worker_threads|stream|buffer|util|events)$', message: 'The runtime runs inside the isolate: no Node built-ins.' },
            { regex: '^(isolated-vm|@isola/)', message: 'The runtime runs inside the isolate: it cannot import host packages.' },
          ],
        },
      ],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
