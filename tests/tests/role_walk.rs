//! The role-matrix walk: every operation of the served OpenAPI document, called by a viewer, an
//! agent, a manager and an admin user and by API keys (scope `read` with role admin, scope
//! `read_write` with roles agent and manager), with a random id and a generated body. Below the
//! operation's minimum role (or with a read-scope key) the answer is 403 `forbidden`, even for an
//! unknown id; at or above it, anything but 401, 403 or a 5xx. The table of minimum roles follows
//! the `ctx.require(Action::...)` of each domain operation; a write operation missing from it
//! fails the walk. A focused test proves that agents cannot hand records to another owner.

use crm_tests::openapi_walk::{Doc, Gen, Operation, brief, problem_check, random_uuid, unique};
use crm_tests::{Session, TestApp, dual};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// `Action::Read`: every role, read-scope keys too.
    Read,
    /// `Action::Write`: agent.
    Write,
    /// `Action::Delete` (delete, restore, merge, deleted lists): manager.
    Delete,
    /// `Action::Reassign` (owner transfers): manager.
    Reassign,
    /// `Action::Configure` (custom fields, pipelines, price lists): admin.
    Configure,
    /// `Action::ManageUsers`: admin.
    ManageUsers,
    /// `Action::ManageKeys`: admin.
    ManageKeys,
    /// No credentials needed (`/api/v1/auth/*`, health, error pages): the role never matters.
    Public,
    /// The signed-in user's own account: any user, no API key.
    OwnAccount,
}

use Need::*;

