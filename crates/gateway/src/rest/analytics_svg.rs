//! Charts of the analytics reports as SVG (`?format=svg`), drawn with `plotters`: the Pareto
//! chart of ABC, the ABC-XYZ matrix, the RFM grid, the funnel and the cohort heat map. Text
//! stays text (the browser renders it), so a front end embeds the chart as it is.

use super::export::text_schema;
use actix_web::HttpResponse;
use crm_analytics::{AbcReport, AbcXyzMatrix, FunnelReport, RetentionReport, RfmReport};
use crm_core::Error;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// A chart, in the document.
pub struct Svg;

impl PartialSchema for Svg {
    fn schema() -> RefOr<Schema> {
        text_schema(
            "An SVG 1.1 image of the report's chart (text as text).",
            "<svg width=\"800\" height=\"480\" viewBox=\"0 0 800 480\" xmlns=\"http://www.w3.org/2000/svg\">...</svg>",
        )
    }
}

impl ToSchema for Svg {}

const WIDTH: u32 = 800;
const FONT: &str = "sans-serif";
const INK: RGBColor = RGBColor(33, 37, 41);
const BAR: RGBColor = RGBColor(49, 130, 189);
const LINE: RGBColor = RGBColor(230, 85, 13);
const GRID: RGBColor = RGBColor(222, 226, 230);

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

fn failed<E: std::fmt::Display>(e: E) -> Error {
    Error::internal(format!("chart: {e}"))
}

/// The answer carrying `svg`.
pub fn response(svg: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .body(svg)
}

