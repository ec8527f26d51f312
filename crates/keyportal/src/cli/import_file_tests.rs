use super::*;

/// Hands out one byte per read, so every entry straddles refills.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((b, rest)), Some(slot)) => {
                *slot = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

fn read_all(text: &str) -> Result<Vec<ImportEntry>, String> {
    let mut reader = EntryReader::new(Trickle(text.as_bytes()), "f.json");
    let mut all = Vec::new();
    loop {
        let batch = reader.next_entries(2)?;
        if batch.is_empty() {
            return Ok(all);
        }
        all.extend(batch);
    }
}

fn problems(entries: &[ImportEntry]) -> Vec<(usize, String)> {
    entries
        .iter()
        .enumerate()
        .filter_map(|(n, e)| e.read.as_ref().err().map(|p| (n + 1, p.clone())))
        .collect()
}

#[test]
fn entries_carry_the_line_they_start_on() {
    let text = "{\"keys\": [\n  {\"key\": \"AAPKa\", \"owner\": \"a\"},\n\n  {\"key\": \"AAPKb\",\n   \"owner\": \"b\", \"title\": \"x}]\\\"\"}\n]}";
    let entries = read_all(text).expect("parses");
    let lines: Vec<Option<usize>> = entries.iter().map(|e| e.line).collect();
    assert_eq!(lines, [Some(2), Some(4)]);
    let second = entries[1].read.as_ref().expect("second entry");
    assert_eq!(second.title, "x}]\"", "brackets and quotes inside strings");
    let bare = read_all("[{\"key\":\"k\",\"owner\":\"o\",\"itemAccess\":[\"ABC\"]}]")
        .expect("a bare array");
    assert_eq!(bare[0].line, Some(1));
    assert_eq!(
        bare[0].read.as_ref().expect("entry").privileges,
        ["portal:app:access:item:abc"]
    );
    assert!(read_all(" [ ] ").expect("empty").is_empty());
}

#[test]
fn an_entry_that_does_not_parse_is_named_and_the_rest_still_read() {
    let text = "[\n{\"key\": \"AAPKa\", \"owner\": \"a\"},\n{\"key\": 5, \"owner\": \"b\"},\n{\"kee\": \"x\"},\n{\"key\": tru},\n7\n]";
    let entries = read_all(text).expect("the structure is fine");
    assert_eq!(entries.len(), 5);
    let found = problems(&entries);
    let numbers: Vec<usize> = found.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, [2, 3, 4, 5]);
    assert!(found[0].1.contains("invalid type"), "{found:?}");
    assert!(found[1].1.contains("kee"), "{found:?}");
    assert_eq!(entries[4].line, Some(6));
}

#[test]
fn a_file_that_is_not_a_list_of_entries_is_refused_with_its_line() {
    for (text, expected) in [
        ("{\"keys\": 3}", "expected '['"),
        ("{\"other\": []}", "unknown field `other`"),
        ("{}", "missing field `keys`"),
        ("", "empty"),
        (
            "\n\n[{\"key\": \"a\"",
            "line 3: the file ends inside an entry",
        ),
        ("[{\"key\": \"a\"} {}]", "expected ',' or ']'"),
        ("[{}, ]", "after the last entry"),
        ("[] []", "trailing characters"),
        ("{\"keys\": []", "'}' after the list"),
        ("\"keys\"", "expected a list"),
    ] {
        let error = read_all(text).expect_err(text);
        assert!(error.starts_with("f.json: line "), "{error}");
        assert!(error.contains(expected), "{text}: {error}");
    }
}

#[test]
fn the_fingerprint_follows_the_bytes_not_the_reads() {
    let text = "[{\"key\": \"AAPKa\", \"owner\": \"a\"}]";
    let mut trickled = EntryReader::new(Trickle(text.as_bytes()), "f");
    let mut whole = EntryReader::new(text.as_bytes(), "f");
    for reader in [&mut trickled as &mut dyn LegacyImportReader, &mut whole] {
        while !reader.next_entries(10).expect("reads").is_empty() {}
    }
    assert_eq!(trickled.fingerprint(), whole.fingerprint());
    let mut other = EntryReader::new(&b"[{\"key\": \"AAPKb\", \"owner\": \"a\"}]"[..], "f");
    while !other.next_entries(10).expect("reads").is_empty() {}
    assert_ne!(other.fingerprint(), whole.fingerprint());
}
