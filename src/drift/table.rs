//! Streaming CSV reading for drift and quality: one pass over any
//! `io::Read`, each kept column reduced to what the methods need (numbers,
//! or counts per category), missing cells counted. Errors carry the line
//! and column. The caller opens files.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::io::Read;

/// Cells pandas reads as missing by default (besides the empty cell); a
/// missing cell is empty, and these spellings are treated alike.
const NA_TOKENS: [&[u8]; 17] = [
    b"#N/A",
    b"#N/A N/A",
    b"#NA",
    b"-1.#IND",
    b"-1.#QNAN",
    b"-NaN",
    b"-nan",
    b"1.#IND",
    b"1.#QNAN",
    b"<NA>",
    b"N/A",
    b"NA",
    b"NULL",
    b"NaN",
    b"None",
    b"n/a",
    b"null",
];

/// Returns true for a cell that counts as missing.
pub fn is_missing(cell: &[u8]) -> bool {
    let t = cell.trim_ascii();
    t.is_empty() || t == b"nan" || NA_TOKENS.contains(&t)
}

/// A CSV problem, with its place.
#[derive(Debug, Clone, PartialEq)]
pub struct TableError {
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// 1-based column and its name, when known.
    pub column: Option<(usize, String)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.line, &self.column) {
            (Some(l), Some((c, name))) => write!(f, "line {l}, column {c} (`{name}`): ")?,
            (Some(l), None) => write!(f, "line {l}: ")?,
            (None, Some((c, name))) => write!(f, "column {c} (`{name}`): ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

fn err(line: Option<u64>, message: impl Into<String>) -> TableError {
    TableError {
        line,
        column: None,
        message: message.into(),
    }
}

fn csv_error(e: &csv::Error) -> TableError {
    let line = e.position().map(csv::Position::line);
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => err(
            line,
            format!("expected {expected_len} fields like the header, found {len}"),
        ),
        csv::ErrorKind::Io(io) => err(line, format!("read failed: {io}")),
        _ => err(line, e.to_string()),
    }
}

/// Where a column's first text value was seen.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// 1-based line.
    pub line: u64,
    /// The value.
    pub value: String,
}

/// A column's values, reduced.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Every non-missing cell is a number (not sorted).
    Numbers {
        /// The finite values.
        values: Vec<f64>,
        /// True while every value is written as an integer.
        all_int: bool,
    },
    /// Texts, counted.
    Texts {
        /// Count per text.
        counts: HashMap<String, u64>,
        /// The first text seen.
        first: Option<Place>,
    },
}

/// One kept column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The header name.
    pub name: String,
    /// 1-based position in the header.
    pub index: usize,
    /// Its values.
    pub data: ColumnData,
    /// Missing cells (empty, `NA`, `NaN`, infinite, …).
    pub missing: u64,
}

impl Column {
    /// Returns true when the column has pandas' integer dtype: values, all
    /// integers, none missing.
    pub fn is_integer(&self) -> bool {
        matches!(&self.data, ColumnData::Numbers { values, all_int } if *all_int && self.missing == 0 && !values.is_empty())
    }
}

/// A read file.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Every header name, in order.
    pub header: Vec<String>,
    /// The kept columns, in header order.
    pub columns: Vec<Column>,
    /// Data rows.
    pub rows: u64,
}

/// What to keep and how.
#[derive(Debug, Clone, Default)]
pub struct ReadSpec {
    /// Columns to keep; None keeps all.
    pub keep: Option<BTreeSet<String>>,
    /// Columns that must hold numbers (a text cell is an error).
    pub numeric: BTreeSet<String>,
    /// Columns read as texts whatever they hold.
    pub categorical: BTreeSet<String>,
}

