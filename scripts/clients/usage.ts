// Uses the TypeScript types that openapi-typescript generates from openapi/openapi.json the way
// a frontend would. scripts/check-clients compiles it with `tsc --strict --noEmit`: when the
// contract regresses (a body, a field, an operation or a page shape changes or goes), this file
// stops compiling. `@ts-expect-error` lines must fail to typecheck: tsc reports an error when
// one of them compiles, i.e. when the document got looser than the server.
import type { components, operations, paths } from "./schema";

type Schemas = components["schemas"];
type JsonBody<T> = T extends { content: { "application/json": infer B } } ? B : never;
type ProblemBody<T> = T extends { content: { "application/problem+json": infer B } } ? B : never;
type RequestBody<Op> = Op extends { requestBody: infer R } ? JsonBody<NonNullable<R>> : never;
type MergePatchBody<Op> = Op extends { requestBody: { content: { "application/merge-patch+json": infer B } } }
  ? B
  : never;
type Ok<Op, Status extends number> = Op extends { responses: infer R }
  ? Status extends keyof R
    ? JsonBody<R[Status]>
    : never
  : never;

// --- Contacts: creating one through the path, as a fetch wrapper keyed by path would.
type CreateContactBody = RequestBody<paths["/api/v1/contacts"]["post"]>;
export const newContact: CreateContactBody = {
  first_name: "Ada",
  last_name: "Lovelace",
  email: "ada@example.com",
  tags: ["vip"],
  consent: { email: true, phone: false },
  custom: { tier: "gold", seats: 12, beta: true },
};
// @ts-expect-error the contacts body is not the activities body (operations must not be mixed up)
export const notAnActivity: CreateContactBody = { kind: "call", subject: "Intro" };
// @ts-expect-error a contact has no `name`
export const noName: CreateContactBody = { name: "Ada" };
// @ts-expect-error consent is channel -> boolean
export const badConsent: CreateContactBody = { consent: { email: "yes" } };
export const sameBody: Schemas["NewContact"] = newContact;

// --- The created contact and a page of contacts.
type CreatedContact = Ok<operations["createContact"], 201>;
export function greet(c: CreatedContact): string {
  const name: string = [c.first_name, c.last_name].filter((p): p is string => !!p).join(" ");
  const version: number = c.version;
  const id: string = c.id;
  const consented: boolean | undefined = c.consent["email"];
  const custom: unknown = c.custom["tier"];
  return `${id} v${version}: ${name} ${String(consented)} ${String(custom)}`;
}

type ContactPage = Ok<operations["listContacts"], 200>;
export function emails(page: ContactPage): (string | null | undefined)[] {
  const more: boolean = page.has_more;
  const next: string | null | undefined = page.next_cursor;
  void more;
  void next;
  return page.data.map((c) => c.email);
}
// A page's items are the named schema, both ways.
export const pageItemIsContact: Schemas["Contact"] = {} as ContactPage["data"][number];
export const contactIsPageItem: ContactPage["data"][number] = {} as Schemas["Contact"];
export function noBodyOnList(page: ContactPage): void {
  // @ts-expect-error page items are contacts, not activities
  void page.data[0].kind;
}
type ListContactsQuery = NonNullable<operations["listContacts"]["parameters"]["query"]>;
export const query: ListContactsQuery = { limit: 50, cursor: "abc", sort: "-updated_at", q: "ada" };

// --- Changing a contact (merge patch: null clears).
type PatchContactBody = MergePatchBody<operations["updateContact"]>;
export const patch: PatchContactBody = { title: null, custom: { tier: null }, consent: { sms: null } };
type UpdatedContact = Ok<operations["updateContact"], 200>;
export const updatedIsContact: Schemas["Contact"] = {} as UpdatedContact;

// --- Activities.
type CreateActivityBody = RequestBody<paths["/api/v1/activities"]["post"]>;
export const call: CreateActivityBody = { kind: "call", subject: "Intro", contact_email: "ada@example.com" };
// @ts-expect-error an activity needs a kind
export const noKind: CreateActivityBody = { subject: "Intro" };
// @ts-expect-error kinds are an enum
export const badKind: CreateActivityBody = { kind: "telepathy" };