/// The minimum each write operation needs, from `ctx.require(Action::...)` in crates/*/src/ops.
const WRITES: &[(&str, Need)] = &[
    ("POST /api/v1/activities", Write),
    ("PUT /api/v1/analytics/settings", Configure),
    ("PUT /api/v1/analytics/refresh", Configure),
    ("POST /api/v1/analytics/refresh/run", Configure),
    ("PUT /api/v1/analytics/rollups", Configure),
    ("POST /api/v1/analytics/next-best-actions/accept", Write),
    ("POST /api/v1/analytics/next-best-actions/dismiss", Write),
    ("PUT /api/v1/exchange-rates", Configure),
    ("POST /api/v1/exchange-rates/import", Configure),
    ("DELETE /api/v1/exchange-rates/{id}", Configure),
    ("POST /api/v1/activities/batch", Write),
    (
        "PUT /api/v1/activities/by-external-id/{source}/{external_id}",
        Write,
    ),
    ("PATCH /api/v1/activities/{id}", Write),
    ("DELETE /api/v1/activities/{id}", Delete),
    ("POST /api/v1/activities/{id}/complete", Write),
    ("POST /api/v1/activities/{id}/restore", Delete),
    ("POST /api/v1/api-keys", ManageKeys),
    ("DELETE /api/v1/api-keys/{id}", ManageKeys),
    ("POST /api/v1/auth/login", Public),
    // Asking for an export file reads; it writes only the request.
    ("POST /api/v1/exports", Read),
    ("POST /api/v1/imports", Write),
    ("POST /api/v1/imports/{id}/cancel", Write),
    ("POST /api/v1/auth/logout", Public),
    ("POST /api/v1/auth/refresh", Public),
    ("POST /api/v1/auth/signup", Public),
    ("POST /api/v1/companies", Write),
    ("POST /api/v1/companies/batch", Write),
    (
        "PUT /api/v1/companies/by-external-id/{source}/{external_id}",
        Write,
    ),
    ("DELETE /api/v1/companies/{id}", Delete),
    ("PATCH /api/v1/companies/{id}", Write),
    ("POST /api/v1/companies/{id}/merge", Delete),
    ("POST /api/v1/companies/{id}/restore", Delete),
    ("POST /api/v1/contacts", Write),
    ("POST /api/v1/contacts/batch", Write),
    (
        "PUT /api/v1/contacts/by-external-id/{source}/{external_id}",
        Write,
    ),
    ("DELETE /api/v1/contacts/{id}", Delete),
    ("PATCH /api/v1/contacts/{id}", Write),
    ("POST /api/v1/contacts/parse", Read),
    ("POST /api/v1/contacts/{id}/merge", Delete),
    ("POST /api/v1/contacts/{id}/restore", Delete),
    ("POST /api/v1/custom-fields", Configure),
    ("DELETE /api/v1/custom-fields/{id}", Configure),
    ("POST /api/v1/deals", Write),
    ("POST /api/v1/deals/batch", Write),
    (
        "PUT /api/v1/deals/by-external-id/{source}/{external_id}",
        Write,
    ),
    ("DELETE /api/v1/deals/{id}", Delete),
    ("PATCH /api/v1/deals/{id}", Write),
    ("POST /api/v1/deals/{id}/restore", Delete),
    ("POST /api/v1/invoices", Write),
    ("DELETE /api/v1/jobs/{id}", Configure),
    ("POST /api/v1/jobs/{id}/retry", Configure),
    (
        "PUT /api/v1/invoices/by-external-id/{source}/{external_id}",
        Write,
    ),
    ("POST /api/v1/invoices/{id}/payments", Write),
    ("POST /api/v1/invoices/{id}/status", Write),
    ("POST /api/v1/leads", Write),
    ("POST /api/v1/leads/batch", Write),
    (
        "PUT /api/v1/leads/by-external-id/{source}/{external_id}",
        Write,
    ),
    ("POST /api/v1/leads/{id}/convert", Write),
    ("POST /api/v1/leads/{id}/disqualify", Write),
    ("POST /api/v1/leads/{id}/qualify", Write),
    ("POST /api/v1/me/password", OwnAccount),
    ("POST /api/v1/orders", Write),
    ("POST /api/v1/orders/batch", Write),
    (
        "PUT /api/v1/orders/by-external-id/{source}/{external_id}",
        Write,
    ),
    ("POST /api/v1/orders/{id}/status", Write),
    ("POST /api/v1/owner-transfers", Reassign),
    ("POST /api/v1/pipelines", Configure),
    ("PATCH /api/v1/pipelines/{id}", Configure),
    ("POST /api/v1/price-lists", Configure),
    // Products are catalogue data, yet the code asks only `Write` of them (see the report).
    ("POST /api/v1/products", Write),
    ("POST /api/v1/products/batch", Write),
    (
        "PUT /api/v1/products/by-external-id/{source}/{external_id}",
        Write,
    ),
    ("PUT /api/v1/products/{id}", Write),
    ("DELETE /api/v1/products/{id}", Delete),
    ("POST /api/v1/products/{id}/restore", Delete),
    ("POST /api/v1/quotes", Write),
    ("POST /api/v1/quotes/{id}/accept", Write),
    ("POST /api/v1/quotes/{id}/status", Write),
    ("POST /api/v1/users", ManageUsers),
    ("PATCH /api/v1/users/{id}", ManageUsers),
    ("POST /api/v1/users/{id}/deactivate", ManageUsers),
    ("POST /api/v1/webhooks", Configure),
    ("PATCH /api/v1/webhooks/{id}", Configure),
    ("DELETE /api/v1/webhooks/{id}", Configure),
    (
        "POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
        Configure,
    ),
    ("POST /api/v1/webhooks/{id}/replay", Configure),
    ("POST /api/v1/webhooks/{id}/rotate-secret", Configure),
];

/// Reads that need more than `Read`; every other `GET` under `/api/v1/` needs `Read`.
const READS: &[(&str, Need)] = &[
    ("GET /api/v1/api-keys", ManageKeys),
    ("GET /api/v1/api-keys/{id}", ManageKeys),
    ("GET /api/v1/companies/deleted", Delete),
    ("GET /api/v1/contacts/deleted", Delete),
    ("GET /api/v1/jobs", Configure),
    ("GET /api/v1/jobs/{id}", Configure),
    ("GET /api/v1/webhooks", Configure),
    ("GET /api/v1/webhooks/{id}", Configure),
    ("GET /api/v1/webhooks/{id}/deliveries", Configure),
    (
        "GET /api/v1/webhooks/{id}/deliveries/{delivery_id}",
        Configure,
    ),
];