fn is_int_text(t: &[u8]) -> bool {
    let digits = match t.first() {
        Some(b'+' | b'-') => &t[1..],
        _ => t,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// What a cell holds.
pub(crate) enum Cell {
    /// Empty, a missing spelling, NaN or infinite.
    Missing,
    /// A finite number, and whether it is written as an integer.
    Number(f64, bool),
    /// Anything else.
    Text,
}

/// Returns what a cell holds.
pub(crate) fn classify(cell: &[u8]) -> Cell {
    let t = cell.trim_ascii();
    if t.is_empty() {
        return Cell::Missing;
    }
    // fast-float2 accepts what `str::parse::<f64>` accepts, on bytes.
    if let Ok(v) = fast_float2::parse::<f64, _>(t) {
        // NaN and infinities take no part in any test (Evidently drops them).
        return if v.is_finite() {
            Cell::Number(v, is_int_text(t))
        } else {
            Cell::Missing
        };
    }
    if NA_TOKENS.contains(&t) {
        Cell::Missing
    } else {
        Cell::Text
    }
}

/// Reads CSV with a header, keeping the columns `spec` names. Fails on an
/// empty file, a header without rows, duplicate or missing kept columns,
/// ragged rows, and a text in a numeric column.
pub fn read_csv<R: Read>(input: R, spec: &ReadSpec) -> Result<Table, TableError> {
    let (mut rdr, header) = open_csv(input, spec.keep.as_ref())?;
    let mut columns: Vec<Column> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| spec.keep.as_ref().is_none_or(|k| k.contains(*h)))
        .map(|(i, h)| Column {
            name: h.clone(),
            index: i + 1,
            data: if spec.categorical.contains(h) {
                ColumnData::Texts {
                    counts: HashMap::new(),
                    first: None,
                }
            } else {
                ColumnData::Numbers {
                    values: Vec::new(),
                    all_int: true,
                }
            },
            missing: 0,
        })
        .collect();
    let forced_numeric: Vec<bool> = columns
        .iter()
        .map(|c| spec.numeric.contains(&c.name))
        .collect();
    let mut rec = csv::ByteRecord::new();
    let mut rows = 0u64;
    let mut text_counts: Vec<HashMap<Vec<u8>, u64>> = vec![HashMap::new(); columns.len()];
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(&e)),
        }
        rows += 1;
        let line = rec.position().map_or(rows + 1, csv::Position::line);
        for (ci, col) in columns.iter_mut().enumerate() {
            let cell = rec.get(col.index - 1).unwrap_or(b"");
            match &mut col.data {
                ColumnData::Numbers { values, all_int } => match classify(cell) {
                    Cell::Missing => col.missing += 1,
                    Cell::Number(v, int) => {
                        values.push(v);
                        *all_int &= int;
                    }
                    Cell::Text => {
                        let value = String::from_utf8_lossy(cell).into_owned();
                        if forced_numeric[ci] || !values.is_empty() {
                            let hint = if forced_numeric[ci] {
                                "the column is declared numeric".to_owned()
                            } else {
                                format!(
                                    "earlier values are numbers; declare the column categorical (--categorical {0} or `{0} = \"categorical\"` in [monitoring] features) if it is one",
                                    col.name
                                )
                            };
                            return Err(TableError {
                                line: Some(line),
                                column: Some((col.index, col.name.clone())),
                                message: format!("`{value}` is not a number ({hint})"),
                            });
                        }
                        col.data = ColumnData::Texts {
                            counts: HashMap::new(),
                            first: Some(Place { line, value }),
                        };
                        *text_counts[ci].entry(cell.to_vec()).or_insert(0) += 1;
                    }
                },
                ColumnData::Texts { first, .. } => {
                    if is_missing(cell) {
                        col.missing += 1;
                    } else {
                        if first.is_none() {
                            *first = Some(Place {
                                line,
                                value: String::from_utf8_lossy(cell).into_owned(),
                            });
                        }
                        let counts = &mut text_counts[ci];
                        match counts.get_mut(cell) {
                            Some(n) => *n += 1,
                            None => {
                                counts.insert(cell.to_vec(), 1);
                            }
                        }
                    }
                }
            }
        }
    }
    if rows == 0 {
        return Err(err(Some(2), "the file has a header but no data rows"));
    }
    for (col, raw) in columns.iter_mut().zip(text_counts) {
        if let ColumnData::Texts { counts, .. } = &mut col.data {
            for (k, n) in raw {
                *counts
                    .entry(String::from_utf8_lossy(&k).into_owned())
                    .or_insert(0) += n;
            }
        }
    }
    Ok(Table {
        header,
        columns,
        rows,
    })
}

/// Returns a file's header names (trimmed).
pub fn read_header<R: Read>(input: R) -> Result<Vec<String>, TableError> {
    open_csv(input, None).map(|(_, header)| header)
}

/// Opens CSV with a header and returns the reader, positioned at the
/// first row, and the trimmed header. Fails on an empty file, a duplicate
/// column, or a column of `keep` that the header lacks.
fn open_csv<R: Read>(
    input: R,
    keep: Option<&BTreeSet<String>>,
) -> Result<(csv::Reader<R>, Vec<String>), TableError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .buffer_capacity(1 << 20)
        .from_reader(input);
    let header: Vec<String> = rdr
        .byte_headers()
        .map_err(|e| csv_error(&e))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_owned())
        .collect();
    if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
        return Err(err(None, "the file is empty (a header line is needed)"));
    }
    let mut seen = BTreeSet::new();
    for h in &header {
        if !seen.insert(h.as_str()) {
            return Err(err(
                Some(1),
                format!("duplicate column `{h}` in the header"),
            ));
        }
    }
    if let Some(keep) = keep {
        let missing: Vec<&str> = keep
            .iter()
            .filter(|k| !seen.contains(k.as_str()))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(err(
                Some(1),
                format!("no column `{}` in the header", missing.join("`, `")),
            ));
        }
    }
    Ok((rdr, header))
}

