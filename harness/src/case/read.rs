//! Reading case and sidecar files from disk, defensively.
//!
//! Owns the file-level checks done before any parsing: only regular files are read (a FIFO or a
//! device would block or never end), at most [`MAX_CASE_FILE_BYTES`] per file, the text must be
//! UTF-8 (an invalid byte is reported at its real `line:col`), and a leading UTF-8 byte-order
//! mark is dropped (it takes no column, so positions stay those an editor shows).

use std::io::Read;
use std::path::Path;

/// Largest case or sidecar file accepted (bytes). Real cases are a few KiB; this bounds memory
/// when a huge or endless file lands in the tree.
pub const MAX_CASE_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Why a file could not be read as case text, with the 1-based position it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub help: Option<String>,
    /// True when the position is inside the file's content (bad UTF-8), false when the file as a
    /// whole could not be read (missing, not regular, too large).
    pub in_content: bool,
}

impl ReadError {
    fn at_start(message: String, help: Option<String>) -> ReadError {
        ReadError {
            line: 1,
            col: 1,
            message,
            help,
            in_content: false,
        }
    }
}

/// Reads `file` as UTF-8 text with the checks of this module.
pub fn read_text(file: &Path) -> Result<String, ReadError> {
    read_text_limited(file, MAX_CASE_FILE_BYTES)
}

/// [`read_text`] with an explicit size limit.
pub fn read_text_limited(file: &Path, limit: u64) -> Result<String, ReadError> {
    let meta = std::fs::metadata(file)
        .map_err(|e| ReadError::at_start(format!("cannot read `{}`: {e}", file.display()), None))?;
    if !meta.is_file() {
        return Err(ReadError::at_start(
            format!(
                "`{}` is not a regular file ({}); only regular files are read",
                file.display(),
                kind_of(&meta)
            ),
            Some("remove it from the cases folder or replace it with a regular file".into()),
        ));
    }
    if meta.len() > limit {
        return Err(too_large(file, meta.len(), limit));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| ReadError::at_start(format!("cannot read `{}`: {e}", file.display()), None))?;
    if bytes.len() as u64 > limit {
        // The file grew while being read.
        return Err(too_large(file, bytes.len() as u64, limit));
    }
    decode(bytes)
}

fn too_large(file: &Path, size: u64, limit: u64) -> ReadError {
    ReadError::at_start(
        format!(
            "`{}` is {size} bytes, more than the {limit}-byte limit for a case file",
            file.display()
        ),
        Some("split the case, or move large bodies into smaller sidecar files".into()),
    )
}

/// UTF-8 → text without a leading BOM; an invalid sequence is reported where it starts.
pub fn decode(bytes: Vec<u8>) -> Result<String, ReadError> {
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        // `good` is valid UTF-8 by definition of `valid_up_to`.
        let good = std::str::from_utf8(good).unwrap_or_default();
        let good = good.strip_prefix('\u{feff}').unwrap_or(good);
        let line = good.matches('\n').count() + 1;
        let col = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let bad = e.as_bytes()[e.utf8_error().valid_up_to()];
        ReadError {
            line,
            col,
            message: format!("the file is not valid UTF-8 (byte 0x{bad:02x})"),
            help: Some("save the file as UTF-8".into()),
            in_content: true,
        }
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_reported_at_its_line_and_column() {
        let e = decode(b"title: x\nop\xc3\xa9: \xff\n".to_vec()).unwrap_err();
        assert_eq!((e.line, e.col), (2, 6), "{e:?}");
        assert!(e.message.contains("0xff"), "{}", e.message);
    }

    #[test]
    fn a_bom_is_dropped_and_takes_no_column() {
        assert_eq!(decode(b"\xef\xbb\xbfa: 1".to_vec()).unwrap(), "a: 1");
        let e = decode(b"\xef\xbb\xbfab\xfe".to_vec()).unwrap_err();
        assert_eq!((e.line, e.col), (1, 3));
    }
}
