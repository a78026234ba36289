//! `ews-conformance review`: the pending `.new` files a recording left beside their cases,
//! each shown as a diff against the case file (`similar`, unified, with context) and then
//! accepted (the `.new` file replaces the case) or rejected (it is deleted).
//!
//! Interactive (y/n per file) on a terminal; `--accept-all` / `--reject-all` otherwise. Without
//! either on a non-terminal, the diffs are shown and nothing changes.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// What to do with each pending file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Ask y/n for each (on a terminal).
    Ask,
    AcceptAll,
    RejectAll,
}

/// What review did with one pending file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reviewed {
    Accepted(PathBuf),
    Rejected(PathBuf),
    /// Shown, left pending.
    Kept(PathBuf),
}

/// Every `*.yaml.new` / `*.yml.new` below `dir` (sorted), or `dir` itself when it is such a file.
pub fn pending_files(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if path.is_file() {
        out.push(path.to_path_buf());
        return out;
    }
    fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
        if depth > 64 {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let is_link = p
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink());
            if p.is_dir() && !is_link {
                walk(&p, out, depth + 1);
            } else if is_pending_name(&p) {
                out.push(p);
            }
        }
    }
    walk(path, &mut out, 0);
    out
}

fn is_pending_name(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.ends_with(".yaml.new") || name.ends_with(".yml.new")
}

/// The case file a pending file belongs to (`x.yaml.new` -> `x.yaml`).
pub fn case_file_of(pending: &Path) -> Option<PathBuf> {
    is_pending_name(pending).then(|| pending.with_extension(""))
}

/// A unified diff of the case file against its pending file.
pub fn diff(case_text: &str, pending_text: &str, case: &Path, pending: &Path) -> String {
    similar::TextDiff::from_lines(case_text, pending_text)
        .unified_diff()
        .context_radius(3)
        .header(&case.display().to_string(), &pending.display().to_string())
        .to_string()
}

/// Reviews each file of `files`, writing diffs and prompts to `out` and reading answers from
/// `input` (used when `decision` is [`Decision::Ask`]).
pub fn review(
    files: &[PathBuf],
    decision: Decision,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<Vec<Reviewed>, String> {
    let mut done = Vec::new();
    for pending in files {
        let case = case_file_of(pending).ok_or_else(|| {
            format!(
                "`{}` is not a pending file (`*.yaml.new`)",
                pending.display()
            )
        })?;
        let new_text = std::fs::read_to_string(pending)
            .map_err(|e| format!("cannot read {}: {e}", pending.display()))?;
        let old_text = std::fs::read_to_string(&case).unwrap_or_default();
        let _ = writeln!(out, "{}", diff(&old_text, &new_text, &case, pending));
        let accept = match decision {
            Decision::AcceptAll => Some(true),
            Decision::RejectAll => Some(false),
            Decision::Ask => {
                let _ = write!(out, "accept {}? [y/n] ", pending.display());
                let _ = out.flush();
                let mut line = String::new();
                match input.read_line(&mut line) {
                    Ok(0) | Err(_) => None,
                    Ok(_) => match line.trim() {
                        "y" | "Y" | "yes" => Some(true),
                        "n" | "N" | "no" => Some(false),
                        _ => None,
                    },
                }
            }
        };
        match accept {
            Some(true) => {
                std::fs::rename(pending, &case)
                    .map_err(|e| format!("cannot accept {}: {e}", pending.display()))?;
                let _ = writeln!(out, "accepted: {} now holds the recording", case.display());
                done.push(Reviewed::Accepted(case));
            }
            Some(false) => {
                std::fs::remove_file(pending)
                    .map_err(|e| format!("cannot reject {}: {e}", pending.display()))?;
                let _ = writeln!(out, "rejected: {} deleted", pending.display());
                done.push(Reviewed::Rejected(pending.clone()));
            }
            None => {
                let _ = writeln!(out, "kept pending: {}", pending.display());
                done.push(Reviewed::Kept(pending.clone()));
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_accept_reject_or_keep() {
        let dir = std::env::temp_dir().join(format!("ews-review-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut files = Vec::new();
        for name in ["a", "b", "c"] {
            std::fs::write(dir.join(format!("{name}.yaml")), "old\n").unwrap();
            let pending = dir.join(format!("{name}.yaml.new"));
            std::fs::write(&pending, "new\n").unwrap();
            files.push(pending);
        }
        assert_eq!(pending_files(&dir), files);
        let mut input: &[u8] = b"y\nn\nmaybe\n";
        let mut out = Vec::new();
        let done = review(&files, Decision::Ask, &mut input, &mut out).unwrap();
        assert_eq!(
            done,
            [
                Reviewed::Accepted(dir.join("a.yaml")),
                Reviewed::Rejected(dir.join("b.yaml.new")),
                Reviewed::Kept(dir.join("c.yaml.new")),
            ]
        );
        let shown = String::from_utf8(out).unwrap();
        assert!(shown.contains("-old\n+new\n"), "{shown}");
        assert!(shown.contains("accept "), "{shown}");
        assert_eq!(
            std::fs::read_to_string(dir.join("a.yaml")).unwrap(),
            "new\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("b.yaml")).unwrap(),
            "old\n"
        );
        assert!(!dir.join("b.yaml.new").exists());
        assert!(dir.join("c.yaml.new").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
