import { describe, expect, it } from 'vitest';
import { securityCoverageLine } from '../support/security-coverage-reporter.ts';

describe('the [coverage] security line', () => {
  it('lists each finding once, in order, and counts the passed security tests only', () => {
    expect(securityCoverageLine(['security #13: a', 'security #2: b', 'other test', 'security #2: c', 'a security #4: not at the start'])).toBe(
      '[coverage] security: findings 2, 13 tested (3 tests passed)',
    );
    expect(securityCoverageLine([])).toBe('[coverage] security: findings none tested (0 tests passed)');
  });
});
