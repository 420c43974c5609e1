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
  // ESM-only packages compiled for jest; and the OTLP exporter, whose `import("http")` jest cannot run without vm modules.
  transformIgnorePatterns: ["/node_modules/(?!(jose|@opentelemetry/otlp-exporter-base)/)"],
  testTimeout: 20000,
  reporters: ["default", "<rootDir>/test/helpers/summary-reporter.js"],
};
