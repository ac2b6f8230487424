// ESLint flat config: typescript-eslint with type information, an import-cycle check, and the
// workflow-sandbox rule that keeps Node built-ins and I/O packages out of src/workflows.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const nodeBuiltins = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', 'coverage/', 'bin/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O,
    // activities only as types.
    files: ['src/workflows/**/*.ts', 'src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, ...nodeBuiltins.map((m) => `node:${m}`)].map((name) => ({
            name,
            message: 'workflow-safe code must not import Node built-ins',
          })),
          patterns: [
            {
              group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', 'yaml', 'fastify', 'nats'],
              message: 'no I/O packages in workflow-safe code',
            },
            {
              group: ['../activities', '../activities/*'],
              allowTypeImports: true,
              message: 'import activities as types only',
            },
            {
              group: [
                '../plugins/*',
                '../backends/*',
                '../config/*',
                '../events/*',
                '../cli/*',
                '../worker/*',
                '../dev/*',
              ],
              message: 'workflow-safe code imports only core and @temporalio/workflow',
            },
          ],
        },
      ],
    },
  },
);
