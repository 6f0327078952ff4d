//! The deterministic data generator: organizations, users, companies, contacts, activities (a
//! few customers with very long histories), products, deals and orders with lines (seasonal),
//! written straight into the schema, not through the API.
//!
//! The rows are made on a thread of their own ([`make`]) while the database takes them in:
//! on PostgreSQL as binary `COPY` data streamed to one `COPY` per bulk table, all at once ([`pg`]),
//! on SQLite as multi-row inserts in the order they were made ([`write`]).

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use sea_orm::{DatabaseConnection, DbBackend, DbErr};
use std::time::Instant;
use uuid::Uuid;

mod copy;
mod make;
mod pg;
mod rebuild;
mod row;
mod timing;
mod write;
pub use write::existing;

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
    let started = Instant::now();
    let password = PASSWORD.to_owned();
    let hash = crm_identity::password::hash(password.clone())
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    let ((org_id, contact_ids, heavy_contact), (writer_org_id, writer_contact_ids, _)) =
        if db.get_database_backend() == DbBackend::Postgres {
            pg::generate(db, scale, seed, hash).await?
        } else {
            write::generate(db, scale, seed, hash).await?
        };
    timing::phase("generation in all", started);
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
