//! Making the rows, deterministically from the seed: one pass of one random number generator
//! over the organizations in turn, each row handed to a [`Sink`] as it is made. Runs on a
//! thread of its own beside the loader; nothing here waits on the database.
//!
//! The order of the draws from the generator is the data set: changing it (or what a row
//! draws) changes every row after it, and the benchmark scenarios depend on those rows.

use super::row::{Closed, F, Sink, Table};
use super::{CHANNEL, CITY, FIRST, INDUSTRY, KIND, LAST, STAGE, Scale, id_at, seasonal};
use chrono::{DateTime, Duration, TimeZone, Utc};
use crm_core::list::search_text;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// What one organization's generation gives the harness: its id, a sample of its contact ids
/// and the contact with the longest history.
pub(super) type Made = (Uuid, Vec<Uuid>, Uuid);

/// Makes the whole data set of `scale` from `seed` into `sink`; returns the main
/// organization's and the second one's [`Made`].
pub(super) fn make(
    sink: &mut impl Sink,
    scale: &Scale,
    seed: u64,
    hash: &str,
) -> Result<(Made, Made), Closed> {
    let mut rng = StdRng::seed_from_u64(seed);
    let start = Utc
        .with_ymd_and_hms(2023, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    let span = Duration::days(3 * 365);
    let mut main = None;
    let mut writer = None;
    for org in 0..=scale.other_orgs.max(1) {
        let contacts = if org == 0 {
            scale.contacts
        } else {
            (scale.contacts / 100).max(20)
        };
        let o = Org {
            org,
            contacts,
            scale,
            start,
            span,
            hash,
        };
        let made = o.make(sink, &mut rng)?;
        match org {
            0 => main = Some(made),
            1 => writer = Some(made),
            _ => {}
        }
    }
    let none = || (Uuid::nil(), Vec::new(), Uuid::nil());
    Ok((main.unwrap_or_else(none), writer.unwrap_or_else(none)))
}

/// One organization to make.
struct Org<'a> {
    org: usize,
    contacts: usize,
    scale: &'a Scale,
    start: DateTime<Utc>,
    span: Duration,
    hash: &'a str,
}

/// The subject of an activity of each kind of [`KIND`].
fn subject(kind: &str) -> String {
    format!("{kind} about the offer")
}

