/**
 * Keeper's product-id table (seed 001, "Product ID to SKU mapping"), with the other names each id is
 * seen under (keeper.md quirk 3). Products are keyed on the id: names drift between endpoints.
 */
import type { ProductCategory } from "../../domain/model";

export interface KeeperCatalogueEntry {
  id: number;
  name: string;
  category: ProductCategory;
  /** The usual billing unit. */
  unit: string;
  aliases: string[];
}

export const KEEPER_CATALOGUE: readonly KeeperCatalogueEntry[] = [
  { id: 720, name: "Keeper MSP", category: "BASE_PLAN", unit: "user", aliases: ["MSP Base License", "basePlan"] },
  { id: 10001, name: "Keeper Business", category: "BASE_PLAN", unit: "user", aliases: ["Keeper Business Bundle"] },
  { id: 10002, name: "Keeper Business Plus", category: "BASE_PLAN", unit: "user", aliases: ["Keeper Business Plus Bundle"] },
  { id: 10010, name: "Keeper Enterprise", category: "BASE_PLAN", unit: "user", aliases: ["Keeper Enterprise Bundle"] },
  { id: 10011, name: "Keeper Enterprise Plus", category: "BASE_PLAN", unit: "user", aliases: ["Keeper Enterprise Plus Bundle"] },
  { id: 967, name: "Keeper Connection Manager Add On", category: "ADD_ON", unit: "user", aliases: ["Keeper Connection Manager (KCM)"] },
  { id: 968, name: "Keeper Secrets Manager Add On", category: "ADD_ON", unit: "user", aliases: [] },
  { id: 910, name: "KeeperChat Add On", category: "ADD_ON", unit: "user", aliases: ["KeeperChat"] },
  { id: 920, name: "Keeper ARAM Add On", category: "ADD_ON", unit: "user", aliases: ["Advanced Reporting & Alerts"] },
  { id: 930, name: "Keeper BreachWatch Add On", category: "ADD_ON", unit: "user", aliases: ["BreachWatch"] },
  { id: 940, name: "Keeper Compliance Reporting Add On", category: "ADD_ON", unit: "user", aliases: ["Compliance Reporting"] },
  { id: 1011, name: "Keeper 1TB Storage Add On", category: "STORAGE", unit: "plan", aliases: ["1TB Secure File Storage"] },
  { id: 1012, name: "Keeper 10TB Storage Add On", category: "STORAGE", unit: "plan", aliases: ["10TB Secure File Storage"] },
  { id: 730, name: "Dedicated Service & Support", category: "SERVICE", unit: "service", aliases: [] },
  { id: 973, name: "Remote Browser Isolation", category: "ADD_ON", unit: "user", aliases: [] },
  { id: 978, name: "Privilege Access Management", category: "ADD_ON", unit: "user", aliases: ["Privileged Access Management"] },
];

const BY_ID = new Map(KEEPER_CATALOGUE.map((e) => [String(e.id), e]));

export function keeperCatalogueEntry(productId: string): KeeperCatalogueEntry | undefined {
  return BY_ID.get(productId);
}
