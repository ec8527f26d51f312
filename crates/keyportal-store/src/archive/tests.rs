use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

use super::*;
use crate::StoreError;

fn header() -> Header {
    Header {
        keyportal_backup: FORMAT_VERSION,
        schema_version: 12,
        keyportal_version: "0.1.0".into(),
        created: 1_765_000_000_000,
        source: "sqlite".into(),
        secret_key: None,
    }
}

fn apps_table(rows: u64) -> TableHeader {
    TableHeader {
        table: "apps".into(),
        columns: vec![
            Column {
                name: "item_id".into(),
                kind: ColumnKind::Text,
            },
            Column {
                name: "sealed_secret".into(),
                kind: ColumnKind::Text,
            },
            Column {
                name: "revision".into(),
                kind: ColumnKind::Bigint,
            },
        ],
        rows,
    }
}

fn sample() -> Vec<u8> {
    let mut writer = ArchiveWriter::new(Vec::new(), &header()).expect("header");
    writer.table(&apps_table(2)).expect("table");
    writer
        .row(&[
            Cell::Text("a".into()),
            Cell::Text("s1".into()),
            Cell::Int(3),
        ])
        .expect("row");
    writer
        .row(&[Cell::Text("b\n\"c".into()), Cell::Null, Cell::Int(-1)])
        .expect("row");
    let (bytes, trailer) = writer.finish().expect("finish");
    assert_eq!((trailer.tables, trailer.rows), (1, 2));
    bytes
}

fn plain(bytes: &[u8]) -> String {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(bytes), &mut text)
        .expect("gunzip");
    text
}

fn gzip(text: &str) -> Vec<u8> {
    let mut out = GzEncoder::new(Vec::new(), Compression::fast());
    out.write_all(text.as_bytes()).expect("gzip");
    out.finish().expect("gzip")
}

fn read_all(bytes: &[u8]) -> Result<ArchiveSummary, StoreError> {
    verify(ArchiveReader::new(bytes)?, |_| {})
}

#[test]
fn an_archive_reads_back_as_written() {
    let bytes = sample();
    let mut reader = ArchiveReader::new(bytes.as_slice()).expect("open");
    assert_eq!(reader.header(), &header());
    assert_eq!(
        reader.next_entry().expect("table"),
        Entry::Table(apps_table(2))
    );
    assert_eq!(
        reader.next_entry().expect("row"),
        Entry::Row(vec![
            Cell::Text("a".into()),
            Cell::Text("s1".into()),
            Cell::Int(3)
        ])
    );
    assert_eq!(
        reader.next_entry().expect("row"),
        Entry::Row(vec![Cell::Text("b\n\"c".into()), Cell::Null, Cell::Int(-1)])
    );
    assert!(matches!(reader.next_entry(), Ok(Entry::End(_))));
    assert!(reader.next_entry().is_err());

    let summary = read_all(&bytes).expect("verify");
    assert_eq!(summary.tables, vec![("apps".to_string(), 2)]);
    assert_eq!(summary.rows, 2);
    assert_eq!(summary.sealed_samples, vec!["s1".to_string()]);
}

#[test]
fn a_changed_value_breaks_the_checksum() {
    let text = plain(&sample()).replace("\"s1\"", "\"s2\"");
    let error = read_all(&gzip(&text)).expect_err("tampered");
    assert!(error.to_string().contains("checksum"), "{error}");
}

#[test]
fn a_truncated_archive_is_refused() {
    let text = plain(&sample());
    let lines: Vec<&str> = text.lines().collect();
    // Without the end line, and cut inside a line.
    let without_end = format!("{}\n", lines[..lines.len() - 1].join("\n"));
    let error = read_all(&gzip(&without_end)).expect_err("no end");
    assert!(error.to_string().contains("truncated"), "{error}");
    let cut = &text[..text.len() - 10];
    let error = read_all(&gzip(cut)).expect_err("cut");
    assert!(error.to_string().contains("truncated"), "{error}");
    // A cut in the compressed stream itself.
    let bytes = sample();
    assert!(read_all(&bytes[..bytes.len() - 12]).is_err());
}

#[test]
fn rows_must_fit_their_columns() {
    let text = plain(&sample());
    for (from, to) in [
        ("\"s1\",3]", "\"s1\",\"3\"]"),
        ("\"s1\",3]", "3,3]"),
        ("\"s1\",3]", "\"s1\"]"),
        ("\"s1\",3]", "\"s1\",3.5]"),
        ("\"s1\",3]", "\"s1\",{}]"),
    ] {
        let bad = text.replace(from, to);
        let error = read_all(&gzip(&bad)).expect_err(to);
        assert!(
            error.to_string().starts_with("line 3 of the archive"),
            "{error}"
        );
    }
}

#[test]
fn counts_and_trailing_content_are_checked() {
    let text = plain(&sample());
    let error = read_all(&gzip(&format!("{text}[1]\n"))).expect_err("after end");
    assert!(error.to_string().contains("follows the end"), "{error}");
    // Announcing more rows than there are turns the end line into a bad row.
    let more = text.replace("\"rows\":2", "\"rows\":3");
    assert!(read_all(&gzip(&more)).is_err());
}

#[test]
fn other_files_are_not_mistaken_for_archives() {
    for text in ["", "{}\n", "hello\n", "{\"keyportalBackup\":2}\n"] {
        let error = read_all(&gzip(text)).expect_err(text);
        let message = error.to_string();
        assert!(
            message.contains("empty")
                || message.contains("not a keyportal backup")
                || message.contains("format 2"),
            "{message}"
        );
    }
    assert!(read_all(b"plain text, not gzip").is_err());
}

#[test]
fn the_writer_holds_tables_to_their_announced_rows() {
    let mut writer = ArchiveWriter::new(Vec::new(), &header()).expect("header");
    writer.table(&apps_table(1)).expect("table");
    assert!(writer.table(&apps_table(0)).is_err());
    let mut writer = ArchiveWriter::new(Vec::new(), &header()).expect("header");
    writer.table(&apps_table(0)).expect("table");
    assert!(writer.row(&[Cell::Null, Cell::Null, Cell::Null]).is_err());
}