/// Draws with `paint` on a white canvas of `height`: the SVG.
fn render(
    height: u32,
    paint: impl FnOnce(&Area<'_>) -> Result<(), Error>,
) -> Result<String, Error> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        paint(&root)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

fn text(area: &Area<'_>, s: &str, at: (i32, i32), size: u32, pos: Pos) -> Result<(), Error> {
    let style = TextStyle::from((FONT, size).into_font())
        .color(&INK)
        .pos(pos);
    area.draw(&Text::new(s.to_owned(), at, style))
        .map_err(failed)
}

fn centered() -> Pos {
    Pos::new(HPos::Center, VPos::Center)
}

/// White to blue by `share` (0 to 1).
fn heat(share: f64) -> RGBColor {
    let s = share.clamp(0.0, 1.0);
    let mix = |from: f64, to: f64| (from + (to - from) * s).round() as u8;
    RGBColor(mix(247.0, 8.0), mix(251.0, 81.0), mix(255.0, 156.0))
}

/// Ink that reads on `heat(share)`.
fn on_heat(share: f64) -> RGBColor {
    if share > 0.55 { WHITE } else { INK }
}

/// A grid of `rows` x `cols` cells under a title, with row and column headers; `cell` gives
/// each cell's shade (0 to 1) and its label.
fn grid(
    area: &Area<'_>,
    title: &str,
    rows: &[String],
    cols: &[String],
    cell: impl Fn(usize, usize) -> (f64, String),
) -> Result<(), Error> {
    text(
        area,
        title,
        (20, 24),
        20,
        Pos::new(HPos::Left, VPos::Center),
    )?;
    let (left, top) = (120, 80);
    let cw = ((WIDTH as i32 - left - 20) / cols.len().max(1) as i32).max(1);
    let ch = 44;
    for (j, c) in cols.iter().enumerate() {
        text(
            area,
            c,
            (left + cw * j as i32 + cw / 2, top - 16),
            13,
            centered(),
        )?;
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + ch * i as i32;
        text(
            area,
            r,
            (left - 10, y + ch / 2),
            13,
            Pos::new(HPos::Right, VPos::Center),
        )?;
        for j in 0..cols.len() {
            let (shade, label) = cell(i, j);
            let x = left + cw * j as i32;
            area.draw(&Rectangle::new(
                [(x, y), (x + cw, y + ch)],
                heat(shade).filled(),
            ))
            .map_err(failed)?;
            area.draw(&Rectangle::new(
                [(x, y), (x + cw, y + ch)],
                GRID.stroke_width(1),
            ))
            .map_err(failed)?;
            let ink = on_heat(shade);
            let style = TextStyle::from((FONT, 13).into_font())
                .color(&ink)
                .pos(centered());
            area.draw(&Text::new(label, (x + cw / 2, y + ch / 2), style))
                .map_err(failed)?;
        }
    }
    Ok(())
}

/// The Pareto chart of an ABC report: revenue bars of its items in rank order (the page), the
/// cumulative share as a line on the right axis, and the A and B thresholds.
pub fn pareto(r: &AbcReport) -> Result<String, Error> {
    let revenue: Vec<f64> = r
        .items
        .iter()
        .map(|i| i.revenue.parse::<f64>().unwrap_or(0.0))
        .collect();
    let n = revenue.len().max(1) as f64;
    let top = revenue.iter().cloned().fold(0.0, f64::max).max(1.0) * 1.05;
    render(480, |root| {
        let title = format!(
            "ABC: revenue of {} by rank, {} to {} ({})",
            r.scope.subject.as_str(),
            r.scope.from,
            r.scope.to,
            r.scope.base_currency
        );
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .right_y_label_area_size(50)
            .build_cartesian_2d(0.5f64..n + 0.5, 0f64..top)
            .map_err(failed)?
            .set_secondary_coord(0.5f64..n + 0.5, 0f64..1f64);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("rank")
            .y_desc(format!("revenue ({})", r.scope.base_currency))
            .x_labels((n as usize).min(20))
            .x_label_formatter(&|v| {
                // Ranks only: the ticks between bars stay bare.
                if (v - v.round()).abs() < 1e-9 {
                    format!("{}", v.round() as i64)
                } else {
                    String::new()
                }
            })
            .draw()
            .map_err(failed)?;
        chart
            .configure_secondary_axes()
            .y_desc("cumulative share")
            .y_label_formatter(&|v| format!("{:.0} %", v * 100.0))
            .draw()
            .map_err(failed)?;
        chart
            .draw_series(revenue.iter().enumerate().map(|(i, v)| {
                let x = i as f64 + 1.0;
                Rectangle::new([(x - 0.4, 0.0), (x + 0.4, *v)], BAR.filled())
            }))
            .map_err(failed)?;
        chart
            .draw_secondary_series(LineSeries::new(
                r.items.iter().enumerate().map(|(i, item)| {
                    (
                        i as f64 + 1.0,
                        item.cumulative_share.parse::<f64>().unwrap_or(0.0),
                    )
                }),
                LINE.stroke_width(2),
            ))
            .map_err(failed)?;
        for threshold in [r.a, r.b] {
            chart
                .draw_secondary_series(LineSeries::new(
                    vec![(0.5f64, threshold), (n + 0.5, threshold)],
                    GRID.stroke_width(1),
                ))
                .map_err(failed)?;
        }
        Ok(())
    })
}

/// The ABC-XYZ matrix: nine cells shaded by their share of the items, with counts and revenue.
pub fn matrix(m: &AbcXyzMatrix) -> Result<String, Error> {
    let rows: Vec<String> = ["A", "B", "C"].map(String::from).to_vec();
    let cols: Vec<String> = ["X", "Y", "Z"].map(String::from).to_vec();
    let total = m.row_count.max(1) as f64;
    render(260, |root| {
        grid(
            root,
            "ABC-XYZ matrix: items and revenue",
            &rows,
            &cols,
            |i, j| {
                let cell = m.cells.iter().find(|c| {
                    format!("{:?}", c.abc) == rows[i] && format!("{:?}", c.xyz) == cols[j]
                });
                match cell {
                    Some(c) => (
                        c.count as f64 / total,
                        format!("{} · {}", c.count, c.revenue),
                    ),
                    None => (0.0, "0".to_owned()),
                }
            },
        )
    })
}

/// The RFM grid: customers per recency (rows, 5 at the top) and frequency score (columns).
pub fn rfm(r: &RfmReport) -> Result<String, Error> {
    let mut counts = [[0i64; 5]; 5];
    for i in &r.items {
        if (1..=5).contains(&i.r) && (1..=5).contains(&i.f) {
            counts[(5 - i.r) as usize][(i.f - 1) as usize] += 1;
        }
    }
    let most = counts.iter().flatten().copied().max().unwrap_or(0).max(1) as f64;
    let rows: Vec<String> = (1..=5).rev().map(|s| format!("R {s}")).collect();
    let cols: Vec<String> = (1..=5).map(|s| format!("F {s}")).collect();
    render(330, |root| {
        grid(
            root,
            "RFM: customers by recency and frequency score",
            &rows,
            &cols,
            |i, j| (counts[i][j] as f64 / most, counts[i][j].to_string()),
        )
    })
}

/// The funnel: per stage, a bar of the deals that entered it, with its conversion.
pub fn funnel(f: &FunnelReport) -> Result<String, Error> {
    let most = f.stages.iter().map(|s| s.entered).max().unwrap_or(0).max(1) as f64;
    let height = 70 + 40 * f.stages.len().max(1) as u32;
    render(height, |root| {
        let title = format!(
            "Funnel of {}, {} to {}",
            f.scope.pipeline_name, f.scope.from, f.scope.to
        );
        text(
            root,
            &title,
            (20, 24),
            20,
            Pos::new(HPos::Left, VPos::Center),
        )?;
        let (left, width) = (180, WIDTH as i32 - 180 - 140);
        for (i, s) in f.stages.iter().enumerate() {
            let y = 60 + 40 * i as i32;
            text(
                root,
                &s.name,
                (left - 10, y + 15),
                13,
                Pos::new(HPos::Right, VPos::Center),
            )?;
            let w = ((s.entered as f64 / most) * width as f64).round() as i32;
            let x0 = left + (width - w) / 2;
            root.draw(&Rectangle::new(
                [(x0, y), (x0 + w.max(1), y + 30)],
                BAR.filled(),
            ))
            .map_err(failed)?;
            let label = match s.conversion_rate {
                Some(rate) => format!("{} entered · {:.0} % on", s.entered, rate * 100.0),
                None => format!("{} entered", s.entered),
            };
            text(
                root,
                &label,
                (left + width + 10, y + 15),
                12,
                Pos::new(HPos::Left, VPos::Center),
            )?;
        }
        Ok(())
    })
}

/// The cohort heat map: per cohort (rows), the share still ordering each month after.
pub fn cohorts(r: &RetentionReport) -> Result<String, Error> {
    let months = r
        .cohorts
        .iter()
        .map(|c| c.retention.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let rows: Vec<String> = r
        .cohorts
        .iter()
        .map(|c| format!("{} ({})", c.month, c.size))
        .collect();
    let cols: Vec<String> = (0..months).map(|m| format!("+{m}")).collect();
    let height = 110 + 44 * rows.len().max(1) as u32;
    render(height, |root| {
        grid(
            root,
            "Retention: share of each cohort ordering N months later",
            &rows,
            &cols,
            |i, j| match r.cohorts[i].retention.get(j) {
                Some(cell) => (cell.share, format!("{:.0} %", cell.share * 100.0)),
                None => (0.0, String::new()),
            },
        )
    })
}
