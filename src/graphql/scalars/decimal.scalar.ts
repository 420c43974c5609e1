import { GraphQLError, GraphQLScalarType, Kind } from "graphql";
import { Decimal } from "decimal.js";
import { decimalFromText, decimalToText, isDecimalText } from "../../domain/money";

function bad(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } });
}

const PLAIN_DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;

/** Exact decimal numbers as strings on the wire ("2387.74"); never a JS float. */
export const DecimalScalar = new GraphQLScalarType({
  name: "Decimal",
  description: 'An exact decimal number, as a string (e.g. "2387.74"). Money and quantities are never floats.',
  serialize(value: unknown): string {
    if (value instanceof Decimal) return decimalToText(value);
    // Plain decimal text passes as it is: money is padded to its currency's minor unit before it gets here.
    if (typeof value === "string" && PLAIN_DECIMAL.test(value)) return value;
    if (typeof value === "string" && isDecimalText(value)) return decimalToText(decimalFromText(value));
    throw new GraphQLError("Decimal cannot represent a non-decimal value");
  },
  parseValue(value: unknown): Decimal {
    if (typeof value !== "string" || !isDecimalText(value)) throw bad('Decimal values are strings such as "12.50"');
    return decimalFromText(value);
  },
  parseLiteral(ast): Decimal {
    if (ast.kind !== Kind.STRING || !isDecimalText(ast.value)) throw bad('Decimal values are strings such as "12.50"');
    return decimalFromText(ast.value);
  },
});
