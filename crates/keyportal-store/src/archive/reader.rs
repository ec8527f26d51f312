//! Reading an archive line by line, checking each line's shape as it comes and the checksum
//! and counts at the end. Nothing read is trusted: a line is at most [`MAX_LINE`] bytes, every
//! row must match its table's columns, and the end line must agree with what came before.

use std::io::{BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

use super::{Cell, Column, ColumnKind, EndLine, Header, TableHeader, Trailer, FORMAT_VERSION};
use crate::{StoreError, StoreResult};

/// The longest line accepted (a row of the largest item is far below this).
const MAX_LINE: u64 = 64 * 1024 * 1024;

/// What comes next in an archive.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Table(TableHeader),
    Row(Vec<Cell>),
    /// The end line, after the checksum and counts were found right.
    End(Trailer),
}

pub struct ArchiveReader<R: Read> {
    input: BufReader<MultiGzDecoder<R>>,
    header: Header,
    hash: Sha256,
    line: Vec<u8>,
    line_number: u64,
    /// The columns of the table whose rows are being read, and how many rows remain.
    columns: Vec<Column>,
    remaining: u64,
    tables: u64,
    rows: u64,
    ended: bool,
}

impl<R: Read> ArchiveReader<R> {
    /// Opens an archive and reads its header line.
    pub fn new(input: R) -> StoreResult<ArchiveReader<R>> {
        let mut reader = ArchiveReader {
            input: BufReader::with_capacity(256 * 1024, MultiGzDecoder::new(input)),
            header: Header {
                keyportal_backup: 0,
                schema_version: 0,
                keyportal_version: String::new(),
                created: 0,
                source: String::new(),
                secret_key: None,
            },
            hash: Sha256::new(),
            line: Vec::with_capacity(4096),
            line_number: 0,
            columns: Vec::new(),
            remaining: 0,
            tables: 0,
            rows: 0,
            ended: false,
        };
        if !reader.read_line()? {
            return Err(StoreError::Archive("the file is empty".into()));
        }
        let header: Header = serde_json::from_slice(&reader.line).map_err(|_| {
            StoreError::Archive("this is not a keyportal backup (its first line is not one)".into())
        })?;
        if header.keyportal_backup != FORMAT_VERSION {
            return Err(StoreError::Archive(format!(
                "backup format {} is not one this keyportal reads (it reads format {FORMAT_VERSION})",
                header.keyportal_backup
            )));
        }
        reader.hash.update(&reader.line);
        reader.header = header;
        Ok(reader)
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The next table, row or the end. After the end, an error.
    pub fn next_entry(&mut self) -> StoreResult<Entry> {
        if self.ended {
            return Err(StoreError::Archive(
                "read past the end of the archive".into(),
            ));
        }
        if !self.read_line()? {
            return Err(self.bad("the archive ends early (it is truncated)"));
        }
        if self.remaining > 0 {
            let cells = self.row()?;
            self.hash.update(&self.line);
            self.remaining -= 1;
            self.rows += 1;
            return Ok(Entry::Row(cells));
        }
        let value: serde_json::Value =
            serde_json::from_slice(&self.line).map_err(|_| self.bad("a line is not valid JSON"))?;
        if value.get("end").is_some() {
            return self.end(value);
        }
        let table: TableHeader = serde_json::from_value(value)
            .map_err(|_| self.bad("expected a table's header or the end line"))?;
        if table.columns.is_empty() {
            return Err(self.bad("a table without columns"));
        }
        self.hash.update(&self.line);
        self.tables += 1;
        self.columns = table.columns.clone();
        self.remaining = table.rows;
        Ok(Entry::Table(table))
    }

    fn row(&self) -> StoreResult<Vec<Cell>> {
        let cells: Vec<Cell> = serde_json::from_slice(&self.line)
            .map_err(|_| self.bad("a row is not a JSON array of strings, integers and nulls"))?;
        if cells.len() != self.columns.len() {
            return Err(self.bad(&format!(
                "a row has {} values for {} columns",
                cells.len(),
                self.columns.len()
            )));
        }
        for (cell, column) in cells.iter().zip(&self.columns) {
            let fits = matches!(
                (cell, column.kind),
                (Cell::Null, _)
                    | (Cell::Int(_), ColumnKind::Bigint)
                    | (Cell::Text(_), ColumnKind::Text)
            );
            if !fits {
                return Err(self.bad(&format!(
                    "column {} holds a value of the wrong type",
                    column.name
                )));
            }
        }
        Ok(cells)
    }

    fn end(&mut self, value: serde_json::Value) -> StoreResult<Entry> {
        let EndLine { end } =
            serde_json::from_value(value).map_err(|_| self.bad("the end line is malformed"))?;
        let digest = hex::encode(self.hash.clone().finalize());
        if end.sha256 != digest {
            return Err(StoreError::Archive(
                "the archive is damaged: its SHA-256 checksum does not match its content".into(),
            ));
        }
        if end.tables != self.tables || end.rows != self.rows {
            return Err(StoreError::Archive(format!(
                "the archive is damaged: it states {} tables and {} rows, but holds {} and {}",
                end.tables, end.rows, self.tables, self.rows
            )));
        }
        if self.read_line()? {
            return Err(self.bad("something follows the end line"));
        }
        self.ended = true;
        Ok(Entry::End(end))
    }

    /// Reads the next line (without its newline) into `self.line`; false at the end of input.
    fn read_line(&mut self) -> StoreResult<bool> {
        self.line.clear();
        let read = (&mut self.input)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut self.line)
            .map_err(|e| {
                StoreError::Archive(format!(
                    "cannot read the archive after line {}: {e}",
                    self.line_number
                ))
            })?;
        if read == 0 {
            return Ok(false);
        }
        self.line_number += 1;
        if self.line.last() != Some(&b'\n') {
            return Err(if read as u64 > MAX_LINE {
                self.bad("a line is too long")
            } else {
                self.bad("the archive ends early (it is truncated)")
            });
        }
        Ok(true)
    }

    fn bad(&self, what: &str) -> StoreError {
        StoreError::Archive(format!("line {} of the archive: {what}", self.line_number))
    }
}
