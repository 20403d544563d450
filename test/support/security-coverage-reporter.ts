/**
 * A vitest reporter that ends the run with one line listing the security findings (issue 12) that
 * passing tests cover: every test named "security #N: …" counts for finding N.
 *   [coverage] security: findings 1, 2, 3 tested (12 tests passed)
 */
import type { Reporter, TestModule } from 'vitest/node';

export function securityCoverageLine(passedTestNames: Iterable<string>): string {
  const findings = new Set<number>();
  let passed = 0;
  for (const name of passedTestNames) {
    const match = /^security #(\d+):/.exec(name);
    if (!match) continue;
    findings.add(Number(match[1]));
    passed += 1;
  }
  const list = [...findings].sort((a, b) => a - b);
  return `[coverage] security: findings ${list.length > 0 ? list.join(', ') : 'none'} tested (${passed} tests passed)`;
}

export default class SecurityCoverageReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const names = testModules.flatMap((module) => [...module.children.allTests('passed')].map((test) => test.name));
    process.stdout.write(`\n${securityCoverageLine(names)}\n`);
  }
}