/// A caller of the walk.
struct Principal {
    name: &'static str,
    token: String,
    rank: u8,
    read_only_key: bool,
    user: bool,
}

impl Principal {
    fn may(&self, need: Need) -> bool {
        let rank = match need {
            Public => return true,
            OwnAccount => return self.user,
            Read => return true,
            Write => 1,
            Delete | Reassign => 2,
            Configure | ManageUsers | ManageKeys => 3,
        };
        !self.read_only_key && self.rank >= rank
    }
}

fn need_of(op: &Operation) -> Option<Need> {
    let key = op.key();
    if let Some((_, n)) = WRITES.iter().chain(READS).find(|(k, _)| *k == key) {
        return Some(*n);
    }
    if op.is_write() {
        return None;
    }
    Some(if op.path.starts_with("/api/v1/") {
        Read
    } else {
        Public
    })
}

async fn principals(app: &TestApp, admin: &Session) -> Vec<Principal> {
    let user = |name, s: Session, rank| Principal {
        name,
        token: s.token,
        rank,
        read_only_key: false,
        user: true,
    };
    let key = |name, k: (String, String), rank, read_only_key| Principal {
        name,
        token: k.1,
        rank,
        read_only_key,
        user: false,
    };
    vec![
        user(
            "viewer",
            app.member(admin, "viewer", "viewer@acme.test").await,
            0,
        ),
        user(
            "agent",
            app.member(admin, "agent", "agent@acme.test").await,
            1,
        ),
        user(
            "manager",
            app.member(admin, "manager", "manager@acme.test").await,
            2,
        ),
        user("admin", admin.clone(), 3),
        key(
            "read key (admin)",
            app.api_key(admin, "read", "admin").await,
            3,
            true,
        ),
        key(
            "read_write key (agent)",
            app.api_key(admin, "read_write", "agent").await,
            1,
            false,
        ),
        key(
            "read_write key (manager)",
            app.api_key(admin, "read_write", "manager").await,
            2,
            false,
        ),
    ]
}

