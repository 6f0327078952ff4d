//! Cross-sell (issue #14 item 8): association rules between products from the orders that hold
//! them (support, confidence, lift, each rule with its counts), and per customer the products
//! that customers like it bought and it has not (item-based collaborative filtering: cosine
//! similarity of products over the customers who bought them), with the products that led to
//! each recommendation.

use super::names::names;
use super::revenue::{customers_only, page, period, threshold};
use super::settings::base_currency;
use crate::dto::*;
use crate::dto_baskets::*;
use crate::error::Result;
use chrono::Utc;
use crm_core::db::{for_each_row, placeholder};
use crm_core::{Action, Ctx, Error};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

use super::items::{self as item_query, Fields, Kind};

/// The sortable and filterable fields of the cross-sell rules.
pub(crate) const RULE_FIELDS: Fields = &[
    ("antecedent_id", Kind::Text),
    ("antecedent_name", Kind::Text),
    ("consequent_id", Kind::Text),
    ("consequent_name", Kind::Text),
    ("antecedent_orders", Kind::Number),
    ("consequent_orders", Kind::Number),
    ("both_orders", Kind::Number),
    ("support", Kind::Number),
    ("confidence", Kind::Number),
    ("lift", Kind::Number),
];

/// The sortable and filterable fields of the customers' recommendations.
pub(crate) const CUSTOMER_FIELDS: Fields = &[
    ("id", Kind::Text),
    ("name", Kind::Text),
    ("products_bought", Kind::Number),
];

/// Reads the period's orders that hold products and hands each to `each` with its company or
/// contact (by the subject) and its products, one order at a time as the rows stream (in
/// order of the order's id), so that a report holds one order's lines, never the period's
/// (five million at the benchmark's full scale); answers the scope, its orders counted.
async fn baskets<F>(
    ctx: &Ctx,
    params: &AnalysisParams,
    subject: AnalysisSubject,
    mut each: F,
) -> Result<AnalysisScope>
where
    F: FnMut(Option<Uuid>, &BTreeSet<Uuid>),
{
    ctx.require(Action::Read)?;
    let (from, to, reference) = period(params)?;
    let db = &ctx.db;
    let backend = db.get_database_backend();
    let p = |n: usize| placeholder(backend, n);
    let customer = match subject {
        AnalysisSubject::Contacts => "d.contact_id",
        _ => "d.company_id",
    };
    let sql = format!(
        "SELECT d.id AS doc, {customer} AS customer, l.product_id AS product \
         FROM sales_documents d JOIN document_lines l ON l.document_id = d.id \
         WHERE d.org_id = {} AND d.doc_type = 'order' AND d.status <> 'cancelled' \
         AND d.deleted_at IS NULL AND d.ordered_at >= {} AND d.ordered_at < {} \
         AND l.product_id IS NOT NULL ORDER BY d.id",
        p(1),
        p(2),
        p(3)
    );
    let start = from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let end = to.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let base_currency = base_currency(db, ctx).await?;
    let mut orders = 0_i64;
    let mut current: Option<(Uuid, Option<Uuid>)> = None;
    let mut products = BTreeSet::new();
    let values = [ctx.org_id().into(), start.into(), end.into()];
    for_each_row(db, sql, values, |row| -> Result<()> {
        let doc: Uuid = row.try_get("", "doc")?;
        let customer: Option<Uuid> = row.try_get("", "customer")?;
        let product: Uuid = row.try_get("", "product")?;
        match current {
            Some((open, of)) if open != doc => {
                each(of, &products);
                orders += 1;
                products.clear();
                current = Some((doc, customer));
            }
            None => current = Some((doc, customer)),
            Some(_) => {}
        }
        products.insert(product);
        Ok(())
    })
    .await?;
    if let Some((_, of)) = current {
        each(of, &products);
        orders += 1;
    }
    Ok(AnalysisScope {
        subject,
        from,
        to,
        reference_date: reference,
        base_currency,
        orders,
        orders_without_rate: 0,
        missing_rates: Vec::new(),
        computed_at: Utc::now(),
    })
}

