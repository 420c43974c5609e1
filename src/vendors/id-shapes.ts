/**
 * The shape of each vendor's own ids, per contract, as they appear in the keys of our global ids and in
 * inputs that carry a vendor id. Checked before any upstream call (graphql/plugins/input-check.ts), so
 * an id the vendor could never have issued (`../../reports`, `x?y`) is refused instead of sent. Shapes
 * follow the contract docs, and are no stricter than what the vendors produce: when a doc says opaque,
 * the shape is the alphabet the vendor's ids are written in.
 */
import type { VendorApi } from "../domain/model";
import { KEEPER_DISTRIBUTOR_ROOT } from "./keeper-distributor";
import { KEEPER_MSP_SELF } from "./keeper-msp";
import { MARKETPLACE_PUBLISHER } from "./microsoft-marketplace/mapper";
import { PARTNER_SELF } from "./microsoft-partner-billing";
import { WEBEX_PARTNER_SELF } from "./webex-wholesale";

type Shape = RegExp;

const exactly = (value: string): Shape => new RegExp(`^${value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
const either = (...shapes: Shape[]): Shape => new RegExp(shapes.map((s) => `(?:${s.source})`).join("|"));

/** Microsoft ids (subscriptions, operations, tenants, customers): GUIDs. */
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Standard base64, padding optional: Webex ids (webex.md quirk 1) and Keeper's companyId (keeper.md quirk 6). */
const BASE64 = /^[A-Za-z0-9+/]{1,512}={0,2}$/;
const PERIOD = /^\d{4}-(?:0[1-9]|1[0-2])$/;
/** The account's id of our own choosing at Keeper (vendorInternalId): 1-128 characters, no control characters. Sent in JSON bodies only. */
const KEEPER_INTERNAL_ID = /^(?=.*\S)[^\u0000-\u001f\u007f]{1,128}$/u;
/** Product and line keys are built by the gateway from vendor rows; never sent back to a vendor. */
const LOCAL_KEY = /^[^\u0000-\u001f\u007f]{1,512}$/u;

const KEEPER_MSP_PARTNER = exactly(KEEPER_MSP_SELF);
const KEEPER_DISTRIBUTOR_PARTNER = either(exactly(KEEPER_DISTRIBUTOR_ROOT), KEEPER_INTERNAL_ID);
const WEBEX_PARTNER = either(exactly(WEBEX_PARTNER_SELF), BASE64);
const MARKETPLACE_PARTNER = exactly(MARKETPLACE_PUBLISHER);
const PARTNER_BILLING_PARTNER = exactly(PARTNER_SELF);

/** Per API, per global id type: the shape of each key, in order. A type missing here is one the API never issues. */
const ID_SHAPES: Record<VendorApi, Partial<Record<string, Shape[]>>> = {
  "keeper-msp": {
    partner: [KEEPER_MSP_PARTNER],
    company: [KEEPER_MSP_PARTNER, BASE64],
    invoice: [KEEPER_MSP_PARTNER, PERIOD],
    product: [LOCAL_KEY],
    line: [LOCAL_KEY],
  },
  "keeper-distributor": {
    partner: [KEEPER_DISTRIBUTOR_PARTNER],
    company: [KEEPER_DISTRIBUTOR_PARTNER, BASE64],
    invoice: [KEEPER_DISTRIBUTOR_PARTNER, PERIOD],
    subscription: [KEEPER_INTERNAL_ID],
    product: [LOCAL_KEY],
    line: [LOCAL_KEY],
  },
  "webex-wholesale": {
    partner: [WEBEX_PARTNER],
    company: [WEBEX_PARTNER, BASE64],
    invoice: [WEBEX_PARTNER, PERIOD],
    report: [BASE64],
    product: [LOCAL_KEY],
    line: [LOCAL_KEY],
  },
  "microsoft-marketplace": {
    partner: [MARKETPLACE_PARTNER],
    company: [MARKETPLACE_PARTNER, GUID],
    invoice: [MARKETPLACE_PARTNER, PERIOD],
    subscription: [GUID],
    operation: [GUID, GUID],
    product: [LOCAL_KEY],
    line: [LOCAL_KEY],
  },
  "microsoft-partner-billing": {
    partner: [PARTNER_BILLING_PARTNER],
    company: [PARTNER_BILLING_PARTNER, GUID],
    invoice: [PARTNER_BILLING_PARTNER, PERIOD],
    product: [LOCAL_KEY],
    line: [LOCAL_KEY],
  },
};

/** Vendor ids passed as plain strings, by input field name: keeper.md B, cancel/remove key on Keeper's partnerId (a UUID). */
const STRING_ID_SHAPES: Partial<Record<VendorApi, Record<string, Shape>>> = {
  "keeper-distributor": { vendorPartnerId: GUID, vendorInternalId: KEEPER_INTERNAL_ID },
};

/** Why the keys are not ids of that type at that API, or undefined when they are. */
export function checkIdKeys(api: VendorApi, type: string, keys: string[]): string | undefined {
  const shapes = ID_SHAPES[api][type];
  if (!shapes) return `a ${api} connection has no ${type} ids`;
  if (shapes.length !== keys.length || keys.some((k, i) => !shapes[i].test(k))) return `not a ${type} id of a ${api} connection`;
  return undefined;
}

/** Why a string input named `name` is not a vendor id of that API, or undefined (also when the name carries none). */
export function checkStringId(api: VendorApi, name: string, value: string): string | undefined {
  const shape = STRING_ID_SHAPES[api]?.[name];
  return shape && !shape.test(value) ? `not a ${name} of a ${api} connection` : undefined;
}
