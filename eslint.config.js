import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', '__tests__/fixtures/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly'
      }
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off'
    }
  },
  {
    // The layers of "How it works" in the README: no import cycle, and the pure core never
    // reaches for a tool or the pipeline.
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver()]
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src/plan',
              from: ['./src/tools', './src/pipeline', './src/inputs', './src/action', './src/cli']
            },
            { target: './src/inputs', from: ['./src/tools', './src/pipeline', './src/action', './src/cli'] },
            { target: './src/tools', from: ['./src/pipeline', './src/action', './src/cli', './src/inputs'] },
            { target: './src/pipeline', from: ['./src/action', './src/cli'] }
          ]
        }
      ]
    }
  }
);