/// Streams the kept columns' cells to `visit(line, kept index, cell)`;
/// returns the kept (1-based index, name) pairs and the number of rows.
/// Fails like `read_csv` on an empty file, no rows, ragged rows, duplicate
/// or absent kept columns; `visit` may fail too.
pub fn scan_csv<R: Read>(
    input: R,
    keep: Option<&BTreeSet<String>>,
    mut visit: impl FnMut(u64, usize, &[u8]) -> Result<(), TableError>,
) -> Result<(Vec<(usize, String)>, u64), TableError> {
    let (mut rdr, header) = open_csv(input, keep)?;
    let kept: Vec<(usize, String)> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| keep.is_none_or(|k| k.contains(*h)))
        .map(|(i, h)| (i + 1, h.clone()))
        .collect();
    let mut rec = csv::ByteRecord::new();
    let mut rows = 0u64;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(&e)),
        }
        rows += 1;
        let line = rec.position().map_or(rows + 1, csv::Position::line);
        for (k, (index, _)) in kept.iter().enumerate() {
            visit(line, k, rec.get(index - 1).unwrap_or(b""))?;
        }
    }
    if rows == 0 {
        return Err(err(Some(2), "the file has a header but no data rows"));
    }
    Ok((kept, rows))
}

/// One column's cells, row by row (None for a missing cell).
pub type Cells = Vec<Option<String>>;

/// Reads the named columns' cells row by row (None for a missing cell),
/// for metrics that pair values of the same row.
pub fn read_cells<R: Read>(input: R, names: &[&str]) -> Result<(Vec<Cells>, u64), TableError> {
    let keep: BTreeSet<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let (mut rdr, header) = open_csv(input, Some(&keep))?;
    // Every name is in the header: `open_csv` checked.
    let idx: Vec<usize> = names
        .iter()
        .filter_map(|n| header.iter().position(|h| h == n))
        .collect();
    let mut out: Vec<Cells> = vec![Vec::new(); names.len()];
    let mut rec = csv::ByteRecord::new();
    let mut rows = 0u64;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(&e)),
        }
        rows += 1;
        for (o, i) in out.iter_mut().zip(&idx) {
            let cell = rec.get(*i).unwrap_or(b"");
            o.push(if is_missing(cell) {
                None
            } else {
                Some(String::from_utf8_lossy(cell.trim_ascii()).into_owned())
            });
        }
    }
    if rows == 0 {
        return Err(err(Some(2), "the file has a header but no data rows"));
    }
    Ok((out, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Table, TableError> {
        read_csv(text.as_bytes(), &ReadSpec::default())
    }

    #[test]
    fn infers_numbers_texts_and_missing() {
        let t = read("a,b,c\n1,x,1.5\n2,,NA\n,y,2\n").expect("valid");
        assert_eq!(t.rows, 3);
        let a = &t.columns[0];
        assert_eq!(a.missing, 1);
        assert!(
            matches!(&a.data, ColumnData::Numbers { values, all_int: true } if values == &[1.0, 2.0])
        );
        assert!(
            !a.is_integer(),
            "a missing value makes it float, as in pandas"
        );
        let b = &t.columns[1];
        assert_eq!(b.missing, 1);
        assert!(matches!(&b.data, ColumnData::Texts { counts, .. } if counts.len() == 2));
        assert_eq!(t.columns[2].missing, 1);
    }

    #[test]
    fn errors_have_line_and_column() {
        let e = read("a,b\n1,2\n3,x\n").expect_err("text after numbers");
        assert_eq!(e.line, Some(3));
        assert_eq!(e.column, Some((2, "b".to_owned())));
        let e = read("a,b\n1,2\n3\n").expect_err("ragged");
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("expected 2 fields"), "{e}");
        assert!(read("").expect_err("empty").message.contains("empty"));
        assert!(
            read("a,b\n")
                .expect_err("header only")
                .message
                .contains("no data rows")
        );
        let spec = ReadSpec {
            keep: Some(["z".to_owned()].into()),
            ..ReadSpec::default()
        };
        let e = read_csv("a\n1\n".as_bytes(), &spec).expect_err("missing column");
        assert!(e.message.contains("no column `z`"), "{e}");
    }
}

#[cfg(test)]
mod float_tests {
    #[test]
    fn fast_float_accepts_what_std_accepts() {
        let cases = [
            "1",
            "-1",
            "+1",
            "1.5",
            ".5",
            "5.",
            "1e5",
            "1E-5",
            "-0",
            "0.1",
            "inf",
            "-inf",
            "Infinity",
            "NaN",
            "nan",
            "1e400",
            "4.9e-324",
            "12345678901234567890",
            "1.7976931348623157e308",
            "1e",
            "e5",
            "1.2.3",
            "--1",
            "0x10",
            "1_0",
            " 1",
            "abc",
            "",
            ".",
            "+",
            "1e+",
            "١",
        ];
        for c in cases {
            let ours = fast_float2::parse::<f64, _>(c.as_bytes()).ok();
            let std = c.parse::<f64>().ok();
            match (ours, std) {
                (Some(a), Some(b)) => {
                    assert!(a == b || (a.is_nan() && b.is_nan()), "{c}: {a} vs {b}")
                }
                (None, None) => {}
                _ => panic!("{c}: fast-float {ours:?}, std {std:?}"),
            }
        }
    }
}
