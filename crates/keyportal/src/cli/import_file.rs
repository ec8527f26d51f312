//! A legacy key import file read as a stream: `{"keys": [ … ]}` or a bare array, one entry at a
//! time, so that a file of any size is read in constant memory. The structure around the
//! entries is scanned here; each entry is cut out whole (by its brackets) and parsed on its
//! own, so every problem names its entry and the line it starts on, and a broken entry does
//! not hide the ones after it.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::Deserialize;

use keyportal_service::{
    parallel_map, ImportEntry, LegacyImport, LegacyImportReader, LegacyImportSource,
};

const READ_SIZE: usize = 256 * 1024;
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EntryFields {
    key: String,
    owner: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    privileges: Vec<String>,
    /// Item ids the key may read (become `portal:app:access:item:<id>`).
    #[serde(default)]
    item_access: Vec<String>,
    #[serde(default)]
    http_referrers: Vec<String>,
}

fn parse_entry(raw: &[u8], line: usize) -> Result<LegacyImport, String> {
    let e: EntryFields = serde_json::from_slice(raw).map_err(|e| e.to_string())?;
    Ok(LegacyImport {
        key: e.key,
        owner: e.owner,
        title: e.title,
        privileges: e
            .privileges
            .into_iter()
            .chain(
                e.item_access
                    .into_iter()
                    .map(|id| format!("portal:app:access:item:{}", id.to_ascii_lowercase())),
            )
            .collect(),
        http_referrers: e.http_referrers,
        line: Some(line),
    })
}

/// An import file on disk; every pass adds what it reads to `bytes_read` (for progress).
pub struct ImportFile {
    path: PathBuf,
    pub size: u64,
    pub bytes_read: Arc<AtomicU64>,
}

impl ImportFile {
    pub fn new(path: &Path) -> Result<ImportFile, String> {
        let size = std::fs::metadata(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .len();
        Ok(ImportFile {
            path: path.to_path_buf(),
            size,
            bytes_read: Arc::new(AtomicU64::new(0)),
        })
    }
}

impl LegacyImportSource for ImportFile {
    fn open(&self) -> Result<Box<dyn LegacyImportReader>, String> {
        let file = File::open(&self.path)
            .map_err(|e| format!("cannot read {}: {e}", self.path.display()))?;
        self.bytes_read.store(0, Ordering::Relaxed);
        let mut reader = EntryReader::new(file, &self.path.display().to_string());
        reader.bytes_read = Some(self.bytes_read.clone());
        Ok(Box::new(reader))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    /// Inside the array; `wrapped` for `{"keys": […]}`, `first` before its first entry.
    Array {
        wrapped: bool,
        first: bool,
    },
    Done,
}

/// One pass over a file's entries.
pub struct EntryReader<R> {
    input: R,
    name: String,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    line: usize,
    state: State,
    fingerprint: u64,
    bytes_read: Option<Arc<AtomicU64>>,
}

impl<R: Read + Send> EntryReader<R> {
    pub fn new(input: R, name: &str) -> EntryReader<R> {
        EntryReader {
            input,
            name: name.to_string(),
            buf: vec![0; READ_SIZE],
            pos: 0,
            len: 0,
            eof: false,
            line: 1,
            state: State::Start,
            fingerprint: FNV_OFFSET,
            bytes_read: None,
        }
    }

    fn problem(&self, what: &str) -> String {
        format!("{}: line {}: {what}", self.name, self.line)
    }

    fn peek(&mut self) -> Result<Option<u8>, String> {
        if self.pos == self.len && !self.eof {
            let n = loop {
                match self.input.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(format!("cannot read {}: {e}", self.name)),
                }
            };
            for &b in &self.buf[..n] {
                self.fingerprint = (self.fingerprint ^ u64::from(b)).wrapping_mul(FNV_PRIME);
            }
            if let Some(counter) = &self.bytes_read {
                counter.fetch_add(n as u64, Ordering::Relaxed);
            }
            self.pos = 0;
            self.len = n;
            self.eof = n == 0;
        }
        Ok((self.pos < self.len).then(|| self.buf[self.pos]))
    }

    fn next_byte(&mut self) -> Result<Option<u8>, String> {
        let b = self.peek()?;
        if let Some(b) = b {
            self.pos += 1;
            if b == b'\n' {
                self.line += 1;
            }
        }
        Ok(b)
    }

