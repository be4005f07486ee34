import { jest } from '@jest/globals';

// testTimeout is a global option, not a per-project one: the e2e project sets its own here.
jest.setTimeout(600_000);
