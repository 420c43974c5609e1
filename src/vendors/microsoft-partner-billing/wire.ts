/** Raw wire shapes of the Partner Center billing reconciliation export through Microsoft Graph (microsoft-partner-billing.md). */

export const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
export const BILLING_PATH = "/reports/partners/billing";

export interface GraphErrorBody {
  error?: { code?: string; message?: string; innerError?: Record<string, unknown> };
}

export interface ExportManifest {
  id?: string;
  schemaVersion?: string;
  dataFormat?: string;
  createdDateTime?: string;
  eTag?: string;
  partnerTenantId?: string;
  rootDirectory: string;
  sasToken: string;
  partitionType?: string;
  blobCount?: number;
  blobs: Array<{ name: string; partitionValue?: string }>;
}

export interface ExportOperation {
  "@odata.type"?: string;
  id: string;
  /** notStarted | running | succeeded | failed (casing varies; "completed" also seen). */
  status?: string;
  createdDateTime?: string;
  lastActionDateTime?: string;
  resourceLocation?: ExportManifest;
  "resourceLocation@odata.navigationLink"?: string;
  error?: { code?: string; message?: string };
}
