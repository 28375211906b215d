//! Embeds the built-in policies: every `policies/**/<rule>.toml` (and its `<rule>.md` page)
//! becomes an `include_str!` entry of a generated table, so the binary carries its packs and
//! a policy edit rebuilds it. A test in `src/policy/load.rs` checks the embedded set equals
//! the files on disk.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = root.join("policies");
    println!("cargo:rerun-if-changed=build.rs");
    // Cargo treats a watched path that does not exist as always changed (a rebuild on every
    // build), so `policies/` is watched only once it exists (git keeps no empty directory).
    if dir.is_dir() {
        println!("cargo:rerun-if-changed=policies");
    } else {
        println!("cargo:rerun-if-changed=Cargo.toml");
    }
    let mut files = Vec::new();
    collect(&dir, &mut files);
    files.sort();
    let mut out = String::from(
        "/// Built-in policies: (path under `policies/`, TOML text, Markdown page).\npub static BUILTIN: &[(&str, &str, Option<&str>)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(&dir)
            .expect("under policies/")
            .to_string_lossy()
            .replace('\\', "/");
        let page = f.with_extension("md");
        let page = if page.is_file() {
            println!("cargo:rerun-if-changed={}", page.display());
            format!("Some(include_str!({:?}))", page.display().to_string())
        } else {
            "None".to_string()
        };
        let _ = writeln!(
            out,
            "    ({rel:?}, include_str!({:?}), {page}),",
            f.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("builtin_policies.rs");
    std::fs::write(dest, out).expect("write the generated policy table");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}
