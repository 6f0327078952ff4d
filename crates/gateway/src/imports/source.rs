//! Reading an import file row by row, with the file's own row numbers: CSV records (the line
//! each starts on; the header is line 1), NDJSON lines, vCard cards (the line of `BEGIN`).
//! A row that cannot be read (wrong column count, bad UTF-8, a quote left open, bad JSON)
//! is a failed row with its reason; reading goes on with the next one. No row may hold more
//! than [`MAX_ROW_BYTES`], so a quote that is never closed cannot pull the rest of the file
//! into memory.

use crm_integration::ImportFormat;
use serde_json::{Map, Value};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The most bytes one row may hold.
pub const MAX_ROW_BYTES: u64 = 4 * 1024 * 1024;

/// One row of the file: its cells (column or key -> value), or why it cannot be read.
#[derive(Debug)]
pub struct RawRow {
    /// The row's number: the line it starts on.
    pub no: i64,
    /// The cells, or the reason the row was refused.
    pub cells: Result<Vec<(String, Value)>, String>,
}

/// Turns a vCard's text into the body of a contact.
pub type VcardReader = fn(&str) -> Result<Map<String, Value>, String>;

/// A reader that refuses to give more than [`MAX_ROW_BYTES`] between two [`Limited::reset`]s.
pub struct Limited<R> {
    inner: R,
    since: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.since > MAX_ROW_BYTES {
            return Err(std::io::Error::other("row too long"));
        }
        let n = self.inner.read(buf)?;
        self.since += n as u64;
        Ok(n)
    }
}

/// An open import file.
pub enum Source {
    /// CSV with its header.
    Csv {
        /// The reader.
        rdr: Box<csv::Reader<Limited<BufReader<File>>>>,
        /// The header's columns.
        headers: Vec<String>,
        /// Set once the rest of the file cannot be read.
        done: bool,
        /// The row last read, as a spreadsheet numbers it (the header is row 1).
        row: i64,
        /// The file (to look at its last record again).
        path: std::path::PathBuf,
        /// Its size.
        len: u64,
    },
    /// NDJSON.
    Ndjson {
        /// The reader.
        rdr: BufReader<File>,
        /// The last line read.
        line: i64,
    },
    /// vCard cards.
    Vcard {
        /// The reader.
        rdr: BufReader<File>,
        /// The last line read.
        line: i64,
        /// Turns a card into a contact.
        convert: VcardReader,
    },
}

/// The CSV delimiter byte of the options' `delimiter`.
pub fn delimiter(option: Option<&str>) -> u8 {
    match option {
        Some(";") => b';',
        Some("\t") => b'\t',
        Some("|") => b'|',
        _ => b',',
    }
}

