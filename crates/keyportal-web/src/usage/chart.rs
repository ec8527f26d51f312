//! The per-day timeline as inline SVG drawn on the server (the CSP allows no inline script or
//! style attribute). The bars sit in a nested SVG stretched to the width
//! (`preserveAspectRatio="none"`) so the chart fills a phone or a desktop; the labels stay
//! outside it, so their text keeps its size.

use keyportal_domain::usage::{DayRange, UsageDay};

use super::period::{long_date, short_date};
use crate::html::Html;

/// Height of the drawing in CSS pixels, the plot's top and bottom, the x labels' baseline.
const HEIGHT: &str = "212";
const PLOT_TOP: f64 = 12.0;
const PLOT_BOTTOM: f64 = 176.0;
const LABEL_Y: &str = "198";
/// At most this many date labels on the x axis (they must fit a 390-pixel phone).
const X_LABELS: usize = 5;

/// One chart's data: a count per day of `range`.
pub(crate) struct Timeline<'a> {
    /// What is counted, for the title (`all services`, `geocode`…).
    pub subject: &'a str,
    pub range: DayRange,
    /// One value per day of `range`, in order.
    pub values: &'a [u64],
    pub today: UsageDay,
}

/// The top of the y axis and the step between grid lines: 1, 2 or 5 × 10ⁿ, at most 4 steps.
pub(crate) fn scale(max: u64) -> (u64, u64) {
    if max == 0 {
        return (1, 1);
    }
    let wanted = max.div_ceil(4);
    let mut magnitude = 1u64;
    loop {
        for factor in [1, 2, 5] {
            let step = magnitude.saturating_mul(factor);
            if step >= wanted {
                return (step.saturating_mul(max.div_ceil(step)), step);
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

/// Which days get a date label: every day of a short range, else evenly spaced ones with
/// the first and the last.
fn labelled_days(days: usize) -> Vec<usize> {
    if days <= X_LABELS {
        return (0..days).collect();
    }
    (0..X_LABELS)
        .map(|k| k * (days - 1) / (X_LABELS - 1))
        .collect()
}

fn plot_y(value: u64, top: u64) -> f64 {
    PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * (value as f64 / top as f64)
}

fn number(h: &mut Html, value: f64) {
    h.text(&format!("{value:.2}"));
}

fn requests(n: u64) -> String {
    if n == 1 {
        "1 request".to_string()
    } else {
        format!("{n} requests")
    }
}

/// What the chart shows, in words (its accessible description).
pub(crate) fn describe(t: &Timeline<'_>) -> String {
    let total: u64 = t.values.iter().sum();
    let mut text = format!(
        "Requests per day for {} from {} to {} (UTC): {} in all.",
        t.subject,
        long_date(t.range.first),
        long_date(t.range.last),
        total
    );
    let busiest = t
        .values
        .iter()
        .enumerate()
        .max_by_key(|(i, v)| (**v, std::cmp::Reverse(*i)));
    if let Some((i, max)) = busiest.filter(|(_, v)| **v > 0) {
        text.push_str(&format!(
            " Busiest day: {} with {}.",
            long_date(t.range.first + i as i64),
            requests(*max)
        ));
    }
    if t.range.contains(t.today) {
        let index = usize::try_from(t.today - t.range.first).unwrap_or(0);
        let today = t.values.get(index).copied().unwrap_or(0);
        text.push_str(&format!(
            " Today, {}: {} so far.",
            long_date(t.today),
            requests(today)
        ));
    }
    text
}

pub(crate) fn timeline(h: &mut Html, t: &Timeline<'_>) {
    let days = t.values.len().max(1);
    let max = t.values.iter().copied().max().unwrap_or(0);
    let (top, step) = scale(max);
    let ticks: Vec<u64> = (0..=top / step).map(|k| k * step).collect();

    h.raw("<figure class=\"chart\"><div class=\"chart-box\">");
    // The y axis: its own narrow drawing, so the bars can use the whole remaining width.
    h.raw("<svg class=\"chart-y\" width=\"52\" height=\"")
        .raw(HEIGHT)
        .raw("\" aria-hidden=\"true\" focusable=\"false\">");
    for tick in &ticks {
        h.raw("<text x=\"46\" y=\"");
        number(h, plot_y(*tick, top));
        h.raw("\" text-anchor=\"end\" dominant-baseline=\"middle\">")
            .text(&tick.to_string())
            .raw("</text>");
    }
    h.raw("</svg>");

    h.raw("<svg class=\"chart-plot\" width=\"100%\" height=\"")
        .raw(HEIGHT)
        .raw("\" role=\"img\" aria-labelledby=\"chart-title chart-desc\">")
        .raw("<title id=\"chart-title\">Requests per day: ")
        .text(t.subject)
        .raw("</title><desc id=\"chart-desc\">")
        .text(&describe(t))
        .raw("</desc>");
    for tick in &ticks {
        let y = plot_y(*tick, top);
        h.raw("<line class=\"")
            .raw(if *tick == 0 { "axis" } else { "grid" })
            .raw("\" x1=\"0\" x2=\"100%\" y1=\"");
        number(h, y);
        h.raw("\" y2=\"");
        number(h, y);
        h.raw("\"/>");
    }
    // Bars in day units (x) and counts (y); stretched to the plot.
    h.raw("<svg class=\"bars\" x=\"0\" y=\"");
    number(h, PLOT_TOP);
    h.raw("\" width=\"100%\" height=\"");
    number(h, PLOT_BOTTOM - PLOT_TOP);
    h.raw("\" viewBox=\"0 0 ")
        .text(&days.to_string())
        .raw(" ")
        .text(&top.to_string())
        .raw("\" preserveAspectRatio=\"none\">");
    // A thin bar still shows: at least 1% of the height. Bars of a short range are no wider
    // than those of a week, so one day is not one wide block.
    let least = top as f64 / 100.0;
    let bar_width = 0.7 * (days as f64 / 7.0).min(1.0);
    for (i, value) in t.values.iter().enumerate().filter(|(_, v)| **v > 0) {
        let day = t.range.first + i as i64;
        let height = (*value as f64).max(least);
        h.raw("<rect class=\"")
            .raw(if day == t.today { "bar today" } else { "bar" })
            .raw("\" x=\"");
        number(h, i as f64 + (1.0 - bar_width) / 2.0);
        h.raw("\" width=\"");
        number(h, bar_width);
        h.raw("\" y=\"");
        number(h, top as f64 - height);
        h.raw("\" height=\"");
        number(h, height);
        h.raw("\" data-day=\"")
            .text(&keyportal_domain::time::iso_date(
                keyportal_domain::usage::start_of_day(day),
            ))
            .raw("\" data-value=\"")
            .text(&value.to_string())
            .raw("\"><title>")
            .text(&format!("{}: {}", long_date(day), requests(*value)))
            .raw("</title></rect>");
    }
    h.raw("</svg>");
    let labelled = labelled_days(days);
    let last = labelled.len().saturating_sub(1);
    for (k, i) in labelled.iter().enumerate() {
        // The ends are anchored inwards so their text is never cut off.
        let (x, anchor) = if days > X_LABELS && k == 0 {
            (0.0, "start")
        } else if days > X_LABELS && k == last {
            (100.0, "end")
        } else {
            ((*i as f64 + 0.5) * 100.0 / days as f64, "middle")
        };
        h.raw("<text class=\"x-label\" x=\"");
        number(h, x);
        h.raw("%\" y=\"")
            .raw(LABEL_Y)
            .raw("\" text-anchor=\"")
            .raw(anchor)
            .raw("\">")
            .text(&short_date(t.range.first + *i as i64))
            .raw("</text>");
    }
    h.raw("</svg></div>");
    h.raw("<figcaption class=\"hint\">Requests per day (UTC)");
    if t.range.contains(t.today) {
        h.raw(" · <span class=\"key-today\" aria-hidden=\"true\"></span> today, still counting");
    }
    h.raw("</figcaption></figure>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_are_round_with_at_most_four_steps() {
        assert_eq!(scale(0), (1, 1));
        assert_eq!(scale(1), (1, 1));
        assert_eq!(scale(7), (8, 2));
        assert_eq!(scale(12), (15, 5));
        assert_eq!(scale(40), (40, 10));
        assert_eq!(scale(41), (60, 20));
        assert_eq!(scale(999_999), (1_000_000, 500_000));
        let (top, step) = scale(u64::MAX);
        assert!(top >= step && step > 0);
    }

    #[test]
    fn labels_cover_both_ends() {
        assert_eq!(labelled_days(1), vec![0]);
        assert_eq!(labelled_days(3), vec![0, 1, 2]);
        assert_eq!(labelled_days(31), vec![0, 7, 15, 22, 30]);
        assert_eq!(labelled_days(366), vec![0, 91, 182, 273, 365]);
    }

    #[test]
    fn bars_carry_their_day_and_value_and_the_description_says_today() {
        let range = DayRange {
            first: 20_000,
            last: 20_002,
        };
        let t = Timeline {
            subject: "all services",
            range,
            values: &[0, 3, 12],
            today: 20_002,
        };
        let mut h = Html::new();
        timeline(&mut h, &t);
        let svg = h.into_string();
        assert!(
            svg.contains("data-day=\"2024-10-06\" data-value=\"12\""),
            "{svg}"
        );
        assert!(svg.contains("<title>Oct 5, 2024: 3 requests</title>"));
        assert!(!svg.contains("data-day=\"2024-10-04\""), "no bar for zero");
        assert!(!svg.contains("style="));
        assert_eq!(
            describe(&t),
            "Requests per day for all services from Oct 4, 2024 to Oct 6, 2024 (UTC): 15 in all. \
             Busiest day: Oct 6, 2024 with 12 requests. Today, Oct 6, 2024: 12 requests so far."
        );
    }
}
