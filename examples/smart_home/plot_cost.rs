//! The memory-size × cost panel of the plot: each mode's cost per million requests at
//! every memory size (the library's right-sizing of its trace; sizes where it runs out of
//! memory drawn faint), its configured size (circle, labelled with its cost) and the
//! recommended one (triangle). The axes (linear) are fitted to the sizes that matter (up to 3× the
//! largest configured or recommended size) so that differences under $1 read. An
//! adaptive mode's curve starts at the size it ran at: below it, its trace says nothing.

use crate::plot::{of, Area, LEGEND_PX};
use crate::plot_style::{coincide_note, draw_line, legend, Key};
use crate::report::{ModeResult, SizePoint};
use crate::sizing::Profile;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

pub fn panel(
    area: &Area,
    modes: &[ModeResult],
    profile: Profile,
) -> Result<(), Box<dyn std::error::Error>> {
    let (plot_area, legend_area) = area.split_vertically(area.dim_in_pixel().1 - LEGEND_PX);
    let these = of(modes, profile);
    let chosen = these
        .iter()
        .flat_map(|(_, m)| [Some(m.configured_memory_mb), m.recommended_mb])
        .flatten()
        .max()
        .unwrap_or(128) as f64;
    let xmax = (chosen * 3.0).clamp(1024.0, 10_240.0);
    let in_view = |p: &&SizePoint| (p.mb as f64) <= xmax;
    let ymax = these
        .iter()
        .flat_map(|(_, m)| {
            m.size_costs
                .iter()
                .filter(in_view)
                .filter(|p| !p.oom)
                .map(|p| p.cost_per_million_usd)
        })
        .fold(0.01, f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(
            format!(
                "{} profile: $ per million requests at each Lambda memory size",
                profile.name()
            ),
            ("sans-serif", 17),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..xmax, 0.0..ymax)?;
    chart
        .configure_mesh()
        .x_desc(format!(
            "configured memory (MB; shown up to {xmax:.0} MB, 3× the largest size chosen; Lambda's least is 128)"
        ))
        .y_desc("$ per million requests")
        .x_labels(10)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.2}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let point = |p: &SizePoint| (p.mb as f64, p.cost_per_million_usd.min(ymax));
    let series: Vec<(String, Vec<(f64, f64)>)> = these
        .iter()
        .map(|(_, m)| {
            let fits = m.size_costs.iter().filter(in_view).filter(|p| !p.oom);
            (m.mode.clone(), fits.map(point).collect())
        })
        .collect();
    let mut rows = Vec::new();
    for (i, ((line, m), (_, fits))) in these.iter().zip(&series).enumerate() {
        let oom: Vec<_> = m
            .size_costs
            .iter()
            .filter(in_view)
            .filter(|p| p.oom)
            .map(point)
            .collect();
        chart.draw_series(LineSeries::new(oom, line.colour.mix(0.25).stroke_width(1)))?;
        draw_line(&mut chart, fits.clone(), *line)?;
        rows.push((
            Key::Line(*line),
            format!(
                "{}: ${:.2} at {} MB{}, recommended {}{}",
                m.mode,
                m.cost_per_million_usd,
                m.configured_memory_mb,
                if m.oom { " (OOM)" } else { "" },
                m.recommended_mb
                    .map_or("none".into(), |mb| format!("{mb} MB")),
                coincide_note(&series, i, ymax * 0.01, "the sizes shown"),
            ),
        ));
    }
    // Every drawn point of every curve, in pixels: what a cost label must not cover.
    let curves: Vec<(i32, i32)> = these
        .iter()
        .flat_map(|(_, m)| m.size_costs.iter().filter(in_view).map(point))
        .map(|p| chart.backend_coord(&p))
        .collect();
    markers(&plot_area, &mut chart, &these, ymax, &curves)?;
    let grey = RGBColor(90, 90, 90);
    rows.push((
        Key::Circle(grey),
        "the size the mode ran at (its cost beside it)".into(),
    ));
    rows.push((
        Key::Triangle(grey),
        "recommended: the cheapest size that holds the peak × 1.25 (faint: sizes where it does not)".into(),
    ));
    legend(&legend_area, &rows)?;
    Ok(())
}

/// A cost label: the point's pixel, its cost, its modes, the colour of the first.
type Label<'a> = ((i32, i32), String, Vec<&'a str>, RGBColor);

/// Circles at the configured sizes, each labelled with its cost once per point ("eager,
/// ligs: $1.05" where modes share one) beside it, where the label covers no curve (pixels
/// in `curves`) and no other label; triangles at the recommended sizes.
fn markers(
    area: &Area,
    chart: &mut ChartContext<SVGBackend, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    these: &[(crate::plot_style::Line, &ModeResult)],
    ymax: f64,
    curves: &[(i32, i32)],
) -> Result<(), Box<dyn std::error::Error>> {
    let mut labels: Vec<Label> = Vec::new();
    for (line, m) in these {
        let at = (
            m.configured_memory_mb as f64,
            m.cost_per_million_usd.min(ymax),
        );
        chart.draw_series(std::iter::once(Circle::new(
            at,
            5,
            line.colour.stroke_width(2),
        )))?;
        if let (Some(mb), Some(usd)) = (m.recommended_mb, m.recommended_cost_per_million_usd) {
            chart.draw_series(std::iter::once(TriangleMarker::new(
                (mb as f64, usd.min(ymax)),
                7,
                line.colour.filled(),
            )))?;
        }
        let px = chart.backend_coord(&at);
        let usd = format!("${:.2}", m.cost_per_million_usd);
        let near = |p: (i32, i32)| (p.0 - px.0).abs() <= 6 && (p.1 - px.1).abs() <= 6;
        match labels.iter_mut().find(|(p, u, _, _)| near(*p) && *u == usd) {
            Some((_, _, names, _)) => names.push(&m.mode),
            None => labels.push((px, usd, vec![&m.mode], line.colour)),
        }
    }
    let (xs, ys) = area.get_pixel_range();
    let font = ("sans-serif", 13).into_font();
    let h = 16;
    let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
    for ((x, y), usd, names, colour) in &labels {
        let text = format!("{}: {usd}", names.join(", "));
        let w = 7 * text.chars().count() as i32;
        let free = |&(l, t): &(i32, i32)| {
            let (r, b) = (l + w, t + h);
            l > xs.start + 70
                && !curves
                    .iter()
                    .any(|&(cx, cy)| cx >= l - 2 && cx <= r + 2 && cy >= t - 2 && cy <= b + 2)
                && !placed
                    .iter()
                    .any(|&(pl, pt, pr, pb)| l < pr && r > pl && t < pb && b > pt)
        };
        // Above-left, below-right, above-right, below-left of the point; then further up.
        let (x, y) = (*x, *y);
        let candidates = [
            (x - 10 - w, y - 10 - h),
            (x + 10, y + 8),
            (x + 10, y - 10 - h),
            (x - 10 - w, y + 8),
        ];
        let (left, top) = candidates
            .into_iter()
            .chain((1..12).map(|k| (x + 10, y - 10 - h - k * (h + 3))))
            .find(free)
            .unwrap_or(candidates[2]);
        placed.push((left, top, left + w, top + h));
        area.draw(&Text::new(
            text,
            (left - xs.start, top - ys.start + 1),
            font.clone().color(colour),
        ))?;
    }
    Ok(())
}
