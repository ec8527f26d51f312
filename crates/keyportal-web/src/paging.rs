//! Pages of a long list (My content, the member list, the item picker): which page a request
//! asks for, and the "Previous · Page 2 of 5 · Next" bar. The database cuts the page; these
//! pages only carry its number.

use crate::html::Html;

/// One page of `total` results, `per_page` at a time; `page` is 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pager {
    pub page: usize,
    pub per_page: usize,
    pub total: usize,
}

impl Pager {
    /// The page asked for (`page` as typed; anything but a positive number is the first).
    pub fn asked(text: Option<&str>, per_page: usize) -> Pager {
        let page = text
            .and_then(|t| t.trim().parse::<usize>().ok())
            .filter(|p| *p >= 1)
            // Far beyond any list, and small enough that the offset cannot overflow.
            .map_or(1, |p| p.min(1_000_000));
        Pager {
            page,
            per_page,
            total: 0,
        }
    }

    /// The 0-based offset of the page's first result.
    pub fn offset(&self) -> usize {
        (self.page - 1) * self.per_page
    }

    pub fn with_total(self, total: usize) -> Pager {
        Pager { total, ..self }
    }

    /// How many pages there are (at least one, which may be empty).
    pub fn pages(&self) -> usize {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }

    /// The 1-based positions of the page's first and last results, when it has any.
    pub fn range(&self, shown: usize) -> Option<(usize, usize)> {
        (shown > 0).then(|| (self.offset() + 1, self.offset() + shown))
    }

    /// Whether the page asked for lies beyond the last one (a list that shrank).
    pub fn beyond_the_end(&self) -> bool {
        self.page > self.pages()
    }
}

/// The page bar of a list whose pages are links: Previous, where we are, Next.
pub(crate) fn pager_links(
    h: &mut Html,
    pager: &Pager,
    shown: usize,
    link: impl Fn(usize) -> String,
) {
    if pager.pages() <= 1 && !pager.beyond_the_end() {
        return;
    }
    h.raw("<nav class=\"pager\" aria-label=\"Pages\">");
    if pager.page > 1 {
        let previous = pager.page.min(pager.pages() + 1) - 1;
        h.raw("<a rel=\"prev\" href=\"")
            .text(&link(previous))
            .raw("\">\u{2039} Previous</a>");
    }
    where_we_are(h, pager, shown);
    if pager.page < pager.pages() {
        h.raw("<a rel=\"next\" href=\"")
            .text(&link(pager.page + 1))
            .raw("\">Next \u{203a}</a>");
    }
    h.raw("</nav>");
}

/// "Page 2 of 5 (21–40 of 93)", the part of the bar that is not a link or a button.
pub(crate) fn where_we_are(h: &mut Html, pager: &Pager, shown: usize) {
    h.raw("<span class=\"pager-at\" aria-current=\"page\">")
        .text(&format!("Page {} of {}", pager.page, pager.pages()));
    if let Some((first, last)) = pager.range(shown) {
        h.raw(" <span class=\"muted\">")
            .text(&format!("({first}\u{2013}{last} of {})", pager.total))
            .raw("</span>");
    }
    h.raw("</span>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_read_leniently() {
        assert_eq!(Pager::asked(None, 20).page, 1);
        assert_eq!(Pager::asked(Some("0"), 20).page, 1);
        assert_eq!(Pager::asked(Some("-3"), 20).page, 1);
        assert_eq!(Pager::asked(Some("x"), 20).page, 1);
        assert_eq!(Pager::asked(Some(" 3 "), 20).offset(), 40);
        assert_eq!(
            Pager::asked(Some("99999999999999999999"), 20).page,
            1,
            "not a usize"
        );
        assert_eq!(Pager::asked(Some("5000000"), 20).page, 1_000_000);
    }

    #[test]
    fn pages_count_and_range() {
        let p = Pager::asked(Some("2"), 20).with_total(45);
        assert_eq!(p.pages(), 3);
        assert_eq!(p.range(20), Some((21, 40)));
        assert_eq!(Pager::asked(None, 20).with_total(0).pages(), 1);
        assert!(Pager::asked(Some("4"), 20).with_total(45).beyond_the_end());
        assert!(!p.beyond_the_end());
    }

    #[test]
    fn the_bar_links_previous_and_next() {
        let link = |n: usize| format!("/list?page={n}&q=a&b");
        let mut h = Html::new();
        pager_links(
            &mut h,
            &Pager::asked(Some("2"), 20).with_total(45),
            20,
            link,
        );
        let html = h.into_string();
        assert!(html.contains("href=\"/list?page=1&amp;q=a&amp;b\""));
        assert!(html.contains("href=\"/list?page=3&amp;q=a&amp;b\""));
        assert!(html.contains("Page 2 of 3"));
        assert!(html.contains("21\u{2013}40 of 45"));
        let mut first = Html::new();
        pager_links(&mut first, &Pager::asked(None, 20).with_total(45), 20, link);
        assert!(!first.into_string().contains("rel=\"prev\""));
        let mut single = Html::new();
        pager_links(&mut single, &Pager::asked(None, 20).with_total(5), 5, link);
        assert_eq!(single.into_string(), "");
        // Beyond the end (the list shrank): a way back to the last page.
        let mut beyond = Html::new();
        pager_links(
            &mut beyond,
            &Pager::asked(Some("9"), 20).with_total(45),
            0,
            link,
        );
        let html = beyond.into_string();
        assert!(html.contains("page=3") && !html.contains("rel=\"next\""));
    }
}
