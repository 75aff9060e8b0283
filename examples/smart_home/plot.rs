//! `--plot FILE.svg`: top, live heap over the whole replay for the four modes of each
//! profile (unload events marked); bottom, each mode's cost per million requests at every
//! memory size (`plot_cost.rs`).

use crate::report::ModeResult;
use crate::sizing::{Mode, Profile};
use plotters::prelude::*;

pub const COLOURS: [RGBColor; 4] = [
    RGBColor(200, 60, 40),
    RGBColor(40, 110, 200),
    RGBColor(30, 150, 70),
    RGBColor(150, 80, 170),
];

pub type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// The modes of `profile`, in the order of [`Mode::ALL`], with their colours.
pub fn of(modes: &[ModeResult], profile: Profile) -> Vec<(RGBColor, &ModeResult)> {
    Mode::ALL
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            modes
                .iter()
                .find(|r| r.profile == profile.name() && r.mode == m.name())
                .map(|r| (COLOURS[i], r))
        })
        .collect()
}

pub fn draw(path: &str, modes: &[ModeResult]) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (1500, 1100)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "smart_home: live heap over the replay (replay clock), and what each memory size costs",
        ("sans-serif", 24),
    )?;
    let (top, bottom) = root.split_vertically(540);
    let (tl, tr) = top.split_horizontally(750);
    let (bl, br) = bottom.split_horizontally(750);
    heap_panel(&tl, modes, Profile::Small)?;
    heap_panel(&tr, modes, Profile::Large)?;
    crate::plot_cost::panel(&bl, modes, Profile::Small)?;
    crate::plot_cost::panel(&br, modes, Profile::Large)?;
    root.present()?;
    Ok(())
}

fn heap_panel(
    area: &Area,
    modes: &[ModeResult],
    profile: Profile,
) -> Result<(), Box<dyn std::error::Error>> {
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let these = of(modes, profile);
    let ymax = these
        .iter()
        .flat_map(|(_, m)| m.samples.iter().map(|s| mib(s.heap)))
        .fold(1.0, f64::max)
        * 1.1;
    let x1 = these
        .iter()
        .flat_map(|(_, m)| m.samples.last())
        .map(|s| s.t_ms as f64 / 60_000.0)
        .fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "{} profile: live heap over the whole replay",
                profile.name()
            ),
            ("sans-serif", 16),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x1, 0.0..ymax)?;
    chart
        .configure_mesh()
        .x_desc("replay clock (minutes)")
        .y_desc("live heap (MiB)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (colour, m) in these {
        // Step line: heap holds until the next sample.
        let mut pts = Vec::new();
        let mut last: Option<f64> = None;
        for s in &m.samples {
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
            .collect();
        if !marks.is_empty() {
            let n = marks.len();
            chart
                .draw_series(
                    marks
                        .into_iter()
                        .map(move |p| Cross::new(p, 3, colour.stroke_width(1))),
                )?
                .label(format!("{}: sweep that unloaded modules ({n})", m.mode))
                .legend(move |(x, y)| Cross::new((x + 9, y), 4, colour.stroke_width(1)));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 12))
        .draw()?;
    Ok(())
}
