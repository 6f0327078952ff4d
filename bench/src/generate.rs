//! The deterministic data generator: organizations, users, companies, contacts, activities (a
//! few customers with very long histories), products, deals and orders with lines (seasonal),
//! written in multi-row batches straight into the schema, not through the API.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use crm_core::list::search_text;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{DatabaseConnection, DbErr};
use serde_json::json;

mod timing;
mod write;
use std::time::Instant;
use uuid::Uuid;
pub use write::existing;
use write::{drop_secondary_indexes, insert, j, recreate_indexes};

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Contacts of the main organization (the others get a hundredth each, at least 20).
    pub contacts: usize,
    /// Activities per contact, on average.
    pub activities_per_contact: usize,
    /// Orders per contact, on average.
    pub orders_per_contact: f64,
    /// Lines per order.
    pub lines_per_order: usize,
    /// Smaller organizations besides the main one.
    pub other_orgs: usize,
}

impl Scale {
    /// A named scale: `ci` (seconds), `small`, `medium`, `full` (BENCHMARKS.md's data set).
    pub fn named(name: &str) -> Option<Scale> {
        let s = |contacts, other_orgs| Scale {
            contacts,
            activities_per_contact: 10,
            orders_per_contact: 1.0,
            lines_per_order: 5,
            other_orgs,
        };
        match name {
            "ci" => Some(s(2_000, 2)),
            "small" => Some(s(20_000, 3)),
            "medium" => Some(s(200_000, 9)),
            "full" => Some(s(1_000_000, 9)),
            _ => None,
        }
    }
}

/// What the harness needs to know of the generated data.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The main organization.
    pub org_id: Uuid,
    /// Its admin's email.
    pub admin_email: String,
    /// The password of every generated user.
    pub password: String,
    /// A sample of contact ids of the main organization.
    pub contact_ids: Vec<Uuid>,
    /// The contact with the longest history.
    pub heavy_contact: Uuid,
    /// Words that occur in contact names (search terms).
    pub search_terms: Vec<String>,
    /// The organization the write scenarios write into (the second one), so that what they
    /// add does not change what the read scenarios measure in the main one.
    pub writer_org_id: Uuid,
    /// Its admin's email.
    pub writer_email: String,
    /// A sample of its contact ids.
    pub writer_contact_ids: Vec<Uuid>,
}

const FIRST: &[&str] = &[
    "Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hans", "Ida", "Jonas", "Karla",
    "Lukas", "Mia", "Noah", "Olga", "Paul", "Rosa", "Sven", "Tina", "Uwe",
];
const LAST: &[&str] = &[
    "Meier", "Schulz", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann", "Koch", "Richter",
    "Klein", "Wolf", "Neumann", "Braun", "Zimmer", "Kraus", "Lang", "Vogel", "Frank", "Berger",
    "Roth",
];
const INDUSTRY: &[&str] = &[
    "Retail",
    "Manufacturing",
    "Software",
    "Energy",
    "Logistics",
    "Health",
];
const CITY: &[&str] = &[
    "Berlin",
    "Hamburg",
    "Munich",
    "Cologne",
    "Frankfurt",
    "Leipzig",
];
const STAGE: &[&str] = &["subscriber", "lead", "prospect", "customer", "churned"];
const CHANNEL: &[&str] = &[
    "email",
    "phone",
    "website",
    "in_person",
    "event",
    "chat",
    "call_center",
    "postal_mail",
];
const KIND: &[&str] = &["call", "email", "meeting", "note", "visit"];

/// A UUIDv7 at `at` with seeded random bits (deterministic for a seed).
fn id_at(rng: &mut StdRng, at: DateTime<Utc>) -> Uuid {
    let bytes: [u8; 10] = rng.r#gen();
    uuid::Builder::from_unix_timestamp_millis(
        u64::try_from(at.timestamp_millis()).unwrap_or(0),
        &bytes,
    )
    .into_uuid()
}

/// The password of every generated user.
const PASSWORD: &str = "bench password 1";

