//! `--plot FILE.svg`: live heap over the replay for the three modes, unload events marked.
//! Left: the first scenarios (single command, morning routine, 2 min idle); right: the
//! whole replay including the mixed workload.

use crate::report::ModeResult;
use plotters::prelude::*;

const COLOURS: [RGBColor; 3] = [
    RGBColor(200, 60, 40),
    RGBColor(40, 110, 200),
    RGBColor(30, 150, 70),
];

pub fn draw(path: &str, modes: &[ModeResult]) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (1400, 620)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "smart_home: live heap over the replay (replay clock)",
        ("sans-serif", 24),
    )?;
    let (left, right) = root.split_horizontally(560);
    let early_end_min = 3.0;
    panel(
        &left,
        modes,
        0.0,
        early_end_min,
        "single command, morning routine, 2 min idle",
    )?;
    let end = modes
        .iter()
        .flat_map(|m| m.samples.last())
        .map(|s| s.t_ms as f64 / 60_000.0)
        .fold(early_end_min, f64::max);
    panel(
        &right,
        modes,
        0.0,
        end,
        "whole replay (incl. mixed workload with idle gaps)",
    )?;
    root.present()?;
    Ok(())
}

fn panel(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    modes: &[ModeResult],
    x0: f64,
    x1: f64,
    title: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let ymax = modes
        .iter()
        .flat_map(|m| m.samples.iter().map(|s| mib(s.heap)))
        .fold(1.0, f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, 0.0..ymax)?;
    chart
        .configure_mesh()
        .x_desc("replay clock (minutes)")
        .y_desc("live heap (MiB)")
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (i, m) in modes.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        // Step line: heap holds until the next sample.
        let mut pts = Vec::new();
        let mut last: Option<f64> = None;
        for s in m
            .samples
            .iter()
            .filter(|s| (s.t_ms as f64 / 60_000.0) <= x1)
        {
            let (x, y) = (s.t_ms as f64 / 60_000.0, mib(s.heap));
            if let Some(ly) = last {
                pts.push((x, ly));
            }
            pts.push((x, y));
            last = Some(y);
        }
        chart
            .draw_series(LineSeries::new(pts, colour.stroke_width(2)))?
            .label(format!(
                "{} (peak RSS {:.0} MiB)",
                m.mode,
                mib(m.peak_rss_bytes)
            ))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
            });
        let marks: Vec<_> = m
            .unloads
            .iter()
            .map(|u| (u.t_ms as f64 / 60_000.0, mib(u.heap)))
            .filter(|(x, _)| *x <= x1)
            .collect();
        if !marks.is_empty() {
            let n = m.unloads.len();
            chart
                .draw_series(
                    marks
                        .into_iter()
                        .map(move |p| Cross::new(p, 4, BLACK.stroke_width(1))),
                )?
                .label(format!("{}: sweep that unloaded modules ({n})", m.mode))
                .legend(|(x, y)| Cross::new((x + 9, y), 4, BLACK.stroke_width(1)));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::MiddleRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()?;
    Ok(())
}