impl Source {
    /// Opens `path`; a CSV file's header is read at once (a file without a readable header
    /// is refused with why).
    pub fn open(
        path: &Path,
        format: ImportFormat,
        delim: u8,
        vcard: VcardReader,
    ) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| format!("the file cannot be opened: {e}"))?;
        let buf = BufReader::with_capacity(64 * 1024, file);
        Ok(match format {
            ImportFormat::Csv => {
                let mut rdr = csv::ReaderBuilder::new()
                    .delimiter(delim)
                    .flexible(true)
                    .has_headers(true)
                    .from_reader(Limited {
                        inner: buf,
                        since: 0,
                    });
                let headers = rdr
                    .byte_headers()
                    .map_err(|e| format!("the header row cannot be read: {e}"))?
                    .iter()
                    .map(|h| {
                        std::str::from_utf8(h)
                            .map(|s| s.trim_start_matches('\u{feff}').trim().to_owned())
                            .map_err(|_| "the header row is not UTF-8".to_owned())
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if headers.iter().all(String::is_empty) {
                    return Err("the file has no header row".to_owned());
                }
                Source::Csv {
                    rdr: Box::new(rdr),
                    headers,
                    done: false,
                    row: 1,
                    path: path.to_owned(),
                    len: std::fs::metadata(path).map(|m| m.len()).unwrap_or(u64::MAX),
                }
            }
            ImportFormat::Ndjson => Source::Ndjson { rdr: buf, line: 0 },
            ImportFormat::Vcard => Source::Vcard {
                rdr: buf,
                line: 0,
                convert: vcard,
            },
        })
    }

    /// The CSV header's columns (empty for other formats).
    pub fn headers(&self) -> &[String] {
        match self {
            Source::Csv { headers, .. } => headers,
            _ => &[],
        }
    }

    /// The next row; `None` at the end of the file.
    pub fn next_row(&mut self) -> Option<RawRow> {
        match self {
            Source::Csv {
                rdr,
                headers,
                done,
                row,
                path,
                len,
            } => {
                if *done {
                    return None;
                }
                rdr.get_mut().since = 0;
                let mut rec = csv::ByteRecord::new();
                let start = *row + 1;
                match rdr.read_byte_record(&mut rec) {
                    Ok(false) => None,
                    Ok(true) => {
                        *row += 1;
                        let at = rec.position().map(csv::Position::byte);
                        let cells = match at {
                            // The last record: a quote opened in it and never closed ran to the
                            // end of the file, which the CSV reader takes as its close.
                            Some(at) if rdr.position().byte() >= *len && open_quote(path, at) => {
                                Err("a quote is left open".to_owned())
                            }
                            _ => csv_cells(&rec, headers),
                        };
                        Some(RawRow { no: *row, cells })
                    }
                    Err(e) => {
                        let reason = if rdr.get_ref().since > MAX_ROW_BYTES {
                            format!(
                                "the row is longer than {MAX_ROW_BYTES} bytes (a quote left \
                                 open?); the rest of the file cannot be read"
                            )
                        } else {
                            format!("the rest of the file cannot be read: {e}")
                        };
                        *done = true;
                        *row = start;
                        Some(RawRow {
                            no: start,
                            cells: Err(reason),
                        })
                    }
                }
            }
            Source::Ndjson { rdr, line } => loop {
                let (bytes, n) = match read_line(rdr) {
                    Ok(Some(x)) => x,
                    Ok(None) => return None,
                    Err(reason) => {
                        *line += 1;
                        return Some(RawRow {
                            no: *line,
                            cells: Err(reason),
                        });
                    }
                };
                *line += n;
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Some(RawRow {
                    no: *line,
                    cells: json_cells(&bytes),
                });
            },
            Source::Vcard { rdr, line, convert } => {
                let mut card: Option<(i64, String)> = None;
                loop {
                    let (bytes, n) = match read_line(rdr) {
                        Ok(Some(x)) => x,
                        Ok(None) => {
                            return card.map(|(no, _)| RawRow {
                                no,
                                cells: Err("the card has no END:VCARD".to_owned()),
                            });
                        }
                        Err(reason) => {
                            *line += 1;
                            return Some(RawRow {
                                no: *line,
                                cells: Err(reason),
                            });
                        }
                    };
                    *line += n;
                    let text = String::from_utf8_lossy(&bytes);
                    let upper = text.trim().to_ascii_uppercase();
                    if upper == "BEGIN:VCARD" {
                        card = Some((*line, String::new()));
                    }
                    if let Some((no, body)) = card.as_mut() {
                        body.push_str(&text);
                        if !body.ends_with('\n') {
                            body.push('\n');
                        }
                        if upper == "END:VCARD" {
                            let no = *no;
                            let cells = convert(body).map(|m| m.into_iter().collect::<Vec<_>>());
                            return Some(RawRow { no, cells });
                        }
                        if body.len() as u64 > MAX_ROW_BYTES {
                            let no = *no;
                            return Some(RawRow {
                                no,
                                cells: Err(format!(
                                    "the card is longer than {MAX_ROW_BYTES} bytes"
                                )),
                            });
                        }
                    }
                }
            }
        }
    }
}

/// Whether the file's bytes from `at` on hold an odd number of quotes (a quote never closed).
fn open_quote(path: &Path, at: u64) -> bool {
    use std::io::{Seek, SeekFrom};
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    if f.seek(SeekFrom::Start(at)).is_err() {
        return false;
    }
    let mut buf = Vec::new();
    if f.take(MAX_ROW_BYTES + 1).read_to_end(&mut buf).is_err() {
        return false;
    }
    buf.iter().filter(|b| **b == b'"').count() % 2 == 1
}

/// One line of at most [`MAX_ROW_BYTES`] and the lines it took (1); a longer line is read
/// to its end and refused.
fn read_line(rdr: &mut BufReader<File>) -> Result<Option<(Vec<u8>, i64)>, String> {
    let mut buf = Vec::new();
    let n = rdr
        .by_ref()
        .take(MAX_ROW_BYTES + 1)
        .read_until(b'\n', &mut buf)
        .map_err(|e| format!("the file cannot be read: {e}"))?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() as u64 > MAX_ROW_BYTES && buf.last() != Some(&b'\n') {
        // Skip the rest of the over-long line.
        let mut rest = Vec::new();
        loop {
            rest.clear();
            let m = rdr
                .by_ref()
                .take(64 * 1024)
                .read_until(b'\n', &mut rest)
                .map_err(|e| format!("the file cannot be read: {e}"))?;
            if m == 0 || rest.last() == Some(&b'\n') {
                break;
            }
        }
        return Err(format!("the line is longer than {MAX_ROW_BYTES} bytes"));
    }
    Ok(Some((buf, 1)))
}