// --- Deals.
type CreateDealBody = RequestBody<operations["createDeal"]>;
export const deal: CreateDealBody = { name: "Big one", amount: { amount: "1200.50", currency: "EUR" } };
// @ts-expect-error a deal needs a name
export const noDealName: CreateDealBody = { amount: { amount: "1", currency: "EUR" } };
type CreatedDeal = Ok<operations["createDeal"], 201>;
export const dealName = (d: CreatedDeal): string => d.name;
type DealPage = Ok<operations["listDeals"], 200>;
export const dealNames = (p: DealPage): string[] => p.data.map((d) => d.name);

// --- History entries and errors.
type History = Ok<operations["listContactHistory"], 200>;
export const changedFields = (h: History): string[] => h.data.flatMap((e) => Object.keys(e.changes));
export const before = (e: Schemas["HistoryEntry"]): unknown => e.changes["email"];

type CreateContactProblem = ProblemBody<operations["createContact"]["responses"][422]>;
export function firstFieldError(p: CreateContactProblem): string {
  const code: string = p.code;
  const status: number = p.status;
  return `${status} ${code} ${p.errors.map((e) => e.pointer).join(",")}`;
}

// --- Pushing a call by the telephony system's id: the body is the create body, the answer the
// activity with its external reference.
type UpsertActivity = operations["upsertActivity"];
export const pushedCall: RequestBody<UpsertActivity> = { kind: "call", subject: "Inbound", duration_secs: 60 };
export const callPath: UpsertActivity["parameters"]["path"] = { source: "pbx", external_id: "call-77" };
export function externalRef(a: Ok<UpsertActivity, 200>): string {
  const source: string | null | undefined = a.external_source;
  const id: string | null | undefined = a.external_id;
  return `${source ?? ""}:${id ?? ""}`;
}
export const createdDeal: Schemas["Deal"] = {} as Ok<operations["upsertDeal"], 201>;
// @ts-expect-error a lead's push takes the lead body, not the deal's
export const notALead: RequestBody<operations["upsertLead"]> = { name: "Big one", stage_id: "x" };

// --- Every operation a client needs is there under its id.
export type Needed = [
  operations["listContacts"],
  operations["createContact"],
  operations["getContact"],
  operations["updateContact"],
  operations["deleteContact"],
  operations["listCompanies"],
  operations["createCompany"],
  operations["listActivities"],
  operations["createActivity"],
  operations["createDeal"],
  operations["listDeals"],
  operations["upsertActivity"],
  operations["upsertLead"],
  operations["upsertDeal"],
  operations["login"],
  operations["getMe"],
  operations["getAnalyticsRefresh"],
  operations["runAnalyticsRefresh"],
  operations["getClvAnalysis"],
];

// --- Read models list every field as present (the server always sends them, null included):
// `first_name` is `string | null`, not optional.
type Contact = components["schemas"]["Contact"];
type IsRequired<T, K extends keyof T> = {} extends Pick<T, K> ? false : true;
export const contactFirstNameIsRequired: IsRequired<Contact, "first_name"> = true;
export const contactEmailIsRequired: IsRequired<Contact, "email"> = true;
// ...while create inputs keep optional fields optional.
type NewContact = components["schemas"]["NewContact"];
export const newContactFirstNameIsOptional: IsRequired<NewContact, "first_name"> = false;

// --- What analytics wrote onto a contact: read-only, always present, each figure nullable.
export const contactAnalyticsIsRequired: IsRequired<Contact, "analytics"> = true;
export function churnRisk(c: Contact): number | null {
  return c.analytics.churn_risk ?? null;
}
export function segmentOf(c: Contact): string | null {
  return c.analytics.rfm_segment ?? null;
}
// A list filtered and sorted on them: the query parameters are typed.
export const atRisk: NonNullable<operations["listContacts"]["parameters"]["query"]> = {
  "analytics.rfm_segment": "at risk",
  sort: "-analytics.clv",
};