    fn skip_whitespace(&mut self) -> Result<Option<u8>, String> {
        while let Some(b) = self.peek()? {
            if !matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                return Ok(Some(b));
            }
            self.next_byte()?;
        }
        Ok(None)
    }

    fn expect(&mut self, wanted: u8, what: &str) -> Result<(), String> {
        match self.skip_whitespace()? {
            Some(b) if b == wanted => {
                self.next_byte()?;
                Ok(())
            }
            Some(_) => Err(self.problem(&format!("expected {what}"))),
            None => Err(self.problem(&format!("the file ends where {what} was expected"))),
        }
    }

    /// Copies one JSON value into `out`: a bracketed value up to its closing bracket, a string
    /// up to its closing quote, anything else up to the next separator.
    fn value(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let unterminated = |reader: &Self| reader.problem("the file ends inside an entry");
        let Some(first) = self.next_byte()? else {
            return Err(unterminated(self));
        };
        out.push(first);
        if !matches!(first, b'{' | b'[' | b'"') {
            while let Some(b) = self.peek()? {
                if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                    break;
                }
                out.push(b);
                self.next_byte()?;
            }
            return Ok(());
        }
        let (mut depth, mut in_string, mut escaped) = (0_usize, first == b'"', false);
        if !in_string {
            depth = 1;
        }
        loop {
            let Some(b) = self.next_byte()? else {
                return Err(unterminated(self));
            };
            out.push(b);
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
    }

    /// Past `[` (bare) or `{"keys": [` (wrapped).
    fn open_array(&mut self) -> Result<State, String> {
        match self.skip_whitespace()? {
            Some(b'[') => {
                self.next_byte()?;
                Ok(State::Array {
                    wrapped: false,
                    first: true,
                })
            }
            Some(b'{') => {
                self.next_byte()?;
                if self.skip_whitespace()? == Some(b'}') {
                    return Err(self.problem("missing field `keys`"));
                }
                let mut raw = Vec::new();
                self.value(&mut raw)?;
                match serde_json::from_slice::<String>(&raw) {
                    Ok(name) if name == "keys" => {}
                    Ok(name) => {
                        return Err(
                            self.problem(&format!("unknown field `{name}`, expected `keys`"))
                        )
                    }
                    Err(_) => return Err(self.problem("expected a field name")),
                }
                self.expect(b':', "':'")?;
                self.expect(b'[', "'[' (the keys are a list of entries)")?;
                Ok(State::Array {
                    wrapped: true,
                    first: true,
                })
            }
            Some(_) => Err(self.problem("expected a list of entries or {\"keys\": [...]}")),
            None => Err(self.problem("the file is empty")),
        }
    }

    /// Past the closing `]` (and `}`): only white space may follow.
    fn close_array(&mut self, wrapped: bool) -> Result<(), String> {
        if wrapped {
            self.expect(b'}', "'}' after the list of keys")?;
        }
        match self.skip_whitespace()? {
            None => Ok(()),
            Some(_) => Err(self.problem("trailing characters after the keys")),
        }
    }

    /// Cuts out up to `max` entries: `(line, text)`.
    fn raw_entries(&mut self, max: usize) -> Result<Vec<(usize, Vec<u8>)>, String> {
        let mut raw = Vec::new();
        if self.state == State::Start {
            self.state = self.open_array()?;
        }
        while raw.len() < max {
            let State::Array { wrapped, first } = self.state else {
                break;
            };
            let next = self.skip_whitespace()?;
            if next == Some(b']') {
                self.next_byte()?;
                self.close_array(wrapped)?;
                self.state = State::Done;
                break;
            }
            if !first {
                self.expect(b',', "',' or ']' after an entry")?;
                if self.skip_whitespace()? == Some(b']') {
                    return Err(self.problem("a ',' after the last entry"));
                }
            }
            self.skip_whitespace()?;
            let line = self.line;
            let mut text = Vec::with_capacity(256);
            self.value(&mut text)?;
            raw.push((line, text));
            self.state = State::Array {
                wrapped,
                first: false,
            };
        }
        Ok(raw)
    }
}

impl<R: Read + Send> LegacyImportReader for EntryReader<R> {
    fn next_entries(&mut self, max: usize) -> Result<Vec<ImportEntry>, String> {
        let raw = self.raw_entries(max)?;
        Ok(parallel_map(&raw, |(line, text)| ImportEntry {
            line: Some(*line),
            read: parse_entry(text, *line),
        }))
    }

    fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}

#[cfg(test)]
#[path = "import_file_tests.rs"]
mod tests;