/// Association rules between two products (one bought, one bought with it) over the period's
/// orders: every ordered pair whose support, confidence and lift reach the minimums.
pub async fn cross_sell_report(ctx: &Ctx, params: &AnalysisParams) -> Result<CrossSellReport> {
    let min_support = threshold(params.min_support, 0.01, "/min_support", 0.0, 1.0)?;
    let min_confidence = threshold(params.min_confidence, 0.1, "/min_confidence", 0.0, 1.0)?;
    let min_lift = threshold(params.min_lift, 1.0, "/min_lift", 0.0, 1000.0)?;
    item_query::validate(params, RULE_FIELDS)?;
    let mut single: HashMap<Uuid, i64> = HashMap::new();
    let mut pairs: HashMap<(Uuid, Uuid), i64> = HashMap::new();
    let mut items: Vec<Uuid> = Vec::new();
    let scope = baskets(ctx, params, AnalysisSubject::Products, |_, products| {
        items.clear();
        items.extend(products.iter().copied());
        for (i, x) in items.iter().enumerate() {
            *single.entry(*x).or_default() += 1;
            for y in &items[i + 1..] {
                *pairs.entry((*x, *y)).or_default() += 1;
            }
        }
    })
    .await?;
    let n = scope.orders as f64;
    let mut rules: Vec<AssociationRule> = Vec::new();
    for ((x, y), both) in pairs {
        for (ante, cons) in [(x, y), (y, x)] {
            let (na, nc) = (single[&ante], single[&cons]);
            let support = both as f64 / n;
            let confidence = both as f64 / na as f64;
            let lift = confidence / (nc as f64 / n);
            if support >= min_support && confidence >= min_confidence && lift >= min_lift {
                rules.push(AssociationRule {
                    antecedent_id: ante,
                    antecedent_name: None,
                    consequent_id: cons,
                    consequent_name: None,
                    antecedent_orders: na,
                    consequent_orders: nc,
                    both_orders: both,
                    support,
                    confidence,
                    lift,
                });
            }
        }
    }
    rules.sort_by(|p, q| {
        q.lift
            .total_cmp(&p.lift)
            .then(q.confidence.total_cmp(&p.confidence))
            .then(q.support.total_cmp(&p.support))
            .then(p.antecedent_id.cmp(&q.antecedent_id))
            .then(p.consequent_id.cmp(&q.consequent_id))
    });
    let row_count = rules.len() as i64;
    let asked = item_query::asked(params);
    let mut items = if asked { rules } else { page(rules, params)? };
    let ids: Vec<Uuid> = items
        .iter()
        .flat_map(|r| [r.antecedent_id, r.consequent_id])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let named = names(ctx, AnalysisSubject::Products, &ids).await?;
    for r in &mut items {
        r.antecedent_name = named.get(&r.antecedent_id).cloned();
        r.consequent_name = named.get(&r.consequent_id).cloned();
    }
    let (items, row_count) = if asked {
        item_query::apply(items, params, RULE_FIELDS)?
    } else {
        (items, row_count)
    };
    Ok(CrossSellReport {
        scope,
        min_support,
        min_confidence,
        min_lift,
        row_count,
        items,
    })
}

/// The most reasons a recommendation names.
const REASONS: usize = 3;

/// Adds `reason` (a product owned and its similarity) to the best [`REASONS`] of a
/// recommendation, kept best first: highest similarity, then lowest product id.
fn keep_best(why: &mut Vec<(Uuid, f64)>, reason: (Uuid, f64)) {
    let before = |w: &(Uuid, f64)| reason.1.total_cmp(&w.1).then(w.0.cmp(&reason.0)).is_gt();
    let at = why.iter().position(before).unwrap_or(why.len());
    if at < REASONS {
        why.insert(at, reason);
        why.truncate(REASONS);
    }
}

