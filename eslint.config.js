// ESLint with typescript-eslint's type-aware rules over src, test and scripts.
// `recommendedTypeChecked` catches promises left floating or passed where a void callback is
// expected (a rejected promise there is an unhandled rejection, not an error the caller sees).
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'data/'] },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // One program from tsconfig.json (it covers src, test and scripts): less CPU here than
        // projectService's per-file lookup.
        project: './tsconfig.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // tsc already reports unused locals and parameters (noUnusedLocals/noUnusedParameters);
      // `_`-prefixed names are the deliberate exceptions.
      // Passing on a caught value unchanged is a rethrow, not a reject with a non-Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Tests (and the testbed they share with scripts) read JSON answers and GraphQL payloads as
    // `any` and check them with expect(): typing each answer first would add casts that prove
    // nothing. The promise rules stay on.
    files: ['test/**/*.ts', 'src/testbed/**/*.ts'],
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
    // The config files themselves are plain JS outside tsconfig's project.
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
