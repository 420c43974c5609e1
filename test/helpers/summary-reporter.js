// Writes jest's own totals to test-results.json so .ci/run can end with "N passed, N failed".
const { writeFileSync } = require("node:fs");
const { join } = require("node:path");

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const summary = {
      passed: results.numPassedTests,
      failed: results.numFailedTests,
      skipped: results.numPendingTests + results.numTodoTests,
      suitesFailed: results.numFailedTestSuites,
      runtimeErrorSuites: results.numRuntimeErrorTestSuites,
    };
    writeFileSync(join(this.rootDir, "test-results.json"), JSON.stringify(summary));
  }
}

module.exports = SummaryReporter;
