//! How the plot tells its lines apart and says what they are: each mode's colour and line
//! style (so lines that lie on each other stay visible), a legend drawn in its own strip
//! below each chart (never over data), and the share of a range where two lines coincide.

use crate::plot::Area;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

pub const COLOURS: [RGBColor; 4] = [
    RGBColor(200, 60, 40),
    RGBColor(40, 110, 200),
    RGBColor(30, 150, 70),
    RGBColor(150, 80, 170),
];

/// A mode's line: eager a wide pale band underneath, ligs a solid line on it, lmms dashed
/// on top, lmms_idle a thin solid line; drawn in that order, each stays visible where
/// they coincide.
#[derive(Clone, Copy)]
pub struct Line {
    pub colour: RGBColor,
    pub width: u32,
    pub alpha: f64,
    /// (dash, gap) in pixels.
    pub dash: Option<(u32, u32)>,
}

/// The line of the mode at `index` in [`crate::sizing::Mode::ALL`].
pub fn line(index: usize) -> Line {
    let colour = COLOURS[index % COLOURS.len()];
    match index {
        0 => Line {
            colour,
            width: 7,
            alpha: 0.45,
            dash: None,
        },
        1 => Line {
            colour,
            width: 3,
            alpha: 1.0,
            dash: None,
        },
        2 => Line {
            colour,
            width: 2,
            alpha: 1.0,
            dash: Some((9, 6)),
        },
        _ => Line {
            colour,
            width: 1,
            alpha: 1.0,
            dash: None,
        },
    }
}

impl Line {
    pub fn style(&self) -> ShapeStyle {
        self.colour.mix(self.alpha).stroke_width(self.width)
    }
}

/// One legend row: a line, a marker, or text only.
pub enum Key {
    Line(Line),
    Cross(RGBColor),
    Circle(RGBColor),
    Triangle(RGBColor),
    None,
}

/// Legend rows drawn one under the other in `area` (a strip of its own).
pub fn legend(area: &Area, rows: &[(Key, String)]) -> Result<(), Box<dyn std::error::Error>> {
    let font = ("sans-serif", 13).into_font();
    for (i, (key, text)) in rows.iter().enumerate() {
        let y = 10 + 18 * i as i32;
        let (x0, x1) = (70, 100);
        match key {
            Key::Line(l) => match l.dash {
                Some((d, g)) => area.draw(&DashedPathElement::new(
                    vec![(x0, y), (x1, y)],
                    d,
                    g,
                    l.style(),
                ))?,
                None => area.draw(&PathElement::new(vec![(x0, y), (x1, y)], l.style()))?,
            },
            Key::Cross(c) => area.draw(&Cross::new((85, y), 4, c.stroke_width(1)))?,
            Key::Circle(c) => area.draw(&Circle::new((85, y), 5, c.stroke_width(2)))?,
            Key::Triangle(c) => area.draw(&TriangleMarker::new((85, y), 6, c.filled()))?,
            Key::None => {}
        }
        area.draw(&Text::new(text.clone(), (108, y - 7), font.clone()))?;
    }
    Ok(())
}

/// Draws `points` as a mode's line in `chart`.
pub fn draw_line<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<DB, CT>,
    points: Vec<(f64, f64)>,
    l: Line,
) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    match l.dash {
        Some((d, g)) => {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                points,
                d,
                g,
                l.style(),
            )))?;
        }
        None => {
            chart.draw_series(std::iter::once(PathElement::new(points, l.style())))?;
        }
    }
    Ok(())
}

/// The value of a step function (`(x, y)` sorted by x, each y holding until the next x) at
/// `x`; `None` before its first point or after its last.
fn step_at(points: &[(f64, f64)], x: f64) -> Option<f64> {
    let last = points.last()?;
    if x < points[0].0 || x > last.0 {
        return None;
    }
    let i = points.partition_point(|p| p.0 <= x);
    Some(points[i.saturating_sub(1)].1)
}

/// The share of `a`'s x range (weighted by length) over which the step functions `a` and
/// `b` are within `tolerance` of each other.
pub fn coincide(a: &[(f64, f64)], b: &[(f64, f64)], tolerance: f64) -> f64 {
    let (Some(first), Some(last)) = (a.first(), a.last()) else {
        return 0.0;
    };
    let span = last.0 - first.0;
    if span <= 0.0 {
        return 0.0;
    }
    let mut xs: Vec<f64> = a.iter().chain(b).map(|p| p.0).collect();
    xs.retain(|x| *x >= first.0 && *x <= last.0);
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let mut same = 0.0;
    for w in xs.windows(2) {
        if let (Some(ya), Some(yb)) = (step_at(a, w[0]), step_at(b, w[0])) {
            if (ya - yb).abs() <= tolerance {
                same += w[1] - w[0];
            }
        }
    }
    same / span
}

/// " — coincides with eager over 91 %, ligs over 100 % of the replay" for the earlier
/// modes whose line `series[index]` lies on over at least half of its range (" —
/// coincides with eager and ligs" where it does everywhere); empty if none.
pub fn coincide_note(
    series: &[(String, Vec<(f64, f64)>)],
    index: usize,
    tolerance: f64,
    over: &str,
) -> String {
    let (_, mine) = &series[index];
    let with: Vec<(&str, f64)> = series[..index]
        .iter()
        .map(|(name, other)| (name.as_str(), coincide(mine, other, tolerance)))
        .filter(|(_, share)| *share >= 0.5)
        .collect();
    if with.is_empty() {
        String::new()
    } else if with.iter().all(|(_, share)| *share >= 0.995) {
        let names: Vec<&str> = with.iter().map(|(n, _)| *n).collect();
        format!(" — coincides with {}", names.join(" and "))
    } else {
        let parts: Vec<String> = with
            .iter()
            .map(|(n, share)| format!("{n} over {:.0} %", share * 100.0))
            .collect();
        format!(" — coincides with {} of {over}", parts.join(", "))
    }
}
