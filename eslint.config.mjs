// ESLint flat config: typescript-eslint with type information, an import-cycle check, the layer
// zones between src/ folders, and the workflow-sandbox allowlist of src/workflows and src/core.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

// The workflow sandbox is an allowlist: workflow code and core import only these packages and
// relative modules (which the layer zones below keep inside their folders).
const workflowSafe = (packages) =>
  new RegExp(`^(?!\\.{1,2}/|(${packages.map((p) => p.replace('/', '\\/')).join('|')})(/|$))`).source;

// Layers point one way: core <- workflows, activities and the feature folders <- backends and
// worker <- services <- cli and api. Each zone names who may not import whom.
const middle = [
  'activities',
  'runtime',
  'schedules',
  'events',
  'plugins',
  'config',
  'dag',
  'dev',
  'stores',
  'metrics',
  'tracing',
];
const upper = ['backends', 'worker', 'services', 'cli', 'api'];
const src = (folders) => folders.map((f) => `./src/${f}`);
const layerZones = [
  { target: './src/core', from: './src', except: ['./core'], message: 'core imports nothing outside src/core' },
  {
    target: './src/workflows',
    from: './src',
    except: ['./core', './workflows', './activities'],
    message: 'workflows import only core, other workflows and activity types',
  },
  {
    target: src(middle),
    from: src(upper),
    message: 'activities and feature folders sit below backends, worker, services and clients',
  },
  {
    target: src(['backends', 'worker']),
    from: src(['services', 'cli', 'api']),
    message: 'backends and the worker sit below services and clients',
  },
  { target: './src/services', from: src(['cli', 'api']), message: 'services sit below the CLI and the API' },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', 'coverage/', 'bin/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    // Resolve TypeScript sources, so the cycle check and the layer zones see every relative import.
    settings: { 'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.js', '.json'] })] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'import-x/no-restricted-paths': ['error', { zones: layerZones }] },
  },
  {
    // Core is shared by workflows and in-process runs: pure code, @temporalio/common at most.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: workflowSafe(['@temporalio/common']),
              message: 'src/core imports only @temporalio/common and relative core modules (workflow-safe allowlist)',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: an allowlist of packages, no I/O,
    // activities only as types.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: workflowSafe(['@temporalio/workflow', '@temporalio/common']),
              message:
                'src/workflows imports only @temporalio/workflow, @temporalio/common and workflow-safe relative modules (sandbox allowlist)',
            },
            {
              group: ['../activities', '../activities/*'],
              allowTypeImports: true,
              message: 'import activities as types only',
            },
          ],
        },
      ],
    },
  },
);