dual! {
    async fn every_operation_answers_403_below_its_minimum_role_and_never_above(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        let doc = Doc::fetch(app).await;
        let ops = doc.operations();
        let keys: Vec<String> = ops.iter().map(Operation::key).collect();
        let missing: Vec<String> = ops.iter().filter(|o| need_of(o).is_none()).map(Operation::key).collect();
        assert!(missing.is_empty(), "write operations missing from the role table: {missing:#?}");
        let stale: Vec<&str> = WRITES.iter().chain(READS).map(|(k, _)| *k).filter(|k| !keys.iter().any(|x| x == k)).collect();
        assert!(stale.is_empty(), "role table entries not in the document: {stale:?}");

        let people = principals(app, &admin).await;
        let mut failures = Vec::new();
        let mut checked = 0;
        for op in &ops {
            let need = need_of(op).expect("need");
            for p in &people {
                let source = unique("src");
                let external = unique("ext");
                let id = random_uuid();
                let path = op.fill(&[("id", &id), ("delivery_id", &id), ("source", &source), ("external_id", &external), ("code", "no_such_code")]);
                let auth = format!("Bearer {}", p.token);
                let mut headers = vec![("authorization", auth.as_str())];
                let body = match doc.body(op, &mut Gen::default()) {
                    Some(b) => {
                        headers.push(("content-type", op.content_type.as_deref().unwrap_or("application/json")));
                        serde_json::to_vec(&b).expect("json")
                    }
                    None => Vec::new(),
                };
                let res = app.raw(&op.method, &path, &headers, body).await;
                checked += 1;
                let ok = if p.may(need) {
                    res.status < 500 && res.status != 403 && (need == Public || res.status != 401)
                } else {
                    res.status == 403 && problem_check(&res, &["forbidden"]).is_ok()
                };
                if !ok {
                    let expected = if p.may(need) { "allowed" } else { "403 forbidden" };
                    failures.push(format!("{} as {} ({need:?}: {expected}): {}", op.key(), p.name, brief(&res)));
                }
            }
        }
        assert!(checked > 7 * 60, "only {checked} calls");
        assert!(failures.is_empty(), "{} role failures:\n{}", failures.len(), failures.join("\n"));
    }

    async fn only_managers_hand_records_to_another_owner(app: &TestApp) {
        let admin = app.signup("Acme", "admin@acme.test").await;
        let manager = app.member(&admin, "manager", "manager@acme.test").await;
        let agent = app.member(&admin, "agent", "agent@acme.test").await;
        let other = app.member(&admin, "agent", "other@acme.test").await;
        let mut failures = Vec::new();
        // Records of `other`, and one of the agent's own.
        let records = [
            ("contacts", json!({"first_name": "Owned"})),
            ("companies", json!({"name": "Owned Co"})),
            ("deals", json!({"name": "Owned deal"})),
        ];
        app.post("/api/v1/pipelines", Some(&admin.token), json!({"name": "Sales", "stages": [{"name": "New"}, {"name": "Won", "stage_type": "won"}, {"name": "Lost", "stage_type": "lost"}]})).await.ok(201);
        for (resource, body) in &records {
            let theirs = app.post(&format!("/api/v1/{resource}"), Some(&other.token), body.clone()).await.ok(201);
            let mine = app.post(&format!("/api/v1/{resource}"), Some(&agent.token), body.clone()).await.ok(201);
            let path = format!("/api/v1/{resource}/{}", theirs["id"].as_str().unwrap());
            let mine_path = format!("/api/v1/{resource}/{}", mine["id"].as_str().unwrap());
            // Another user's id, and the agent's own id on someone else's record: 403.
            for (what, on, owner) in [("to the manager", &path, &manager.user_id), ("to itself", &path, &agent.user_id), ("its own record to the manager", &mine_path, &manager.user_id)] {
                let before = app.get(on, Some(&admin.token)).await.ok(200);
                let res = app.patch(on, Some(&agent.token), json!({"owner_id": owner})).await;
                if res.status != 403 || problem_check(&res, &["forbidden"]).is_err() {
                    failures.push(format!("agent PATCH {resource} owner_id {what}: {}", brief(&res)));
                }
                let after = app.get(on, Some(&admin.token)).await.ok(200);
                if before != after {
                    failures.push(format!("{resource}: the agent's refused PATCH changed the record: {after}"));
                }
            }
            // Naming the owner it already has is no change.
            let same = app.patch(&mine_path, Some(&agent.token), json!({"owner_id": agent.user_id})).await;
            if same.status != 200 {
                failures.push(format!("agent PATCH {resource} owner_id unchanged: {}", brief(&same)));
            }
            // A manager may.
            let moved = app.patch(&path, Some(&manager.token), json!({"owner_id": agent.user_id})).await;
            if moved.status != 200 || moved.json()["owner_id"] != agent.user_id.as_str() {
                failures.push(format!("manager PATCH {resource} owner_id: {}", brief(&moved)));
            }
        }
        // Creating for another owner.
        let creates = [
            ("contacts", json!({"first_name": "For someone"})),
            ("companies", json!({"name": "For someone"})),
            ("deals", json!({"name": "For someone"})),
            ("leads", json!({"last_name": "For someone"})),
        ];
        for (resource, body) in &creates {
            let count_before = count(app, resource).await;
            let mut body = body.clone();
            body["owner_id"] = json!(other.user_id);
            let res = app.post(&format!("/api/v1/{resource}"), Some(&agent.token), body.clone()).await;
            if res.status != 403 || problem_check(&res, &["forbidden"]).is_err() {
                failures.push(format!("agent POST {resource} with another owner_id: {}", brief(&res)));
            }
            if res.status != 201 && count(app, resource).await != count_before {
                failures.push(format!("{resource}: the agent's refused create wrote a row"));
            }
            let ok = app.post(&format!("/api/v1/{resource}"), Some(&manager.token), body).await;
            if ok.status != 201 || ok.json()["owner_id"] != other.user_id.as_str() {
                failures.push(format!("manager POST {resource} with another owner_id: {}", brief(&ok)));
            }
        }
        failures.extend(graphql_owner_changes(app, &agent, &manager, &other).await);
        assert!(failures.is_empty(), "{} owner failures:\n{}", failures.len(), failures.join("\n"));
    }
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT COUNT(*) FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// The same rule through GraphQL: `forbidden` for the agent, done for the manager.
async fn graphql_owner_changes(
    app: &TestApp,
    agent: &Session,
    manager: &Session,
    other: &Session,
) -> Vec<String> {
    let mut failures = Vec::new();
    let creates = [
        ("createContact", "firstName: \"Gql\""),
        ("createCompany", "name: \"Gql Co\""),
        ("createDeal", "name: \"Gql deal\""),
        ("createLead", "lastName: \"Gql lead\""),
    ];
    for (mutation, fields) in creates {
        let q = format!(
            "mutation($o: UUID) {{ {mutation}(input: {{{fields}, ownerId: $o}}) {{ id ownerId }} }}"
        );
        let res = app
            .gql(Some(&agent.token), &q, json!({"o": other.user_id}))
            .await
            .ok(200);
        if res["errors"][0]["extensions"]["code"] != "forbidden"
            || !res["data"].is_null() && !res["data"][mutation].is_null()
        {
            failures.push(format!(
                "GraphQL {mutation} with another ownerId as agent: {res}"
            ));
        }
        let ok = app
            .gql(Some(&manager.token), &q, json!({"o": other.user_id}))
            .await
            .ok(200);
        if ok.get("errors").is_some() || ok["data"][mutation]["ownerId"] != other.user_id.as_str() {
            failures.push(format!(
                "GraphQL {mutation} with another ownerId as manager: {ok}"
            ));
        }
    }
    let updates = [
        (
            "createContact",
            "updateContact",
            "contact",
            "firstName: \"Theirs\"",
        ),
        (
            "createCompany",
            "updateCompany",
            "company",
            "name: \"Theirs Co\"",
        ),
        ("createDeal", "updateDeal", "deal", "name: \"Theirs deal\""),
    ];
    for (create, update, read, fields) in updates {
        let made = app
            .gql(
                Some(&other.token),
                &format!("mutation {{ {create}(input: {{{fields}}}) {{ id }} }}"),
                json!({}),
            )
            .await
            .ok(200);
        let id = made["data"][create]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{create}: {made}"))
            .to_owned();
        let q = format!(
            "mutation($id: ID!, $o: UUID) {{ {update}(id: $id, input: {{ownerId: $o}}) {{ ownerId version }} }}"
        );
        for (what, owner) in [
            ("to the manager", &manager.user_id),
            ("to itself", &agent.user_id),
        ] {
            let res = app
                .gql(Some(&agent.token), &q, json!({"id": id, "o": owner}))
                .await
                .ok(200);
            if res["errors"][0]["extensions"]["code"] != "forbidden" {
                failures.push(format!("GraphQL {update} ownerId {what} as agent: {res}"));
            }
        }
        let now = app
            .gql(
                Some(&manager.token),
                &format!("query($id: ID!) {{ {read}(id: $id) {{ ownerId version }} }}"),
                json!({"id": id}),
            )
            .await
            .ok(200);
        if now["data"][read] != json!({"ownerId": other.user_id, "version": 1}) {
            failures.push(format!(
                "GraphQL {read} after the agent's refused {update} calls: {now}"
            ));
        }
        let ok = app
            .gql(
                Some(&manager.token),
                &q,
                json!({"id": id, "o": manager.user_id}),
            )
            .await
            .ok(200);
        if ok.get("errors").is_some() || ok["data"][update]["ownerId"] != manager.user_id.as_str() {
            failures.push(format!("GraphQL {update} ownerId as manager: {ok}"));
        }
    }
    failures
}