fn csv_cells(rec: &csv::ByteRecord, headers: &[String]) -> Result<Vec<(String, Value)>, String> {
    if rec.len() != headers.len() {
        return Err(format!(
            "the row has {} columns, the header {}",
            rec.len(),
            headers.len()
        ));
    }
    headers
        .iter()
        .zip(rec.iter())
        .map(|(h, cell)| {
            std::str::from_utf8(cell)
                .map(|s| (h.clone(), Value::String(s.to_owned())))
                .map_err(|_| format!("column `{h}` is not UTF-8"))
        })
        .collect()
}

fn json_cells(bytes: &[u8]) -> Result<Vec<(String, Value)>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the line is not UTF-8".to_owned())?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m.into_iter().collect()),
        Ok(_) => Err("the line is not a JSON object".to_owned()),
        Err(e) => Err(format!("the line is not JSON: {e}")),
    }
}

/// The number of rows `next_row` will give (failed ones included).
pub fn count_rows(path: &Path, format: ImportFormat, delim: u8) -> Result<i64, String> {
    let mut source = Source::open(path, format, delim, |_| Ok(Map::new()))?;
    let mut n = 0i64;
    match &mut source {
        Source::Csv { .. } => {
            while source.next_row().is_some() {
                n += 1;
            }
        }
        Source::Ndjson { rdr, .. } => loop {
            match read_line(rdr) {
                Ok(Some((bytes, _))) if bytes.iter().all(u8::is_ascii_whitespace) => {}
                Ok(Some(_)) | Err(_) => n += 1,
                Ok(None) => break,
            }
        },
        Source::Vcard { .. } => {
            while source.next_row().is_some() {
                n += 1;
            }
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(content: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(content).expect("write");
        f
    }

    fn rows(content: &[u8], format: ImportFormat) -> Vec<RawRow> {
        let f = file(content);
        let mut s = Source::open(f.path(), format, b',', |_| Ok(Map::new())).expect("open");
        let mut out = Vec::new();
        while let Some(r) = s.next_row() {
            out.push(r);
        }
        assert_eq!(
            count_rows(f.path(), format, b',').expect("count"),
            out.len() as i64
        );
        out
    }

    #[test]
    fn csv_rows_fail_alone_with_their_line() {
        let out = rows(
            b"\xef\xbb\xbfemail,name\na@x.de,A\nb@x.de\n\"c\nd\",C\ne@x.de,\xff\nf@x.de,F\n",
            ImportFormat::Csv,
        );
        assert_eq!(out.len(), 5);
        assert_eq!(out[0].no, 2);
        assert_eq!(
            out[0].cells.as_ref().expect("row 2")[0],
            ("email".to_owned(), Value::String("a@x.de".into()))
        );
        assert_eq!(out[1].no, 3);
        assert!(
            out[1]
                .cells
                .as_ref()
                .expect_err("short")
                .contains("1 columns")
        );
        assert_eq!(out[2].no, 4);
        assert!(out[2].cells.is_ok(), "a quoted newline is one field");
        assert_eq!(
            out[3].no, 5,
            "rows are numbered as a spreadsheet shows them"
        );
        assert!(out[3].cells.as_ref().expect_err("utf8").contains("UTF-8"));
        assert_eq!(out[4].no, 6);
    }

    #[test]
    fn an_open_quote_fails_its_row() {
        let out = rows(
            b"email,name\na@x.de,A\n\"b@x.de,B\nc@x.de,C\n",
            ImportFormat::Csv,
        );
        assert_eq!(out.len(), 2);
        assert!(out[0].cells.is_ok());
        assert_eq!(out[1].no, 3);
        assert!(out[1].cells.is_err());
    }

    #[test]
    fn crlf_rows_and_a_quote_open_at_the_very_end() {
        let out = rows(b"a,b\r\nX,1\r\nY,2\r\nZ,\"3\r\n", ImportFormat::Csv);
        let nos: Vec<i64> = out.iter().map(|r| r.no).collect();
        assert_eq!(nos, vec![2, 3, 4]);
        assert!(out[1].cells.is_ok());
        assert!(out[2].cells.as_ref().expect_err("open").contains("quote"));
        let out = rows(b"a,b\nX,\"1", ImportFormat::Csv);
        assert!(out[0].cells.is_err(), "no closing quote and no newline");
        let out = rows(b"a,b\nX,\"1\"", ImportFormat::Csv);
        assert!(out[0].cells.is_ok());
    }

    #[test]
    fn ndjson_lines() {
        let out = rows(
            b"{\"a\":1}\n\n[1]\nnot json\n{\"b\":2}",
            ImportFormat::Ndjson,
        );
        let nos: Vec<i64> = out.iter().map(|r| r.no).collect();
        assert_eq!(nos, vec![1, 3, 4, 5]);
        assert!(out[0].cells.is_ok() && out[1].cells.is_err() && out[2].cells.is_err());
        assert!(out[3].cells.is_ok());
    }
}
