//! The memory-size × cost panel of `--plot`: each mode's cost per million requests at
//! every memory size (the library's right-sizing of its trace; sizes where it runs out of
//! memory drawn faint), its configured size (circle) and the recommended one (triangle).
//! An adaptive mode's curve starts at the size it ran at: below it, its trace says nothing.

use crate::plot::{of, Area};
use crate::report::ModeResult;
use crate::sizing::Profile;
use plotters::prelude::*;

pub fn panel(
    area: &Area,
    modes: &[ModeResult],
    profile: Profile,
) -> Result<(), Box<dyn std::error::Error>> {
    let these = of(modes, profile);
    let ymax = these
        .iter()
        .flat_map(|(_, m)| {
            m.size_costs
                .iter()
                .filter(|p| !p.oom)
                .map(|p| p.cost_per_million_usd)
        })
        .fold(0.01, f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "{} profile: $ per million requests at each Lambda memory size",
                profile.name()
            ),
            ("sans-serif", 16),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d((128f64..10_240f64).log_scale(), 0.0..ymax)?;
    chart
        .configure_mesh()
        .x_desc("configured memory (MB, log scale)")
        .y_desc("$ per million requests")
        .x_labels(8)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.2}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (colour, m) in these {
        let point = |p: &crate::report::SizePoint| (p.mb as f64, p.cost_per_million_usd.min(ymax));
        let oom: Vec<_> = m.size_costs.iter().filter(|p| p.oom).map(point).collect();
        let fits: Vec<_> = m.size_costs.iter().filter(|p| !p.oom).map(point).collect();
        chart.draw_series(LineSeries::new(oom, colour.mix(0.25).stroke_width(1)))?;
        chart
            .draw_series(LineSeries::new(fits, colour.stroke_width(2)))?
            .label(format!(
                "{}: {} MB ${:.2}{} → recommended {}",
                m.mode,
                m.configured_memory_mb,
                m.cost_per_million_usd,
                if m.oom { " OOM" } else { "" },
                m.recommended_mb
                    .map_or("none".into(), |mb| format!("{mb} MB")),
            ))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
            });
        let configured = (
            m.configured_memory_mb as f64,
            m.cost_per_million_usd.min(ymax),
        );
        chart.draw_series(std::iter::once(Circle::new(
            configured,
            5,
            colour.stroke_width(2),
        )))?;
        if let (Some(mb), Some(usd)) = (m.recommended_mb, m.recommended_cost_per_million_usd) {
            chart.draw_series(std::iter::once(TriangleMarker::new(
                (mb as f64, usd.min(ymax)),
                7,
                colour.filled(),
            )))?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 12))
        .draw()?;
    Ok(())
}
