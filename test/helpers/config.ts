/** The problems parseConfig reports for a raw configuration, or [] when it is valid. */
import { ConfigError, parseConfig } from "../../src/config";

export function configProblems(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(raw, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}
