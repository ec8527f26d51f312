//! Writing an archive: lines into a gzip stream, every byte hashed until the last line.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Cell, EndLine, Header, TableHeader, Trailer};
use crate::{StoreError, StoreResult};

/// gzip level 3: most of level 9's gain on JSON text at several times its speed.
const LEVEL: u32 = 3;

pub struct ArchiveWriter<W: Write> {
    out: GzEncoder<W>,
    hash: Sha256,
    line: Vec<u8>,
    tables: u64,
    rows: u64,
    /// Rows still expected for the table being written (its header announced them).
    pending: u64,
}

impl<W: Write> ArchiveWriter<W> {
    /// Starts an archive with its header line.
    pub fn new(out: W, header: &Header) -> StoreResult<ArchiveWriter<W>> {
        let mut writer = ArchiveWriter {
            out: GzEncoder::new(out, Compression::new(LEVEL)),
            hash: Sha256::new(),
            line: Vec::with_capacity(4096),
            tables: 0,
            rows: 0,
            pending: 0,
        };
        writer.write_line(header)?;
        Ok(writer)
    }

    /// Opens a table; exactly `table.rows` rows must follow.
    pub fn table(&mut self, table: &TableHeader) -> StoreResult<()> {
        self.expect_no_pending()?;
        self.tables += 1;
        self.pending = table.rows;
        self.write_line(table)
    }

    pub fn row(&mut self, cells: &[Cell]) -> StoreResult<()> {
        if self.pending == 0 {
            return Err(StoreError::Archive(
                "more rows than the table's header announced".into(),
            ));
        }
        self.pending -= 1;
        self.rows += 1;
        self.write_line(&cells)
    }

    /// Writes the last line and the gzip trailer; returns the inner writer to be synced.
    pub fn finish(mut self) -> StoreResult<(W, Trailer)> {
        self.expect_no_pending()?;
        let trailer = Trailer {
            tables: self.tables,
            rows: self.rows,
            sha256: hex::encode(self.hash.clone().finalize()),
        };
        let end = EndLine {
            end: trailer.clone(),
        };
        self.line.clear();
        serde_json::to_writer(&mut self.line, &end).map_err(encode_failed)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line).map_err(write_failed)?;
        let inner = self.out.finish().map_err(write_failed)?;
        Ok((inner, trailer))
    }

    fn expect_no_pending(&self) -> StoreResult<()> {
        if self.pending != 0 {
            return Err(StoreError::Archive(format!(
                "{} rows fewer than the table's header announced",
                self.pending
            )));
        }
        Ok(())
    }

    fn write_line(&mut self, value: &impl Serialize) -> StoreResult<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, value).map_err(encode_failed)?;
        self.line.push(b'\n');
        self.hash.update(&self.line);
        self.out.write_all(&self.line).map_err(write_failed)
    }
}

fn encode_failed(error: serde_json::Error) -> StoreError {
    StoreError::Archive(format!("cannot encode a line of the archive: {error}"))
}

fn write_failed(error: std::io::Error) -> StoreError {
    StoreError::Archive(format!("cannot write the archive: {error}"))
}
