//! A tiny HTML builder: markup comes only from `&'static str`, every dynamic value is escaped.

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query-string value.
pub fn url_encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// HTML under construction. `raw` takes only static markup, so nothing from a request or the
/// store can reach the page unescaped.
#[derive(Default)]
pub struct Html(String);

impl Html {
    pub fn new() -> Html {
        Html(String::with_capacity(4096))
    }

    /// Static markup.
    pub fn raw(&mut self, markup: &'static str) -> &mut Html {
        self.0.push_str(markup);
        self
    }

    /// Escaped text (element content or a quoted attribute value).
    pub fn text(&mut self, value: &str) -> &mut Html {
        self.0.push_str(&escape(value));
        self
    }

    /// Another builder's finished markup.
    pub fn append(&mut self, other: Html) -> &mut Html {
        self.0.push_str(&other.0);
        self
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_special_character() {
        assert_eq!(
            escape(r#"<script>alert("x&'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;&#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("plain é text"), "plain é text");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn builder_escapes_text_but_not_markup() {
        let mut h = Html::new();
        h.raw("<p title=\"")
            .text("a\"b")
            .raw("\">")
            .text("<b>")
            .raw("</p>");
        assert_eq!(h.into_string(), "<p title=\"a&quot;b\">&lt;b&gt;</p>");
    }

    #[test]
    fn url_encoding() {
        assert_eq!(url_encode("a b&c=/"), "a+b%26c%3D%2F");
    }
}
