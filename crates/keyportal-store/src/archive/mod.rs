//! The backup archive: one portable file holding every stored row of a keyportal database,
//! written by `keyportal backup` from either backend and read by `keyportal restore` into
//! either backend.
//!
//! It is a gzip-compressed text file of JSON lines (`zcat FILE | head -1` shows what it is):
//!
//! ```text
//! {"keyportalBackup":1,"schemaVersion":12,"keyportalVersion":"0.1.0","created":…,"source":"sqlite","secretKey":null}
//! {"table":"orgs","columns":[{"name":"id","type":"text"},…],"rows":1}
//! ["0123…","Example",…]                                  one line per row, values in column order
//! {"table":"users",…}
//! …
//! {"end":{"tables":17,"rows":123456,"sha256":"<hex>"}}
//! ```
//!
//! Values are JSON strings, integers or null: every column keyportal stores is TEXT or BIGINT
//! (see the migrations). `sha256` covers every byte before the last line, so a damaged or
//! truncated file is refused before anything is restored; gzip adds its own CRC. Tables
//! derived from others (the search indexes, the per-folder counts, the change feed) are not
//! in the archive: restore rebuilds them.

mod reader;
mod writer;

use serde::{Deserialize, Serialize};

pub use reader::{ArchiveReader, Entry};
pub use writer::ArchiveWriter;

/// The archive format this build writes and reads.
pub const FORMAT_VERSION: i64 = 1;

/// The first line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// The format version (also what tells a keyportal archive from any other JSON).
    pub keyportal_backup: i64,
    pub schema_version: i64,
    pub keyportal_version: String,
    /// When the snapshot was taken, epoch milliseconds.
    pub created: i64,
    /// `"sqlite"` or `"postgres"`.
    pub source: String,
    /// The server key that seals client secrets, only when the backup was made with
    /// `--include-secret-key`.
    pub secret_key: Option<String>,
}

/// How a column's values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    Text,
    Bigint,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ColumnKind,
}

/// The line that opens a table's rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableHeader {
    pub table: String,
    pub columns: Vec<Column>,
    pub rows: u64,
}

/// One stored value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    Int(i64),
    Text(String),
    Null,
}

/// What the last line states.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trailer {
    pub tables: u64,
    pub rows: u64,
    pub sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct EndLine {
    end: Trailer,
}

/// What a whole archive holds, once read to its end and found intact.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveSummary {
    pub header: Header,
    /// Each table and its number of rows, in archive order.
    pub tables: Vec<(String, u64)>,
    pub rows: u64,
    /// Up to [`SEALED_SAMPLES`] sealed client secrets, so that the restoring side can check it
    /// holds the key that opens them before anything is written.
    pub sealed_samples: Vec<String>,
}

/// How many sealed client secrets a verification pass keeps.
pub const SEALED_SAMPLES: usize = 100;

/// Reads an archive to its end, checking every line and the checksum.
pub fn verify<R: std::io::Read>(
    mut reader: ArchiveReader<R>,
    mut progress: impl FnMut(u64),
) -> crate::StoreResult<ArchiveSummary> {
    let header = reader.header().clone();
    let mut tables: Vec<(String, u64)> = Vec::new();
    let mut sealed_column: Option<usize> = None;
    let mut sealed_samples = Vec::new();
    let mut rows = 0u64;
    loop {
        match reader.next_entry()? {
            Entry::Table(table) => {
                sealed_column = (table.table == "apps")
                    .then(|| table.columns.iter().position(|c| c.name == "sealed_secret"))
                    .flatten();
                tables.push((table.table, table.rows));
            }
            Entry::Row(cells) => {
                rows += 1;
                if rows.is_multiple_of(10_000) {
                    progress(rows);
                }
                if let Some(Cell::Text(sealed)) = sealed_column.and_then(|i| cells.get(i)) {
                    if sealed_samples.len() < SEALED_SAMPLES {
                        sealed_samples.push(sealed.clone());
                    }
                }
            }
            Entry::End(_) => {
                progress(rows);
                return Ok(ArchiveSummary {
                    header,
                    tables,
                    rows,
                    sealed_samples,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests;