/// A product's score for one customer, its id and its best reasons (products owned, with
/// their similarity).
type Scored = (Uuid, f64, Vec<(Uuid, f64)>);

/// Scores customers one at a time over the products' similarities, with arrays indexed by
/// product that are reset after each customer through `touched`.
struct Scorer {
    product_ids: Vec<Uuid>,
    /// Per product, the products bought with it and their cosine similarity.
    similar: Vec<Vec<(usize, f64)>>,
    score: Vec<f64>,
    why: Vec<Vec<(Uuid, f64)>>,
    owns: Vec<bool>,
    touched: Vec<usize>,
}

impl Scorer {
    /// The score of the best product the owner of `owned` has not bought (negative
    /// infinity when there is none): the sums of [`Scorer::best`], added in the same order,
    /// without the reasons or a sort, for ranking every customer.
    fn best_score(&mut self, owned: &[usize]) -> f64 {
        self.accumulate(owned, false);
        let mut best = f64::NEG_INFINITY;
        for o in self.touched.drain(..) {
            best = best.max(self.score[o]);
            self.score[o] = 0.0;
        }
        best
    }

    /// Adds up, into `score` (and `why` when `with_reasons`), the similarities of the
    /// products the owner of `owned` has not bought to those they have, and lists each such
    /// product once in `touched`. The owned marks are cleared before it returns; `score`,
    /// `why` and `touched` are left for the caller to read and reset.
    fn accumulate(&mut self, owned: &[usize], with_reasons: bool) {
        for h in owned {
            self.owns[*h] = true;
        }
        for h in owned {
            for (other, s) in &self.similar[*h] {
                if self.owns[*other] {
                    continue;
                }
                let first = if with_reasons {
                    self.why[*other].is_empty()
                } else {
                    self.score[*other] == 0.0
                };
                if first {
                    self.touched.push(*other);
                }
                self.score[*other] += s;
                if with_reasons {
                    keep_best(&mut self.why[*other], (self.product_ids[*h], *s));
                }
            }
        }
        for h in owned {
            self.owns[*h] = false;
        }
    }

    /// The `top` products the owner of `owned` (product indexes in id order) has not bought,
    /// best first (highest score, then lowest id), with their reasons.
    fn best(&mut self, owned: &[usize], top: usize) -> Vec<Scored> {
        self.accumulate(owned, true);
        // The best `top` only (a customer's candidates can be the whole catalogue): chosen,
        // then sorted.
        let (score, ids) = (&self.score, &self.product_ids);
        let order =
            |p: &usize, q: &usize| score[*q].total_cmp(&score[*p]).then(ids[*p].cmp(&ids[*q]));
        if top < self.touched.len() {
            self.touched.select_nth_unstable_by(top, order);
        }
        let chosen = top.min(self.touched.len());
        self.touched[..chosen].sort_by(order);
        let best = self.touched[..chosen]
            .iter()
            .map(|o| (self.product_ids[*o], self.score[*o], self.why[*o].clone()))
            .collect();
        for o in self.touched.drain(..) {
            self.score[o] = 0.0;
            self.why[o].clear();
        }
        best
    }
}

/// Per customer of `params.subject` (companies by default, or contacts; one with
/// `customer_id`), the `top` products it has not bought, scored by the sum of their cosine
/// similarities to the products it has (over the customers who bought each).
pub async fn recommendation_report(
    ctx: &Ctx,
    params: &AnalysisParams,
) -> Result<RecommendationReport> {
    recommendations_for(ctx, params, None).await
}

