//! How log lines look: readable text (the default) or, with `KEYPORTAL_LOG_FORMAT=json`, one
//! JSON object per line for log collectors:
//!
//! `{"time":"2026-12-07T18:00:00.123Z","level":"INFO","message":"request","request_id":"…",
//! "method":"GET","route":"/sharing/rest/content/items/{id}","path":"…","status":200,"ms":3}`
//!
//! Every field an event records becomes a key of its own (numbers stay numbers); the request
//! log's fields are chosen so that nothing secret is ever among them (`request_log`).

use std::fmt;

use keyportal_domain::time::civil_from_days;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// `KEYPORTAL_LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// Reads the variable's value; unset is text.
    pub fn parse(value: Option<&str>) -> Result<LogFormat, String> {
        match value.map(str::trim) {
            None | Some("") | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(format!("KEYPORTAL_LOG_FORMAT '{other}': use text or json")),
        }
    }
}

/// The JSON-lines event format.
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let mut line = Map::new();
        line.insert("time".into(), Value::String(rfc3339(now)));
        line.insert(
            "level".into(),
            Value::String(event.metadata().level().to_string()),
        );
        let mut fields = Fields(Map::new());
        event.record(&mut fields);
        // The message first among the event's own fields, then the rest as recorded.
        if let Some(message) = fields.0.remove("message") {
            line.insert("message".into(), message);
        }
        line.insert(
            "target".into(),
            Value::String(event.metadata().target().to_string()),
        );
        for (name, value) in fields.0 {
            line.entry(name).or_insert(value);
        }
        let text = serde_json::to_string(&Value::Object(line)).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// Collects an event's fields with their JSON types.
struct Fields(Map<String, Value>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().into(), Value::String(value.into()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::String(format!("{value:?}")));
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` of epoch milliseconds.
fn rfc3339(ms: i64) -> String {
    let day = ms.div_euclid(86_400_000);
    let (y, m, d) = civil_from_days(day);
    let in_day = ms.rem_euclid(86_400_000);
    let (h, min, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1_000 % 60,
        in_day % 1_000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_text_or_json_and_nothing_else() {
        assert_eq!(LogFormat::parse(None), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("json")), Ok(LogFormat::Json));
        assert_eq!(LogFormat::parse(Some("text")), Ok(LogFormat::Text));
        assert!(LogFormat::parse(Some("xml")).is_err());
    }

    #[test]
    fn times_are_rfc3339_utc_with_milliseconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_796_659_200_123), "2026-12-07T16:00:00.123Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
    }
}
