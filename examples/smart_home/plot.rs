//! The plot (`target/smart_home.svg` by default, `--plot FILE.svg`): top, live heap over
//! the whole replay for the four modes of each profile (unload events marked); bottom,
//! each mode's cost per million requests at every memory size (`plot_cost.rs`). Legends sit
//! in strips of their own under the charts; lines and styles: `plot_style.rs`.

use crate::plot_style::{self, coincide_note, draw_line, legend, Key};
use crate::report::{find, ModeResult};
use crate::sizing::{Mode, Profile};
use plotters::prelude::*;

pub type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// Height of the legend strip under each chart, px.
pub const LEGEND_PX: u32 = 130;

/// The modes of `profile`, in the order of [`Mode::ALL`], with their lines.
pub fn of(modes: &[ModeResult], profile: Profile) -> Vec<(plot_style::Line, &ModeResult)> {
    Mode::ALL
        .iter()
        .enumerate()
        .filter_map(|(i, m)| find(modes, profile, *m).map(|r| (plot_style::line(i), r)))
        .collect()
}

pub fn draw(path: &str, modes: &[ModeResult]) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (1500, 1400)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "smart_home: live heap over the replay, and what each Lambda memory size costs",
        ("sans-serif", 24),
    )?;
    let (top, bottom) = root.split_vertically(690);
    let (tl, tr) = top.split_horizontally(750);
    let (bl, br) = bottom.split_horizontally(750);
    heap_panel(&tl, modes, Profile::Small)?;
    heap_panel(&tr, modes, Profile::Large)?;
    crate::plot_cost::panel(&bl, modes, Profile::Small)?;
    crate::plot_cost::panel(&br, modes, Profile::Large)?;
    root.present()?;
    Ok(())
}

const MIB: f64 = 1024.0 * 1024.0;

/// A mode's heap as a step line (heap holds until the next sample), in (minutes, MiB).
fn steps(m: &ModeResult) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    let mut last: Option<f64> = None;
    for s in &m.samples {
        let (x, y) = (s.t_ms as f64 / 60_000.0, s.heap as f64 / MIB);
        if let Some(ly) = last {
            pts.push((x, ly));
        }
        pts.push((x, y));
        last = Some(y);
    }
    pts
}

fn heap_panel(
    area: &Area,
    modes: &[ModeResult],
    profile: Profile,
) -> Result<(), Box<dyn std::error::Error>> {
    let (plot_area, legend_area) = area.split_vertically(area.dim_in_pixel().1 - LEGEND_PX);
    let these = of(modes, profile);
    let series: Vec<(String, Vec<(f64, f64)>)> = these
        .iter()
        .map(|(_, m)| (m.mode.clone(), steps(m)))
        .collect();
    let ymax = series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.1))
        .fold(1.0, f64::max)
        * 1.1;
    let x1 = series
        .iter()
        .flat_map(|(_, s)| s.last())
        .map(|p| p.0)
        .fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(
            format!(
                "{} profile: live heap over the whole replay",
                profile.name()
            ),
            ("sans-serif", 17),
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
    let mut rows = Vec::new();
    let mut marks_rows = Vec::new();
    for (i, ((line, m), (_, pts))) in these.iter().zip(&series).enumerate() {
        draw_line(&mut chart, pts.clone(), *line)?;
        rows.push((
            Key::Line(*line),
            format!(
                "{}: peak RSS {:.0} MiB{}{}",
                m.mode,
                m.peak_rss_bytes as f64 / MIB,
                unloads_note(m),
                coincide_note(&series, i, ymax * 0.01, "the replay")
            ),
        ));
        let marks: Vec<_> = m
            .unloads
            .iter()
            .map(|u| (u.t_ms as f64 / 60_000.0, u.heap as f64 / MIB))
            .collect();
        if !marks.is_empty() {
            let (n, colour) = (marks.len(), line.colour);
            chart.draw_series(
                marks
                    .into_iter()
                    .map(move |p| Cross::new(p, 3, colour.stroke_width(1))),
            )?;
            marks_rows.push((
                Key::Cross(colour),
                format!("{}: a sweep that unloaded modules ({n} sweeps)", m.mode),
            ));
        }
    }
    if let Some(note) = idle_end(&mut chart, modes, profile, ymax)? {
        marks_rows.push((Key::None, note));
    }
    rows.extend(marks_rows);
    legend(&legend_area, &rows)?;
    Ok(())
}

/// ", 170 unloads (3 at sweeps, marked ×; the others made room before a build)": unloads
/// that make room happen inside a request, not at a sweep, so the marks show only some.
fn unloads_note(m: &ModeResult) -> String {
    let at_sweeps: u64 = m.unloads.iter().map(|u| u.modules.len() as u64).sum();
    match (m.lugs_unloads, at_sweeps) {
        (0, _) => String::new(),
        (all, s) if s >= all => format!(", {all} unloads, all at sweeps (marked ×)"),
        (all, 0) => format!(", {all} unloads, each making room before a build"),
        (all, s) => format!(
            ", {all} unloads ({s} at sweeps, marked ×; the others made room before a build)"
        ),
    }
}

/// Marks where `lmms_idle`'s line stops (it replays a prefix of the mixed requests) with a
/// dotted line and a note beside it; returns the note for the legend too.
fn idle_end<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<DB, CT>,
    modes: &[ModeResult],
    profile: Profile,
    ymax: f64,
) -> Result<Option<String>, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let find = |m: Mode| find(modes, profile, m);
    let (Some(idle), Some(full)) = (find(Mode::LmmsIdle), find(Mode::Lmms)) else {
        return Ok(None);
    };
    let Some(end) = idle.samples.last() else {
        return Ok(None);
    };
    let x = end.t_ms as f64 / 60_000.0;
    let colour = plot_style::line(3).colour;
    let top = ymax * 0.42;
    chart.draw_series(std::iter::once(plotters::element::DashedPathElement::new(
        vec![(x, end.heap as f64 / MIB), (x, top)],
        2,
        4,
        colour.stroke_width(1),
    )))?;
    let note = format!(
        "lmms_idle stops at {x:.0} min: it replays {} of the {} mixed requests (its rule rebuilds on most calls)",
        idle.mixed_requests, full.mixed_requests
    );
    let font = ("sans-serif", 13).into_font().color(&colour);
    for (k, text) in [
        format!("lmms_idle stops here ({x:.0} min):"),
        format!(
            "it replays {} of the {}",
            idle.mixed_requests, full.mixed_requests
        ),
        "mixed requests".to_string(),
    ]
    .into_iter()
    .enumerate()
    {
        let y = top + ymax * (0.10 - 0.035 * k as f64);
        chart.draw_series(std::iter::once(Text::new(text, (x, y), font.clone())))?;
    }
    Ok(Some(note))
}
