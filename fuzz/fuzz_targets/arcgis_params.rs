//! Feeds arbitrary bytes, as a client could send them, to the ArcGIS parameter decoder
//! (`keyportal_http::wire::Params`). Input: query bytes `\n` body bytes, both decoded as
//! `application/x-www-form-urlencoded` (the query first, as the request extractor does).
//! Checks: no panic in any reader; every name resolves as documented (the exact name's last
//! value, else the last value of the first other spelling in request order), independently
//! recomputed here; `text` is `raw` trimmed; a list exists exactly when the name does; and
//! the NUL check refuses exactly the inputs that carry U+0000.

#![no_main]

use keyportal_http::wire::Params;
use libfuzzer_sys::fuzz_target;

/// The documented rule, written out over the decoded pairs in request order.
fn expected<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let spelling = if pairs.iter().any(|(k, _)| k == name) {
        name
    } else {
        pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))?
            .0
            .as_str()
    };
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == spelling)
        .map(|(_, v)| v.as_str())
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (query, body) = (&data[..split], data.get(split + 1..).unwrap_or(&[]));
    let mut params = Params::default();
    params.extend_urlencoded(query);
    params.extend_urlencoded(body);
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query)
        .chain(form_urlencoded::parse(body))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();

    let mut names: Vec<String> = ["token", "TOKEN", "f", "title", "tags", "expiration"]
        .iter()
        .map(|n| n.to_string())
        .collect();
    names.extend(pairs.iter().take(4).map(|(k, _)| k.to_ascii_uppercase()));
    names.extend(pairs.iter().take(4).map(|(k, _)| k.clone()));
    for name in &names {
        let raw = params.raw(name);
        assert_eq!(raw, expected(&pairs, name), "name {name:?}");
        assert_eq!(params.str(name), raw);
        assert_eq!(
            params.text(name),
            raw.map(str::trim).filter(|v| !v.is_empty())
        );
        if let Ok(list) = params.list(name) {
            assert_eq!(list.is_some(), raw.is_some(), "list of {name:?}");
        }
        let _ = params.bool(name);
        let _ = params.i64(name);
        let _ = params.count(name, 10, 100);
        let _ = params.json(name);
        let _ = params.required(name);
    }
    let _ = params.check_sizes();
    let has_nul = pairs
        .iter()
        .any(|(k, v)| k.contains('\0') || v.contains('\0'));
    assert_eq!(params.check_no_nul().is_err(), has_nul);
});
