//! The Prometheus text exposition format (version 0.0.4), written by hand: a scrape is a few
//! hundred lines built once every few seconds, and every value written here comes from a
//! fixed vocabulary or a route template, so a small encoder is all it takes. Label values are
//! escaped anyway (`\`, `"`, line feeds), so no value can break a line.

use std::fmt::Write;

/// The `Content-Type` of a scrape.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A metric family's type, as `# TYPE` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// A histogram as read at scrape time: the count in each bucket (not cumulative; one more
/// than `bounds`, the last for values above every bound) and the sum of the observed values.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    /// Upper bounds in seconds, ascending.
    pub bounds: &'static [f64],
    pub buckets: Vec<u64>,
    pub sum: f64,
}

/// A scrape being written.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
}

impl Exposition {
    pub fn new() -> Exposition {
        Exposition::default()
    }

    /// Starts a family: its `# HELP` and `# TYPE` lines. Its samples follow.
    pub fn family(&mut self, name: &str, help: &str, kind: Kind) {
        self.out.push_str("# HELP ");
        self.out.push_str(name);
        self.out.push(' ');
        for c in help.chars() {
            match c {
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                c => self.out.push(c),
            }
        }
        self.out.push_str("\n# TYPE ");
        self.out.push_str(name);
        self.out.push(' ');
        self.out.push_str(kind.as_str());
        self.out.push('\n');
    }

    /// One sample of a counter or gauge.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.line(name, "", labels, None, value);
    }

    /// A histogram's samples: `_bucket` per bound, cumulative, then `+Inf`, `_sum`, `_count`.
    pub fn histogram(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        histogram: &HistogramSnapshot,
    ) {
        let mut cumulative = 0u64;
        let mut bound_text = String::new();
        for (at, count) in histogram.buckets.iter().enumerate() {
            cumulative += count;
            bound_text.clear();
            match histogram.bounds.get(at) {
                Some(bound) => {
                    let _ = write!(bound_text, "{bound}");
                }
                None => bound_text.push_str("+Inf"),
            }
            self.line(
                name,
                "_bucket",
                labels,
                Some(&bound_text),
                cumulative as f64,
            );
        }
        self.line(name, "_sum", labels, None, histogram.sum);
        self.line(name, "_count", labels, None, cumulative as f64);
    }

    fn line(
        &mut self,
        name: &str,
        suffix: &str,
        labels: &[(&str, &str)],
        le: Option<&str>,
        value: f64,
    ) {
        self.out.push_str(name);
        self.out.push_str(suffix);
        let le = le.map(|le| ("le", le));
        let mut all = labels.iter().copied().chain(le).peekable();
        if all.peek().is_some() {
            self.out.push('{');
            for (at, (label, value)) in all.enumerate() {
                if at > 0 {
                    self.out.push(',');
                }
                self.out.push_str(label);
                self.out.push_str("=\"");
                push_label_value(&mut self.out, value);
                self.out.push('"');
            }
            self.out.push('}');
        }
        self.out.push(' ');
        push_number(&mut self.out, value);
        self.out.push('\n');
    }

    /// The scrape's text.
    pub fn finish(self) -> String {
        self.out
    }
}

/// A label value inside its quotes: backslash, double quote and line feed escaped.
fn push_label_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A sample value: integers without a fraction, `+Inf`/`-Inf`/`NaN` as the format spells them.
fn push_number(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        let _ = write!(out, "{value}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_samples_follow_the_text_format() {
        let mut out = Exposition::new();
        out.family("kp_things_total", "Things seen.", Kind::Counter);
        out.sample("kp_things_total", &[("kind", "a"), ("state", "b")], 3.0);
        out.sample("kp_things_total", &[], 0.0);
        out.family("kp_ratio", "A ratio.", Kind::Gauge);
        out.sample("kp_ratio", &[], 0.25);
        out.sample("kp_ratio", &[], f64::INFINITY);
        out.sample("kp_ratio", &[], f64::NAN);
        assert_eq!(
            out.finish(),
            "# HELP kp_things_total Things seen.\n# TYPE kp_things_total counter\n\
             kp_things_total{kind=\"a\",state=\"b\"} 3\nkp_things_total 0\n\
             # HELP kp_ratio A ratio.\n# TYPE kp_ratio gauge\nkp_ratio 0.25\nkp_ratio +Inf\n\
             kp_ratio NaN\n"
        );
    }

    #[test]
    fn label_values_and_help_texts_are_escaped() {
        let mut out = Exposition::new();
        out.family("kp_x", "Back\\slash and\nnewline.", Kind::Gauge);
        out.sample("kp_x", &[("route", "a\"b\\c\nd")], 1.0);
        assert_eq!(
            out.finish(),
            "# HELP kp_x Back\\\\slash and\\nnewline.\n# TYPE kp_x gauge\n\
             kp_x{route=\"a\\\"b\\\\c\\nd\"} 1\n"
        );
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_end_with_inf_sum_and_count() {
        let mut out = Exposition::new();
        out.family("kp_seconds", "Durations.", Kind::Histogram);
        let snapshot = HistogramSnapshot {
            bounds: &[0.001, 0.5, 2.0],
            buckets: vec![2, 0, 3, 1],
            sum: 4.25,
        };
        out.histogram("kp_seconds", &[("route", "/r/{id}")], &snapshot);
        assert_eq!(
            out.finish(),
            "# HELP kp_seconds Durations.\n# TYPE kp_seconds histogram\n\
             kp_seconds_bucket{route=\"/r/{id}\",le=\"0.001\"} 2\n\
             kp_seconds_bucket{route=\"/r/{id}\",le=\"0.5\"} 2\n\
             kp_seconds_bucket{route=\"/r/{id}\",le=\"2\"} 5\n\
             kp_seconds_bucket{route=\"/r/{id}\",le=\"+Inf\"} 6\n\
             kp_seconds_sum{route=\"/r/{id}\"} 4.25\n\
             kp_seconds_count{route=\"/r/{id}\"} 6\n"
        );
    }

    #[test]
    fn a_histogram_without_labels_has_only_le() {
        let mut out = Exposition::new();
        let snapshot = HistogramSnapshot {
            bounds: &[1.0],
            buckets: vec![0, 0],
            sum: 0.0,
        };
        out.histogram("kp_h", &[], &snapshot);
        assert_eq!(
            out.finish(),
            "kp_h_bucket{le=\"1\"} 0\nkp_h_bucket{le=\"+Inf\"} 0\nkp_h_sum 0\nkp_h_count 0\n"
        );
    }
}