impl Org<'_> {
    /// A random time in the span.
    fn at(&self, rng: &mut StdRng) -> DateTime<Utc> {
        self.start + Duration::seconds(rng.gen_range(0..self.span.num_seconds()))
    }

    /// The time of row `k` of `n`: bulk rows are made in time order, so that their UUIDv7
    /// keys grow and primary key inserts append instead of touching random index pages
    /// (several times less WAL).
    fn ordered(&self, rng: &mut StdRng, k: usize, n: usize) -> DateTime<Utc> {
        let step = self.span.num_seconds() as f64 / n.max(1) as f64;
        self.start + Duration::seconds((step * k as f64 + rng.gen_range(0.0..step.max(1.0))) as i64)
    }

    fn make(&self, sink: &mut impl Sink, rng: &mut StdRng) -> Result<Made, Closed> {
        let (org, contacts, start) = (self.org, self.contacts, self.start);
        let org_id = id_at(rng, start);
        let name = format!("Bench org {org}");
        sink.row(
            Table::Organizations,
            &[
                F::Uuid(org_id),
                F::Str(&name),
                F::Time(start),
                F::Time(start),
            ],
        )?;
        sink.flush(Table::Organizations)?;
        let mut users = Vec::new();
        for u in 0..20 {
            let id = id_at(rng, start);
            users.push(id);
            let email = if u == 0 {
                format!("admin@org{org}.bench")
            } else {
                format!("user{u}@org{org}.bench")
            };
            let role = if u == 0 { "admin" } else { "agent" };
            sink.row(
                Table::Users,
                &[
                    F::Uuid(id),
                    F::Uuid(org_id),
                    F::Str(&email),
                    F::Str(&format!("User {u}")),
                    F::Str(self.hash),
                    F::Str(role),
                    F::Bool(true),
                    F::Bool(false),
                    F::Time(start),
                    F::Time(start),
                ],
            )?;
        }
        sink.flush(Table::Users)?;

        // Companies.
        let n_companies = (contacts / 10).max(1);
        let mut companies = Vec::with_capacity(n_companies);
        for i in 0..n_companies {
            let created = self.ordered(rng, i, n_companies);
            let id = id_at(rng, created);
            let name = format!(
                "{} {} {}",
                LAST[rng.gen_range(0..LAST.len())],
                INDUSTRY[i % INDUSTRY.len()],
                i
            );
            let text = search_text([name.as_str(), CITY[i % CITY.len()]]);
            sink.row(
                Table::Companies,
                &[
                    F::Uuid(id),
                    F::Uuid(org_id),
                    F::Str(&name),
                    F::Str(&format!("c{i}.org{org}.bench")),
                    F::Str(INDUSTRY[i % INDUSTRY.len()]),
                    F::Str(CITY[i % CITY.len()]),
                    F::Str("DE"),
                    F::Uuid(users[i % users.len()]),
                    F::Json("[]"),
                    F::Json("{}"),
                    F::Str(&text),
                    F::I64(1),
                    F::Time(created),
                    F::Time(created),
                ],
            )?;
            companies.push((id, name));
        }
        sink.flush(Table::Companies)?;

        // Contacts; 80 % work for a company.
        let mut ids = Vec::with_capacity(contacts);
        let mut contact_company = Vec::with_capacity(contacts);
        for i in 0..contacts {
            let created = self.ordered(rng, i, contacts);
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
            let stage = STAGE[rng.gen_range(0..STAGE.len())];
            let channel = CHANNEL[rng.gen_range(0..CHANNEL.len())];
            sink.row(
                Table::Contacts,
                &[
                    F::Uuid(id),
                    F::Uuid(org_id),
                    F::OptUuid(company.map(|c| c.0)),
                    F::Str(first),
                    F::Str(last),
                    F::Str(&email),
                    F::Str(&phone),
                    F::Str(CITY[i % CITY.len()]),
                    F::Str("DE"),
                    F::Uuid(users[i % users.len()]),
                    F::Str(stage),
                    F::Str(channel),
                    F::Json("{}"),
                    F::Json(if i % 7 == 0 { "[\"vip\"]" } else { "[]" }),
                    F::Json("{}"),
                    F::Str(&text),
                    F::I64(1),
                    F::Time(created),
                    F::Time(created),
                ],
            )?;
        }
        sink.flush(Table::Contacts)?;

        let heavy_idx = self.activities(sink, rng, org_id, &ids, &contact_company)?;
        self.sales(sink, rng, org_id, &users, &ids, &contact_company)?;
        let sample = ids
            .iter()
            .step_by((ids.len() / 10_000).max(1))
            .copied()
            .collect();
        Ok((
            org_id,
            sample,
            ids.get(heavy_idx).copied().unwrap_or_default(),
        ))
    }

    /// Activities, skewed so that a few contacts have very long histories, with their timeline
    /// links; returns the index of the contact with the most.
    fn activities(
        &self,
        sink: &mut impl Sink,
        rng: &mut StdRng,
        org_id: Uuid,
        ids: &[Uuid],
        contact_company: &[Option<Uuid>],
    ) -> Result<usize, Closed> {
        let contacts = self.contacts;
        let subjects: Vec<String> = KIND.iter().map(|k| subject(k)).collect();
        let n_activities = contacts * self.scale.activities_per_contact;
        let batch = 50_000;
        let mut heavy = vec![0u32; contacts];
        let mut done = 0;
        while done < n_activities {
            let n = batch.min(n_activities - done);
            for k in done..done + n {
                let u: f64 = rng.r#gen();
                let idx = ((u * u * u * u) * contacts as f64) as usize % contacts;
                heavy[idx] += 1;
                let occurred = self.ordered(rng, k, n_activities);
                let id = id_at(rng, occurred);
                let kind_idx = rng.gen_range(0..KIND.len());
                let kind = KIND[kind_idx];
                let channel = CHANNEL[rng.gen_range(0..CHANNEL.len())];
                let company = contact_company[idx];
                sink.row(
                    Table::Activities,
                    &[
                        F::Uuid(id),
                        F::Uuid(org_id),
                        F::Str(kind),
                        F::Str(channel),
                        F::Str("outbound"),
                        F::Str(&subjects[kind_idx]),
                        F::Time(occurred),
                        F::I32(300),
                        F::Uuid(ids[idx]),
                        F::OptUuid(company),
                        F::Json("[]"),
                        F::Json("[]"),
                        F::I64(1),
                        F::Time(occurred),
                        F::Time(occurred),
                    ],
                )?;
                let link = |record_type, record: Uuid, role| {
                    [
                        F::Uuid(org_id),
                        F::Uuid(id),
                        F::Str(record_type),
                        F::Uuid(record),
                        F::Str(role),
                        F::Time(occurred),
                        F::Str(kind),
                        F::Str(channel),
                        F::Bool(false),
                    ]
                };
                sink.row(Table::ActivityLinks, &link("contact", ids[idx], "about"))?;
                if let Some(c) = company {
                    sink.row(Table::ActivityLinks, &link("company", c, "via"))?;
                }
            }
            sink.flush(Table::Activities)?;
            sink.flush(Table::ActivityLinks)?;
            done += n;
        }
        Ok(heavy
            .iter()
            .enumerate()
            .max_by_key(|(_, n)| **n)
            .map(|(i, _)| i)
            .unwrap_or(0))
    }

    /// Products, a pipeline with deals, and orders with lines (more in November and December).
    fn sales(
        &self,
        sink: &mut impl Sink,
        rng: &mut StdRng,
        org_id: Uuid,
        users: &[Uuid],
        ids: &[Uuid],
        contact_company: &[Option<Uuid>],
    ) -> Result<(), Closed> {
        let (contacts, start) = (self.contacts, self.start);
        let mut products = Vec::new();
        for p in 0..200 {
            let id = id_at(rng, start);
            let price = format!("{}.{:02}", rng.gen_range(1..500), rng.gen_range(0..100));
            sink.row(
                Table::Products,
                &[
                    F::Uuid(id),
                    F::Uuid(org_id),
                    F::Str(&format!("SKU-{p:04}")),
                    F::Str(&format!("Product {p}")),
                    F::Str("piece"),
                    F::Str("19"),
                    F::Bool(true),
                    F::I64(1),
                    F::Time(start),
                    F::Time(start),
                ],
            )?;
            products.push((id, price));
        }
        sink.flush(Table::Products)?;
        let pipeline = id_at(rng, start);
        sink.row(
            Table::Pipelines,
            &[
                F::Uuid(pipeline),
                F::Uuid(org_id),
                F::Str("Sales"),
                F::Bool(true),
                F::I64(1),
                F::Time(start),
                F::Time(start),
            ],
        )?;
        sink.flush(Table::Pipelines)?;
        let mut stages = Vec::new();
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
            sink.row(
                Table::PipelineStages,
                &[
                    F::Uuid(id),
                    F::Uuid(org_id),
                    F::Uuid(pipeline),
                    F::Str(name),
                    F::I32(i32::try_from(i).unwrap_or(0)),
                    F::I32(p),
                    F::Str(t),
                    F::Time(start),
                    F::Time(start),
                ],
            )?;
        }
        sink.flush(Table::PipelineStages)?;
        // Each deal's way through the stages comes from its own generator, so that the orders
        // after it are the same as before deals had a history.
        let mut paths = StdRng::seed_from_u64(0x5eed_dea1);
        let mut visits = Vec::new();
        for i in 0..(contacts / 20).max(1) {
            let created = self.at(rng);
            let k = rng.gen_range(0..stages.len());
            let (stage, t) = stages[k];
            let status = match t {
                "won" => "won",
                "lost" => "lost",
                _ => "open",
            };
            let close = (created + Duration::days(rng.gen_range(10..120)))
                .format("%Y-%m-%d")
                .to_string();
            let id = id_at(rng, created);
            let amount = format!("{}", rng.gen_range(1..100) * 1000);
            // The open stages it went through in order (a lost deal left from any of them),
            // then its stage now; a few days to a month in each.
            let through = match t {
                "won" => 3,
                "lost" => paths.gen_range(1..=3),
                _ => k,
            };
            visits.clear();
            let mut at = created;
            for &(s, _) in stages[..through].iter().chain([&stages[k]]) {
                visits.push((s, at));
                at += Duration::hours(paths.gen_range(24..720));
            }
            let closed = (status != "open").then(|| visits[visits.len() - 1].1);
            sink.row(
                Table::Deals,
                &[
                    F::Uuid(id),
                    F::Uuid(org_id),
                    F::Uuid(pipeline),
                    F::Uuid(stage),
                    F::Str(&format!("Deal {i}")),
                    F::Str(&amount),
                    F::Str("EUR"),
                    F::Str(&close),
                    F::Uuid(users[i % users.len()]),
                    F::Json("[]"),
                    F::Str(status),
                    F::OptTime(closed),
                    F::I64(1),
                    F::Time(created),
                    F::Time(created),
                ],
            )?;
            for (n, &(s, entered)) in visits.iter().enumerate() {
                let left = visits.get(n + 1).map(|v| v.1);
                sink.row(
                    Table::DealStageHistory,
                    &[
                        F::Uuid(id_at(&mut paths, entered)),
                        F::Uuid(org_id),
                        F::Uuid(id),
                        F::Uuid(pipeline),
                        F::Uuid(s),
                        F::Time(entered),
                        F::OptTime(left),
                    ],
                )?;
            }
        }
        sink.flush(Table::Deals)?;
        sink.flush(Table::DealStageHistory)?;
        self.orders(sink, rng, org_id, &products, ids, contact_company)
    }

    /// Orders with their lines, in time order.
    fn orders(
        &self,
        sink: &mut impl Sink,
        rng: &mut StdRng,
        org_id: Uuid,
        products: &[(Uuid, String)],
        ids: &[Uuid],
        contact_company: &[Option<Uuid>],
    ) -> Result<(), Closed> {
        let contacts = self.contacts;
        let n_orders = (contacts as f64 * self.scale.orders_per_contact) as usize;
        let mut done = 0;
        while done < n_orders {
            let n = 10_000.min(n_orders - done);
            for k in done..done + n {
                let when = seasonal(self.start, k, n_orders);
                let id = id_at(rng, when);
                let u: f64 = rng.r#gen();
                let idx = ((u * u) * contacts as f64) as usize % contacts;
                let mut total = 0f64;
                for pos in 0..self.scale.lines_per_order {
                    let (product, price) = &products[rng.gen_range(0..products.len())];
                    let qty = rng.gen_range(1..10);
                    let net: f64 = price.parse::<f64>().unwrap_or(1.0) * f64::from(qty);
                    total += net * 1.19;
                    let line_id = id_at(rng, when);
                    sink.row(
                        Table::DocumentLines,
                        &[
                            F::Uuid(line_id),
                            F::Uuid(org_id),
                            F::Uuid(id),
                            F::I32(i32::try_from(pos).unwrap_or(0)),
                            F::Uuid(*product),
                            F::Str(&format!("{qty}")),
                            F::Str(price),
                            F::Str("0"),
                            F::Str("19"),
                            F::Str(&format!("{net:.2}")),
                            F::Str(&format!("{:.2}", net * 0.19)),
                            F::Str(&format!("{:.2}", net * 1.19)),
                        ],
                    )?;
                }
                sink.row(
                    Table::SalesDocuments,
                    &[
                        F::Uuid(id),
                        F::Uuid(org_id),
                        F::Str("order"),
                        F::Str("fulfilled"),
                        F::Uuid(ids[idx]),
                        F::OptUuid(contact_company[idx]),
                        F::Str("EUR"),
                        F::Str(&format!("{:.2}", total / 1.19)),
                        F::Str("0.00"),
                        F::Str(&format!("{:.2}", total - total / 1.19)),
                        F::Str(&format!("{total:.2}")),
                        F::Str("0.00"),
                        F::I64(1),
                        F::Time(when),
                        F::Time(when),
                        // The day the analytics date an order by.
                        F::Time(when),
                    ],
                )?;
            }
            sink.flush(Table::SalesDocuments)?;
            sink.flush(Table::DocumentLines)?;
            done += n;
        }
        Ok(())
    }
}
