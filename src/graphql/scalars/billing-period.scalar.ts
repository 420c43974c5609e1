import { GraphQLError, GraphQLScalarType, Kind } from "graphql";
import { formatBillingPeriod, parseBillingPeriod, type BillingPeriod } from "../../domain/period";

function parse(value: unknown): BillingPeriod {
  const parsed = parseBillingPeriod(value);
  if (typeof parsed === "string") throw new GraphQLError(parsed, { extensions: { code: "BAD_USER_INPUT" } });
  return parsed;
}

/** A calendar month, `YYYY-MM` (four-digit year, month 01-12). */
export const BillingPeriodScalar = new GraphQLScalarType({
  name: "BillingPeriod",
  description: "A calendar billing month, YYYY-MM (e.g. 2025-08).",
  serialize(value: unknown): string {
    if (typeof value === "string") return formatBillingPeriod(parse(value));
    if (value && typeof value === "object" && "year" in value && "month" in value) return formatBillingPeriod(value as BillingPeriod);
    throw new GraphQLError("BillingPeriod cannot represent this value");
  },
  parseValue: parse,
  parseLiteral(ast): BillingPeriod {
    if (ast.kind !== Kind.STRING) throw new GraphQLError("BillingPeriod must be a string of the form YYYY-MM", { extensions: { code: "BAD_USER_INPUT" } });
    return parse(ast.value);
  },
});
