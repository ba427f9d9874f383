// ESLint 9 flat config: typescript-eslint's type-checked rules over every TypeScript file the root
// tsconfig covers (projectService finds it), the plain recommended rules over the few JavaScript
// launchers and scripts, and the project's own bans everywhere.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const MATH_RANDOM = ['error', { object: 'Math', property: 'random', message: 'use an Rng: cryptoRng() for privacy noise, seededRng(seed) for simulation' }];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/results/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // privacy noise comes only from a CSPRNG (cryptoRng) or, in simulation, seededRng: never Math.random
      'no-restricted-properties': MATH_RANDOM,
      // tsc's noUnusedLocals/noUnusedParameters already report these; `_`-prefixed names are deliberate
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // async methods that implement an async interface (storage, key providers, route handlers) need not await
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // tests feed untyped wire bodies, JSON vectors and deliberately wrong types to the code under test
    files: ['**/test/**', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // the launchers (bin/*.js, worker-boot.mjs) and bundling scripts are plain Node JavaScript outside the tsconfig
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: false, program: null },
      globals: { module: 'writable', require: 'readonly', process: 'readonly', console: 'readonly', URL: 'readonly', TextEncoder: 'readonly', Buffer: 'readonly', setTimeout: 'readonly' },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-restricted-properties': MATH_RANDOM, '@typescript-eslint/no-require-imports': 'off' },
  },
);
