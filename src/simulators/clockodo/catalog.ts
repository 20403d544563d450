/**
 * The fixed master data of the simulated clockodo account: customers (names with umlauts),
 * projects with budgets and hourly rates, subprojects, services, lump-sum services, texts, teams.
 */

export type BudgetType = 'strict' | 'soft' | null;

export interface Customer {
  id: number;
  name: string;
  number: string | null;
  note: string | null;
  /** Internal customer: its entries are never billable. */
  internal: boolean;
}

export interface Project {
  id: number;
  customersId: number;
  name: string;
  number: string | null;
  note: string | null;
  /** 'strict' = hard budget (no revenue unless asked for), 'soft', or none. */
  budgetType: BudgetType;
  completed: boolean;
  /** Project rate; falls back to the service's rate when null. */
  hourlyRate: number | null;
}

export interface Subproject {
  id: number;
  projectsId: number;
  name: string;
}

export interface Service {
  id: number;
  name: string;
  number: string | null;
  note: string | null;
  hourlyRate: number;
}

export interface LumpsumService {
  id: number;
  name: string;
  price: number;
}

export interface Team {
  id: number;
  name: string;
}

export const CUSTOMERS: readonly Customer[] = [
  { id: 1001, name: 'Müller & Söhne GmbH', number: 'K-1001', note: 'Rahmenvertrag bis 2027', internal: false },
  { id: 1002, name: 'Bäckerei Groß-Höfer', number: 'K-1002', note: null, internal: false },
  { id: 1003, name: 'Öko-Energie Süd AG', number: 'K-1003', note: 'Abrechnung quartalsweise', internal: false },
  { id: 1004, name: 'Straßenbau Kühn KG', number: null, note: null, internal: false },
  { id: 1005, name: 'Zürcher Rück Versicherungs-AG', number: 'K-1005', note: 'Rechnungen in CHF', internal: false },
  { id: 1006, name: 'Intern', number: 'K-0000', note: 'Interne Zeiten, nie abrechenbar', internal: true },
];

export const PROJECTS: readonly Project[] = [
  { id: 2001, customersId: 1001, name: 'Website-Relaunch', number: 'P-2001', note: 'Festpreis', budgetType: 'strict', completed: false, hourlyRate: 95 },
  { id: 2002, customersId: 1001, name: 'Wartung 2026', number: 'P-2002', note: null, budgetType: 'soft', completed: false, hourlyRate: null },
  { id: 2003, customersId: 1002, name: 'Kassensystem', number: 'P-2003', note: 'abgenommen', budgetType: 'strict', completed: true, hourlyRate: 110 },
  { id: 2004, customersId: 1003, name: 'Smart-Meter-Portal', number: 'P-2004', note: null, budgetType: 'soft', completed: true, hourlyRate: 120 },
  { id: 2005, customersId: 1003, name: 'Datenmigration', number: null, note: null, budgetType: null, completed: false, hourlyRate: null },
  { id: 2006, customersId: 1004, name: 'Baustellen-App', number: 'P-2006', note: 'Phase 2 beauftragt', budgetType: 'soft', completed: false, hourlyRate: 105 },
  { id: 2007, customersId: 1005, name: 'Risikomodell Übersee', number: 'P-2007', note: null, budgetType: null, completed: false, hourlyRate: 140 },
  { id: 2008, customersId: 1006, name: 'Weiterbildung', number: null, note: null, budgetType: null, completed: false, hourlyRate: null },
  { id: 2009, customersId: 1006, name: 'Verwaltung', number: null, note: null, budgetType: null, completed: false, hourlyRate: null },
];

export const SUBPROJECTS: readonly Subproject[] = [
  { id: 2101, projectsId: 2001, name: 'Design' },
  { id: 2102, projectsId: 2001, name: 'Backend' },
  { id: 2103, projectsId: 2004, name: 'Phase 1' },
];

export const SERVICES: readonly Service[] = [
  { id: 3001, name: 'Entwicklung', number: 'L-01', note: null, hourlyRate: 100 },
  { id: 3002, name: 'Beratung', number: 'L-02', note: 'Senior-Satz', hourlyRate: 130 },
  { id: 3003, name: 'Projektmanagement', number: 'L-03', note: null, hourlyRate: 110 },
  { id: 3004, name: 'Support', number: null, note: null, hourlyRate: 85 },
  { id: 3005, name: 'Reisezeit', number: 'L-05', note: 'nur nach Absprache', hourlyRate: 60 },
  { id: 3006, name: 'Schulung', number: 'L-06', note: null, hourlyRate: 90 },
];

export const LUMPSUM_SERVICES: readonly LumpsumService[] = [{ id: 3501, name: 'Anfahrtspauschale', price: 45 }];

/** Initial texts; the simulator adds new ones when a PUT sets a text it has not seen. */
export const TEXTS: ReadonlyArray<{ id: number; text: string }> = [
  { id: 4001, text: 'Sprint-Planung' },
  { id: 4002, text: 'Code-Review' },
  { id: 4003, text: 'Kundentermin vor Ort' },
  { id: 4004, text: 'Fehleranalyse' },
  { id: 4005, text: 'Dokumentation überarbeitet' },
  { id: 4006, text: 'Tägliches Stand-up' },
];

export const TEAMS: readonly Team[] = [
  { id: 1, name: 'Entwicklung' },
  { id: 2, name: 'Beratung' },
  { id: 3, name: 'Verwaltung' },
];