/// [`recommendation_report`], scoring only the customers in `only` when given (the
/// similarities still learn from every basket).
pub(crate) async fn recommendations_for(
    ctx: &Ctx,
    params: &AnalysisParams,
    only: Option<&BTreeSet<Uuid>>,
) -> Result<RecommendationReport> {
    let subject = params.subject.unwrap_or(AnalysisSubject::Companies);
    customers_only(
        params,
        "recommendations are for customers: companies or contacts",
    )?;
    let top = params.top.unwrap_or(5);
    if !(1..=50).contains(&top) {
        return Err(Error::invalid_field("/top", "range", "must be from 1 to 50").into());
    }
    item_query::validate(params, CUSTOMER_FIELDS)?;
    // Who bought what: per customer, its products by a dense index, so that scoring a
    // customer touches arrays, not maps (at a hundred thousand customers of fifty products
    // each, maps took 40 s); a product of each order as it streams, deduplicated after.
    let mut index: HashMap<Uuid, usize> = HashMap::new();
    let mut product_ids: Vec<Uuid> = Vec::new();
    let mut owned_by: BTreeMap<Uuid, Vec<usize>> = BTreeMap::new();
    let scope = baskets(ctx, params, subject, |customer, products| {
        if let Some(c) = customer {
            let owned = owned_by.entry(c).or_default();
            owned.extend(products.iter().map(|p| {
                *index.entry(*p).or_insert_with(|| {
                    product_ids.push(*p);
                    product_ids.len() - 1
                })
            }));
            // A customer's repeat purchases are folded before the list grows again, so it
            // holds about its distinct products, not every line it ordered.
            if owned.len() > 16 && owned.len() == owned.capacity() {
                owned.sort_unstable();
                owned.dedup();
            }
        }
    })
    .await?;
    drop(index);
    for owned in owned_by.values_mut() {
        // In the products' id order, as the scores add their similarities up.
        owned.sort_unstable_by_key(|h| product_ids[*h]);
        owned.dedup();
        owned.shrink_to_fit();
    }
    let n = product_ids.len();
    let mut buyers = vec![0_i64; n];
    let mut together: HashMap<(usize, usize), i64> = HashMap::new();
    for items in owned_by.values() {
        for (i, x) in items.iter().enumerate() {
            buyers[*x] += 1;
            for y in &items[i + 1..] {
                *together.entry((*x, *y)).or_default() += 1;
            }
        }
    }
    // Cosine similarity of two products' buyer sets: both / sqrt(|X| |Y|).
    let mut similar: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for ((x, y), both) in together {
        let s = both as f64 / ((buyers[x] * buyers[y]) as f64).sqrt();
        similar[x].push((y, s));
        similar[y].push((x, s));
    }
    let mut scorer = Scorer {
        product_ids,
        similar,
        score: vec![0.0; n],
        why: vec![Vec::new(); n],
        owns: vec![false; n],
        touched: Vec::new(),
    };
    // Every customer is scored for its best recommendation, by which the list is ordered;
    // the recommendations themselves are made for the customers shown only (records for
    // every customer took about a kilobyte each: 700 MB over half a million contacts).
    let customers: Vec<(&Uuid, &Vec<usize>)> = match params.customer_id {
        Some(id) => owned_by.get_key_value(&id).into_iter().collect(),
        None => owned_by
            .iter()
            .filter(|(c, _)| only.is_none_or(|set| set.contains(c)))
            .collect(),
    };
    let mut ranked: Vec<(Uuid, f64, i64)> = customers
        .into_iter()
        .map(|(c, owned)| (*c, scorer.best_score(owned), owned.len() as i64))
        .collect();
    ranked.sort_by(|p, q| q.1.total_cmp(&p.1).then(p.0.cmp(&q.0)));
    let row_count = ranked.len() as i64;
    let asked = item_query::asked(params);
    let ranked = if asked { ranked } else { page(ranked, params)? };
    let mut items: Vec<CustomerRecommendations> = ranked
        .into_iter()
        .map(|(id, _, bought)| CustomerRecommendations {
            id,
            name: None,
            products_bought: bought,
            recommendations: Vec::new(),
        })
        .collect();
    let customer_ids: Vec<Uuid> = items.iter().map(|c| c.id).collect();
    let customer_names = names(ctx, subject, &customer_ids).await?;
    for c in &mut items {
        c.name = customer_names.get(&c.id).cloned();
    }
    let (mut items, row_count) = if asked {
        item_query::apply(items, params, CUSTOMER_FIELDS)?
    } else {
        (items, row_count)
    };
    for c in &mut items {
        if let Some(owned) = owned_by.get(&c.id) {
            c.recommendations = scorer
                .best(owned, top as usize)
                .into_iter()
                .map(|(product_id, score, because)| Recommendation {
                    product_id,
                    name: None,
                    score,
                    because: because
                        .into_iter()
                        .map(|(product_id, similarity)| RecommendationReason {
                            product_id,
                            name: None,
                            similarity,
                        })
                        .collect(),
                })
                .collect();
        }
    }
    let product_ids: Vec<Uuid> = items
        .iter()
        .flat_map(|c| c.recommendations.iter())
        .flat_map(|r| std::iter::once(r.product_id).chain(r.because.iter().map(|b| b.product_id)))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let product_names = names(ctx, AnalysisSubject::Products, &product_ids).await?;
    for c in &mut items {
        for r in &mut c.recommendations {
            r.name = product_names.get(&r.product_id).cloned();
            for why in &mut r.because {
                why.name = product_names.get(&why.product_id).cloned();
            }
        }
    }
    Ok(RecommendationReport {
        scope,
        top,
        row_count,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recommendation_keeps_its_three_best_reasons_ties_by_id() {
        let id = |n: u128| Uuid::from_u128(n);
        let mut why = Vec::new();
        for (p, s) in [(5, 0.2), (4, 0.9), (3, 0.2), (2, 0.5), (1, 0.1), (6, 0.9)] {
            keep_best(&mut why, (id(p), s));
        }
        assert_eq!(why, vec![(id(4), 0.9), (id(6), 0.9), (id(2), 0.5)]);
        keep_best(&mut why, (id(7), 0.5));
        assert_eq!(why, vec![(id(4), 0.9), (id(6), 0.9), (id(2), 0.5)]);
        keep_best(&mut why, (id(1), 0.5));
        assert_eq!(why, vec![(id(4), 0.9), (id(6), 0.9), (id(1), 0.5)]);
    }

    #[test]
    fn the_ranking_score_is_the_best_recommendations_score() {
        // Six products; similarities between some of them, scores that tie and that don't.
        let n = 6;
        let mut similar: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        for (x, y, s) in [
            (0, 1, 0.5),
            (0, 2, 0.25),
            (1, 2, 0.75),
            (3, 4, 0.1),
            (1, 5, 0.3),
        ] {
            similar[x].push((y, s));
            similar[y].push((x, s));
        }
        let mut scorer = Scorer {
            product_ids: (0..n as u128).map(Uuid::from_u128).collect(),
            similar,
            score: vec![0.0; n],
            why: vec![Vec::new(); n],
            owns: vec![false; n],
            touched: Vec::new(),
        };
        for owned in [
            vec![0],
            vec![0, 1],
            vec![2, 5],
            vec![3],
            vec![0, 1, 2],
            vec![],
        ] {
            let expected = scorer
                .best(&owned, 1)
                .first()
                .map_or(f64::NEG_INFINITY, |b| b.1);
            assert_eq!(scorer.best_score(&owned), expected, "owned {owned:?}");
            // Both leave the arrays as they found them.
            assert!(scorer.score.iter().all(|s| *s == 0.0));
            assert!(scorer.touched.is_empty() && !scorer.owns.contains(&true));
        }
        assert_eq!(scorer.best_score(&[0, 1]), 0.25 + 0.75);
        assert_eq!(scorer.best_score(&[0, 1, 2]), 0.3);
        assert_eq!(scorer.best_score(&[4, 3]), f64::NEG_INFINITY);
    }
}
