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
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // tsc already reports unused locals and parameters (noUnusedLocals/noUnusedParameters);
      // `_`-prefixed names are the deliberate exceptions.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // The config files themselves are plain JS outside tsconfig's project.
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
