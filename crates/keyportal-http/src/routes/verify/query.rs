//! The query of `GET /verify`, read without building a parameter map: the connection front
//! calls this for every request nginx sends.

use std::borrow::Cow;

/// One parameter as the Sharing API resolves names (`wire::Params`): the values sent under
/// exactly the name win; otherwise those of the first other spelling in request order (any
/// ASCII case). Within a spelling the last value wins. Blank means absent.
#[derive(Default)]
pub(super) struct Slot<'q> {
    value: Option<Cow<'q, str>>,
    /// The spelling `value` was read from, while no exact one has been seen.
    spelling: Option<Cow<'q, str>>,
    exact: bool,
}

impl<'q> Slot<'q> {
    fn offer(&mut self, name: Cow<'q, str>, exact: bool, value: Cow<'q, str>) {
        if exact {
            self.exact = true;
            self.value = Some(value);
        } else if !self.exact {
            match &self.spelling {
                Some(spelling) if *spelling != name => {}
                Some(_) => self.value = Some(value),
                None => {
                    self.spelling = Some(name);
                    self.value = Some(value);
                }
            }
        }
    }

    /// The value, trimmed; blank is absent.
    pub(super) fn text(&self) -> Option<&str> {
        self.value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

/// The query parameters `/verify` reads.
#[derive(Default)]
pub(super) struct VerifyQuery<'q> {
    pub(super) token: Slot<'q>,
    pub(super) service: Slot<'q>,
    pub(super) privilege: Slot<'q>,
    pub(super) item: Slot<'q>,
}

impl<'q> VerifyQuery<'q> {
    /// Reads `application/x-www-form-urlencoded` pairs as `form_urlencoded` does, decoding
    /// only the names and values it keeps.
    pub(super) fn parse(query: &'q str) -> VerifyQuery<'q> {
        let mut found = VerifyQuery::default();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = form_decode(name);
            let (slot, wanted) = if name.eq_ignore_ascii_case("token") {
                (&mut found.token, "token")
            } else if name.eq_ignore_ascii_case("service") {
                (&mut found.service, "service")
            } else if name.eq_ignore_ascii_case("privilege") {
                (&mut found.privilege, "privilege")
            } else if name.eq_ignore_ascii_case("item") {
                (&mut found.item, "item")
            } else {
                continue;
            };
            let exact = name == wanted;
            slot.offer(name, exact, form_decode(value));
        }
        found
    }
}

/// One form-encoded name or value: `+` is a space, `%XX` a byte, invalid UTF-8 replaced.
pub(super) fn form_decode(raw: &str) -> Cow<'_, str> {
    if !raw.bytes().any(|b| b == b'+' || b == b'%') {
        return Cow::Borrowed(raw);
    }
    let spaced = raw.replace('+', " ");
    Cow::Owned(
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Params;

    #[test]
    fn the_query_resolves_names_as_the_sharing_api_does() {
        let q =
            VerifyQuery::parse("Service=a&token=x&service=geo%20code&ITEM=&privilege=+p+&other=1");
        assert_eq!(q.service.text(), Some("geo code"));
        assert_eq!(q.token.text(), Some("x"));
        assert_eq!(q.item.text(), None, "blank is absent");
        assert_eq!(q.privilege.text(), Some("p"));
        let empty = VerifyQuery::parse("");
        assert!(empty.token.text().is_none() && empty.service.text().is_none());
        let spellings = VerifyQuery::parse("TOKEN=a&Token=b&TOKEN=c");
        assert_eq!(
            spellings.token.text(),
            Some("c"),
            "the first spelling, its last value"
        );
        let exact = VerifyQuery::parse("token=a&TOKEN=b");
        assert_eq!(exact.token.text(), Some("a"), "the exact name wins");
    }

    #[test]
    fn form_decoding_agrees_with_form_urlencoded() {
        for raw in [
            "a", "a+b", "a%20b", "%C3%BC", "%FF", "%zz", "%", "+%2B+", "",
        ] {
            let expected = form_urlencoded::parse(format!("x={raw}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            assert_eq!(form_decode(raw), expected, "{raw:?}");
        }
        let q = VerifyQuery::parse("&&to%6Ben=k&=x&service");
        assert_eq!(q.token.text(), Some("k"), "encoded names are decoded");
        assert_eq!(q.service.text(), None);
    }

    proptest::proptest! {
        /// The query reads exactly as the Sharing API's parameters read it.
        #[test]
        fn queries_read_as_the_sharing_api_reads_them(
            query in "([a-zA-Z%+=&0-9]|%[0-9A-Fa-f]{2}|token=|TOKEN=|Token=|service=|SERVICE=){0,30}",
        ) {
            let mut params = Params::default();
            params.extend_urlencoded(query.as_bytes());
            let read = VerifyQuery::parse(&query);
            proptest::prop_assert_eq!(read.token.text(), params.text("token"));
            proptest::prop_assert_eq!(read.service.text(), params.text("service"));
            proptest::prop_assert_eq!(read.item.text(), params.text("item"));
        }
    }
}