/// The time of order `k` of `n`, growing with `k`, over the three years from `start`; November
/// and December carry a quarter of the orders (weight 5/3 against 1 for the other months).
fn seasonal(start: DateTime<Utc>, k: usize, n: usize) -> DateTime<Utc> {
    let weight = |m: usize| if m % 12 >= 10 { 5.0 / 3.0 } else { 1.0 };
    let month_start = |m: usize| {
        let (y, mo) = (start.year() + (m / 12) as i32, (m % 12) as u32 + 1);
        Utc.with_ymd_and_hms(y, mo, 1, 0, 0, 0)
            .single()
            .unwrap_or(start)
    };
    let total: f64 = (0..36).map(weight).sum();
    let mut u = (k as f64 + 0.5) / n.max(1) as f64 * total;
    for m in 0..36 {
        let w = weight(m);
        if u < w || m == 35 {
            let (from, to) = (month_start(m), month_start(m + 1));
            let secs = (u / w).clamp(0.0, 1.0) * (to - from).num_seconds() as f64;
            return from + Duration::seconds(secs as i64);
        }
        u -= w;
    }
    start
}

/// Fills `db` (migrated, empty) with the data set of `scale`, deterministically from `seed`.
pub async fn generate(db: &DatabaseConnection, scale: Scale, seed: u64) -> Result<Dataset, DbErr> {
    let mut rng = StdRng::seed_from_u64(seed);
    let start = Utc
        .with_ymd_and_hms(2023, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    let span = Duration::days(3 * 365);
    let password = PASSWORD.to_owned();
    let hash = crm_identity::password::hash(password.clone())
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    let deferred = drop_secondary_indexes(db).await?;
    timing::start();
    let load_started = Instant::now();
    let mut main = None;
    let mut writer = None;
    for org in 0..=scale.other_orgs.max(1) {
        let contacts = if org == 0 {
            scale.contacts
        } else {
            (scale.contacts / 100).max(20)
        };
        let made = generate_org(db, &mut rng, org, contacts, &scale, start, span, &hash).await?;
        match org {
            0 => main = Some(made),
            1 => writer = Some(made),
            _ => {}
        }
    }
    timing::report_tables();
    timing::phase("generating and loading every table", load_started);
    let indexes_started = Instant::now();
    recreate_indexes(db, deferred).await?;
    timing::phase("indexes and ANALYZE", indexes_started);
    let (org_id, contact_ids, heavy_contact) =
        main.ok_or_else(|| DbErr::Custom("no main organization".into()))?;
    let (writer_org_id, writer_contact_ids, _) =
        writer.ok_or_else(|| DbErr::Custom("no second organization".into()))?;
    Ok(Dataset {
        org_id,
        admin_email: "admin@org0.bench".to_owned(),
        password,
        contact_ids,
        heavy_contact,
        search_terms: LAST.iter().map(|s| s.to_lowercase()).collect(),
        writer_org_id,
        writer_email: "admin@org1.bench".to_owned(),
        writer_contact_ids,
    })
}

#[allow(clippy::too_many_arguments)]
async fn generate_org(
    db: &DatabaseConnection,
    rng: &mut StdRng,
    org: usize,
    contacts: usize,
    scale: &Scale,
    start: DateTime<Utc>,
    span: Duration,
    hash: &str,
) -> Result<(Uuid, Vec<Uuid>, Uuid), DbErr> {
    let at = |rng: &mut StdRng| start + Duration::seconds(rng.gen_range(0..span.num_seconds()));
    // Bulk rows are made in time order, so that their UUIDv7 keys grow: primary key inserts
    // then append instead of touching random index pages (several times less WAL).
    let ordered = |rng: &mut StdRng, k: usize, n: usize| {
        let step = span.num_seconds() as f64 / n.max(1) as f64;
        start + Duration::seconds((step * k as f64 + rng.gen_range(0.0..step.max(1.0))) as i64)
    };
    let org_id = id_at(rng, start);
    insert(
        db,
        "organizations",
        &["id", "name", "created_at", "updated_at"],
        vec![vec![
            org_id.into(),
            format!("Bench org {org}").into(),
            start.into(),
            start.into(),
        ]],
    )
    .await?;
    let mut users = Vec::new();
    let mut rows = Vec::new();
    for u in 0..20 {
        let id = id_at(rng, start);
        users.push(id);
        let email = if u == 0 {
            format!("admin@org{org}.bench")
        } else {
            format!("user{u}@org{org}.bench")
        };
        let role = if u == 0 { "admin" } else { "agent" };
        rows.push(vec![
            id.into(),
            org_id.into(),
            email.into(),
            format!("User {u}").into(),
            hash.into(),
            role.into(),
            true.into(),
            false.into(),
            start.into(),
            start.into(),
        ]);
    }
    insert(
        db,
        "users",
        &[
            "id",
            "org_id",
            "email",
            "name",
            "password_hash",
            "role",
            "active",
            "must_change_password",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await?;

    // Companies.
    let n_companies = (contacts / 10).max(1);
    let mut companies = Vec::with_capacity(n_companies);
    let mut rows = Vec::with_capacity(n_companies);
    for i in 0..n_companies {
        let created = ordered(rng, i, n_companies);
        let id = id_at(rng, created);
        let name = format!(
            "{} {} {}",
            LAST[rng.gen_range(0..LAST.len())],
            INDUSTRY[i % INDUSTRY.len()],
            i
        );
        let text = search_text([name.as_str(), CITY[i % CITY.len()]]);
        companies.push((id, name.clone()));
        rows.push(vec![
            id.into(),
            org_id.into(),
            name.into(),
            format!("c{i}.org{org}.bench").into(),
            INDUSTRY[i % INDUSTRY.len()].into(),
            CITY[i % CITY.len()].into(),
            "DE".into(),
            users[i % users.len()].into(),
            j(json!([])),
            j(json!({})),
            text.into(),
            1i64.into(),
            created.into(),
            created.into(),
        ]);
    }
    insert(
        db,
        "companies",
        &[
            "id",
            "org_id",
            "name",
            "domain",
            "industry",
            "city",
            "country",
            "owner_id",
            "tags",
            "custom",
            "search_text",
            "version",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await?;

    // Contacts; 80 % work for a company.
    let mut ids = Vec::with_capacity(contacts);
    let mut contact_company = Vec::with_capacity(contacts);
    let mut rows = Vec::with_capacity(contacts);
    for i in 0..contacts {
        let created = ordered(rng, i, contacts);
        let id = id_at(rng, created);
        let (first, last) = (
            FIRST[rng.gen_range(0..FIRST.len())],
            LAST[rng.gen_range(0..LAST.len())],
        );
        let email = format!(
            "{}.{}{}@mail{}.bench",
            first.to_lowercase(),
            last.to_lowercase(),
            i,
            org
        );
        let national = format!("30{:07}", i % 10_000_000);
        let phone = format!("+49{national}");
        let company =
            (rng.gen_range(0..10) < 8).then(|| &companies[rng.gen_range(0..companies.len())]);
        let text = search_text([
            first,
            last,
            email.as_str(),
            &format!("49{national} {national}"),
            company.map_or("", |c| c.1.as_str()),
        ]);
        ids.push(id);
        contact_company.push(company.map(|c| c.0));
        rows.push(vec![
            id.into(),
            org_id.into(),
            company.map(|c| c.0).into(),
            first.into(),
            last.into(),
            email.into(),
            phone.into(),
            CITY[i % CITY.len()].into(),
            "DE".into(),
            users[i % users.len()].into(),
            STAGE[rng.gen_range(0..STAGE.len())].into(),
            CHANNEL[rng.gen_range(0..CHANNEL.len())].into(),
            j(json!({})),
            j(json!(if i % 7 == 0 { vec!["vip"] } else { vec![] })),
            j(json!({})),
            text.into(),
            1i64.into(),
            created.into(),
            created.into(),
        ]);
    }
    insert(
        db,
        "contacts",
        &[
            "id",
            "org_id",
            "company_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "city",
            "country",
            "owner_id",
            "lifecycle_stage",
            "source_channel",
            "consent",
            "tags",
            "custom",
            "search_text",
            "version",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await?;

    // Activities: skewed so that a few contacts have very long histories.
    let n_activities = contacts * scale.activities_per_contact;
    let batch = 50_000;
    let mut heavy = vec![0u32; contacts];
    let mut done = 0;
    while done < n_activities {
        let n = batch.min(n_activities - done);
        let mut acts = Vec::with_capacity(n);
        let mut links = Vec::with_capacity(n * 2);
        for k in done..done + n {
            let u: f64 = rng.r#gen();
            let idx = ((u * u * u * u) * contacts as f64) as usize % contacts;
            heavy[idx] += 1;
            let occurred = ordered(rng, k, n_activities);
            let id = id_at(rng, occurred);
            let kind = KIND[rng.gen_range(0..KIND.len())];
            let channel = CHANNEL[rng.gen_range(0..CHANNEL.len())];
            let company = contact_company[idx];
            acts.push(vec![
                id.into(),
                org_id.into(),
                kind.into(),
                channel.into(),
                "outbound".into(),
                format!("{kind} about the offer").into(),
                occurred.into(),
                300i32.into(),
                ids[idx].into(),
                company.into(),
                j(json!([])),
                j(json!([])),
                1i64.into(),
                occurred.into(),
                occurred.into(),
            ]);
            links.push(vec![
                org_id.into(),
                id.into(),
                "contact".into(),
                ids[idx].into(),
                "about".into(),
                occurred.into(),
                kind.into(),
                channel.into(),
                false.into(),
            ]);
            if let Some(c) = company {
                links.push(vec![
                    org_id.into(),
                    id.into(),
                    "company".into(),
                    c.into(),
                    "via".into(),
                    occurred.into(),
                    kind.into(),
                    channel.into(),
                    false.into(),
                ]);
            }
        }
        insert(
            db,
            "activities",
            &[
                "id",
                "org_id",
                "kind",
                "channel",
                "direction",
                "subject",
                "occurred_at",
                "duration_secs",
                "contact_id",
                "company_id",
                "participants",
                "links",
                "version",
                "created_at",
                "updated_at",
            ],
            acts,
        )
        .await?;
        insert(
            db,
            "activity_links",
            &[
                "org_id",
                "activity_id",
                "record_type",
                "record_id",
                "role",
                "occurred_at",
                "kind",
                "channel",
                "deleted",
            ],
            links,
        )
        .await?;
        done += n;
    }
    let heavy_idx = heavy
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| **n)
        .map(|(i, _)| i)
        .unwrap_or(0);

    // Products, a pipeline with deals, and orders with lines (more in November and December).
    let mut products = Vec::new();
    let mut rows = Vec::new();
    for p in 0..200 {
        let id = id_at(rng, start);
        let price = format!("{}.{:02}", rng.gen_range(1..500), rng.gen_range(0..100));
        products.push((id, price));
        rows.push(vec![
            id.into(),
            org_id.into(),
            format!("SKU-{p:04}").into(),
            format!("Product {p}").into(),
            "piece".into(),
            "19".into(),
            true.into(),
            1i64.into(),
            start.into(),
            start.into(),
        ]);
    }
    insert(
        db,
        "products",
        &[
            "id",
            "org_id",
            "sku",
            "name",
            "unit",
            "tax_rate",
            "active",
            "version",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await?;
    let pipeline = id_at(rng, start);
    insert(
        db,
        "pipelines",
        &[
            "id",
            "org_id",
            "name",
            "is_default",
            "version",
            "created_at",
            "updated_at",
        ],
        vec![vec![
            pipeline.into(),
            org_id.into(),
            "Sales".into(),
            true.into(),
            1i64.into(),
            start.into(),
            start.into(),
        ]],
    )
    .await?;
    let mut stages = Vec::new();
    let mut rows = Vec::new();
    for (i, (name, p, t)) in [
        ("Qualify", 10, "open"),
        ("Propose", 40, "open"),
        ("Negotiate", 70, "open"),
        ("Won", 100, "won"),
        ("Lost", 0, "lost"),
    ]
    .into_iter()
    .enumerate()
    {
        let id = id_at(rng, start);
        stages.push((id, t));
        rows.push(vec![
            id.into(),
            org_id.into(),
            pipeline.into(),
            name.into(),
            i32::try_from(i).unwrap_or(0).into(),
            p.into(),
            t.into(),
            start.into(),
            start.into(),
        ]);
    }
    insert(
        db,
        "pipeline_stages",
        &[
            "id",
            "org_id",
            "pipeline_id",
            "name",
            "position",
            "probability",
            "stage_type",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await?;
    let mut rows = Vec::new();
    for i in 0..(contacts / 20).max(1) {
        let created = at(rng);
        let (stage, t) = stages[rng.gen_range(0..stages.len())];
        let status = match t {
            "won" => "won",
            "lost" => "lost",
            _ => "open",
        };
        let close = (created + Duration::days(rng.gen_range(10..120)))
            .format("%Y-%m-%d")
            .to_string();
        rows.push(vec![
            id_at(rng, created).into(),
            org_id.into(),
            pipeline.into(),
            stage.into(),
            format!("Deal {i}").into(),
            format!("{}", rng.gen_range(1..100) * 1000).into(),
            "EUR".into(),
            close.into(),
            users[i % users.len()].into(),
            j(json!([])),
            status.into(),
            1i64.into(),
            created.into(),
            created.into(),
        ]);
    }
    insert(
        db,
        "deals",
        &[
            "id",
            "org_id",
            "pipeline_id",
            "stage_id",
            "name",
            "amount",
            "currency",
            "expected_close_date",
            "owner_id",
            "contact_ids",
            "status",
            "version",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await?;
    let n_orders = (contacts as f64 * scale.orders_per_contact) as usize;
    let mut done = 0;
    while done < n_orders {
        let n = 10_000.min(n_orders - done);
        let mut docs = Vec::with_capacity(n);
        let mut lines = Vec::with_capacity(n * scale.lines_per_order);
        for k in done..done + n {
            let when = seasonal(start, k, n_orders);
            let id = id_at(rng, when);
            let u: f64 = rng.r#gen();
            let idx = ((u * u) * contacts as f64) as usize % contacts;
            let mut total = 0f64;
            for pos in 0..scale.lines_per_order {
                let (product, price) = &products[rng.gen_range(0..products.len())];
                let qty = rng.gen_range(1..10);
                let net: f64 = price.parse::<f64>().unwrap_or(1.0) * f64::from(qty);
                total += net * 1.19;
                lines.push(vec![
                    id_at(rng, when).into(),
                    org_id.into(),
                    id.into(),
                    i32::try_from(pos).unwrap_or(0).into(),
                    (*product).into(),
                    format!("{qty}").into(),
                    price.clone().into(),
                    "0".into(),
                    "19".into(),
                    format!("{net:.2}").into(),
                    format!("{:.2}", net * 0.19).into(),
                    format!("{:.2}", net * 1.19).into(),
                ]);
            }
            docs.push(vec![
                id.into(),
                org_id.into(),
                "order".into(),
                "fulfilled".into(),
                ids[idx].into(),
                contact_company[idx].into(),
                "EUR".into(),
                format!("{:.2}", total / 1.19).into(),
                "0.00".into(),
                format!("{:.2}", total - total / 1.19).into(),
                format!("{total:.2}").into(),
                "0.00".into(),
                1i64.into(),
                when.into(),
                when.into(),
            ]);
        }
        insert(
            db,
            "sales_documents",
            &[
                "id",
                "org_id",
                "doc_type",
                "status",
                "contact_id",
                "company_id",
                "currency",
                "subtotal",
                "discount_total",
                "tax_total",
                "total",
                "amount_paid",
                "version",
                "created_at",
                "updated_at",
            ],
            docs,
        )
        .await?;
        insert(
            db,
            "document_lines",
            &[
                "id",
                "org_id",
                "document_id",
                "position",
                "product_id",
                "quantity",
                "unit_price",
                "discount_percent",
                "tax_rate",
                "net_amount",
                "tax_amount",
                "total_amount",
            ],
            lines,
        )
        .await?;
        done += n;
    }
    let sample = ids
        .iter()
        .step_by((ids.len() / 10_000).max(1))
        .copied()
        .collect();
    Ok((org_id, sample, ids[heavy_idx]))
}
