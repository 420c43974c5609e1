/**
 * Typed errors. Each has a fixed `extensions.code` (STYLE.md, Errors). Vendor errors carry where they
 * came from but never the cause's text on the wire: causes may hold URLs, headers or bodies.
 */
import { GraphQLError } from "graphql";
import type { Vendor } from "./model";

export type ErrorCode =
  | "BAD_USER_INPUT"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "VENDOR_NOT_CONFIGURED"
  | "VENDOR_UNAVAILABLE"
  | "VENDOR_AUTH_FAILED"
  | "VENDOR_RATE_LIMITED"
  | "VENDOR_REJECTED"
  | "VENDOR_BAD_RESPONSE"
  | "VENDOR_REPORT_PENDING"
  | "VENDOR_REPORT_FAILED"
  | "DIRECTORY_UNAVAILABLE"
  | "INTERNAL_SERVER_ERROR";

export class BadUserInputError extends GraphQLError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code: "BAD_USER_INPUT", ...extra } });
    this.name = "BadUserInputError";
  }
}

/** The customer directory's store could not take (or confirm) an edit: nothing is known to have changed. */
export class DirectoryUnavailableError extends GraphQLError {
  constructor(message = "The customer directory's store did not answer: the edit was not confirmed, try it again") {
    super(message, { extensions: { code: "DIRECTORY_UNAVAILABLE" } });
    this.name = "DirectoryUnavailableError";
  }
}

export class UnauthenticatedError extends GraphQLError {
  constructor(message = "A valid bearer token is required") {
    super(message, { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
    this.name = "UnauthenticatedError";
  }
}

export class ForbiddenError extends GraphQLError {
  constructor(message = "Not allowed for this caller") {
    super(message, { extensions: { code: "FORBIDDEN", http: { status: 403 } } });
    this.name = "ForbiddenError";
  }
}

export type VendorErrorCode =
  | "VENDOR_NOT_CONFIGURED"
  | "VENDOR_UNAVAILABLE"
  | "VENDOR_AUTH_FAILED"
  | "VENDOR_RATE_LIMITED"
  | "VENDOR_REJECTED"
  | "VENDOR_BAD_RESPONSE"
  | "VENDOR_REPORT_PENDING"
  | "VENDOR_REPORT_FAILED";

export interface VendorErrorDetails {
  vendor: Vendor;
  connectionId: string;
  upstreamStatus?: number;
  /** The vendor's own error code or message, when it gave one (already free of secrets: vendor text only). */
  upstreamCode?: string;
  requestId?: string;
  retryAfterSeconds?: number;
  /** For report-backed data: the vendor report and its status. */
  reportId?: string;
  reportStatus?: string;
  /** Problems the vendor reported (report errors) or the gateway found (malformed rows). */
  problems?: string[];
  /** Internal only: never serialised. */
  cause?: unknown;
}

const DEFAULT_MESSAGES: Record<VendorErrorCode, string> = {
  VENDOR_NOT_CONFIGURED: "No connection is configured for this vendor",
  VENDOR_UNAVAILABLE: "The vendor is unavailable",
  VENDOR_AUTH_FAILED: "The vendor rejected the gateway's credentials",
  VENDOR_RATE_LIMITED: "The vendor is rate limiting requests",
  VENDOR_REJECTED: "The vendor rejected the request",
  VENDOR_BAD_RESPONSE: "The vendor sent a response the gateway cannot read",
  VENDOR_REPORT_PENDING: "The vendor is still generating the report; ask again shortly",
  VENDOR_REPORT_FAILED: "The vendor could not generate the report",
};

export class VendorError extends GraphQLError {
  readonly code: VendorErrorCode;
  readonly details: VendorErrorDetails;

  constructor(code: VendorErrorCode, details: VendorErrorDetails, message?: string) {
    const extensions: Record<string, unknown> = {
      code,
      vendor: details.vendor,
      connectionId: details.connectionId,
    };
    if (details.upstreamStatus !== undefined) extensions.upstreamStatus = details.upstreamStatus;
    if (details.upstreamCode !== undefined) extensions.upstreamCode = details.upstreamCode;
    if (details.requestId !== undefined) extensions.requestId = details.requestId;
    if (details.retryAfterSeconds !== undefined) extensions.retryAfterSeconds = details.retryAfterSeconds;
    if (details.reportId !== undefined) extensions.reportId = details.reportId;
    if (details.reportStatus !== undefined) extensions.reportStatus = details.reportStatus;
    if (details.problems !== undefined) extensions.problems = details.problems;
    super(`${message ?? DEFAULT_MESSAGES[code]} (connection ${details.connectionId})`, { extensions });
    this.name = "VendorError";
    this.code = code;
    this.details = details;
  }
}

export function isVendorError(err: unknown): err is VendorError {
  return err instanceof VendorError;
}
