//! Helpers shared by the end-to-end tests: golden files and case folders.

#![allow(dead_code, clippy::print_stderr)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// Case folders under `dir` (relative to the crate root), sorted.
pub fn cases(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// A plangate command run from the crate root, so paths in messages are stable.
pub fn plangate() -> Command {
    let mut c = Command::cargo_bin("plangate").expect("binary");
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env("NO_COLOR", "1");
    c
}

/// Run the arguments in `case/cmd` and render exit code, stdout and stderr as one text.
pub fn run_case(case: &Path) -> String {
    let cmd = std::fs::read_to_string(case.join("cmd")).expect("cmd file");
    let args: Vec<&str> = cmd.split_whitespace().collect();
    let out = plangate().args(&args).output().expect("run plangate");
    render(&out)
}

pub fn render(out: &std::process::Output) -> String {
    let mut s = format!("exit: {}\n", out.status.code().unwrap_or(-1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stdout.is_empty() {
        s.push_str("--- stdout\n");
        s.push_str(&stdout);
    }
    if !stderr.is_empty() {
        s.push_str("--- stderr\n");
        s.push_str(&stderr);
    }
    s
}

/// Compare with a golden file; with `BLESS=1` write it instead. Returns a diff on mismatch.
pub fn compare_golden(path: &Path, got: &str) -> Option<String> {
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(path, got).expect("write golden file");
        return None;
    }
    let want = match std::fs::read_to_string(path) {
        Ok(w) => w,
        Err(_) => {
            return Some(format!(
                "missing golden file {} (run `BLESS=1 cargo test` and review it); got:\n{got}",
                path.display()
            ))
        }
    };
    if want == got {
        return None;
    }
    let mut diff = String::new();
    for (i, (w, g)) in want.lines().zip(got.lines()).enumerate() {
        if w != g {
            diff.push_str(&format!("line {}:\n  want: {w}\n  got:  {g}\n", i + 1));
        }
    }
    let (wl, gl) = (want.lines().count(), got.lines().count());
    if wl != gl {
        diff.push_str(&format!("want {wl} lines, got {gl} lines\n--- got\n{got}"));
    }
    Some(diff)
}
