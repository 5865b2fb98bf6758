//! Figures 11-14 as SVG, drawn with plotters' SVG backend (text is written as
//! SVG text: no font files are read).

use std::path::Path;

use plotters::prelude::*;

/// One line of a figure.
pub struct Line<'a> {
    /// The legend.
    pub name: &'a str,
    /// The points.
    pub points: Vec<(f64, f64)>,
}

const COLOURS: [RGBColor; 8] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// Draws `lines` into `path`.
pub fn draw(
    path: &Path,
    title: &str,
    (x_label, y_label): (&str, &str),
    lines: &[Line],
    with_points: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let all = lines.iter().flat_map(|l| l.points.iter());
    let (x_max, y_max) = all.fold((0.0f64, 0.0f64), |(x, y), &(px, py)| (x.max(px), y.max(py)));
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_max * 1.05 + 1e-9, 0.0..y_max * 1.1 + 1e-9)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .draw()?;
    for (line, colour) in lines.iter().zip(COLOURS.iter().cycle()) {
        let style = colour.stroke_width(2);
        chart
            .draw_series(LineSeries::new(line.points.iter().copied(), style))?
            .label(line.name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        if with_points {
            chart.draw_series(
                line.points
                    .iter()
                    .map(|&p| Circle::new(p, 4, colour.filled())),
            )?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
