/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  setupFiles: ["<rootDir>/test/helpers/setup.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }],
    "^.+\\.js$": ["ts-jest", { tsconfig: { allowJs: true, module: "commonjs" } }],
  },
  // ESM-only packages compiled for jest.
  transformIgnorePatterns: ["/node_modules/(?!(jose)/)"],
  testTimeout: 20000,
  reporters: ["default", "<rootDir>/test/helpers/summary-reporter.js"],
};
