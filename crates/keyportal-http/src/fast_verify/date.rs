//! The `Date` header every answer carries (RFC 9110 §6.6.1), formatted once per second.

use std::time::{SystemTime, UNIX_EPOCH};

pub struct DateHeader {
    second: u64,
    text: String,
}

impl DateHeader {
    pub fn new() -> DateHeader {
        DateHeader {
            second: u64::MAX,
            text: String::new(),
        }
    }

    /// `Tue, 01 Dec 2026 16:00:00 GMT` for the current second.
    pub fn now(&mut self) -> &str {
        let now = SystemTime::now();
        let second = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        if second != self.second {
            self.second = second;
            self.text = httpdate::fmt_http_date(now);
        }
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_is_an_http_date_of_now() {
        let mut date = DateHeader::new();
        let text = date.now().to_string();
        let parsed = httpdate::parse_http_date(&text).unwrap();
        let skew = SystemTime::now().duration_since(parsed).unwrap();
        assert!(skew.as_secs() <= 1, "{text}");
        assert!(text.ends_with(" GMT") && text.len() == 29, "{text}");
    }
}
