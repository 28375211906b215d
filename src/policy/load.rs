//! Loading: built-in policies (embedded by `build.rs`) and user policy directories. Every
//! file is parsed and validated before anything is evaluated; all problems of all files are
//! reported at once, each with file, line and column; duplicate ids are an error.
//!
//! Which `.toml` files are policies: every one, except data files (name starting with `_`,
//! e.g. `policies/cost/_prices.toml`), test cases (`expected.toml`, `*.test.toml`) and
//! `plangate.toml`.

use super::model::{Policy, Source};
use super::raw::RawPolicy;
use super::validate::{self, line_col, Ctx};
use crate::error::{Error, Problem, Result};
use std::path::{Path, PathBuf};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));
}

/// Every embedded file under `policies/`: (path under `policies/`, TOML, Markdown page).
pub fn builtin_files() -> &'static [(&'static str, &'static str, Option<&'static str>)] {
    embedded::BUILTIN
}

/// Whether a `.toml` file name is a policy (not data, a test case or a config file).
pub fn is_policy_file(name: &str) -> bool {
    name.ends_with(".toml")
        && !name.starts_with('_')
        && !name.ends_with(".test.toml")
        && name != "expected.toml"
        && name != "plangate.toml"
}

/// The built-in policies.
pub fn load_builtin() -> Result<Vec<Policy>> {
    load_texts(builtin_texts())
}

/// Built-in policies and user policy files or directories, validated together: every problem
/// of every file at once, and duplicate ids across them.
pub fn load(builtin: bool, paths: &[PathBuf]) -> Result<Vec<Policy>> {
    let mut texts = if builtin { builtin_texts() } else { Vec::new() };
    texts.extend(path_texts(paths)?);
    load_texts(texts)
}

/// The policies of a directory, recursively (or one policy file).
pub fn load_dir(dir: &Path) -> Result<Vec<Policy>> {
    load_paths(&[dir.to_path_buf()])
}

/// The policies of several files and directories, validated together (duplicate ids across
/// them are an error).
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Policy>> {
    load_texts(path_texts(paths)?)
}

fn builtin_texts() -> Vec<Text> {
    builtin_files()
        .iter()
        .filter(|(path, _, _)| is_policy_file(path.rsplit('/').next().unwrap_or(path)))
        .map(|(path, text, page)| Text {
            file: format!("policies/{path}"),
            text: (*text).to_string(),
            page: page.map(str::to_string),
            builtin: true,
        })
        .collect()
}

fn path_texts(paths: &[PathBuf]) -> Result<Vec<Text>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut files)?;
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            return Err(Error::Policy {
                problems: vec![problem(&p.display().to_string(), None, "no such file or directory; pass a policy file or a directory of *.toml policies")],
            });
        }
    }
    let mut texts = Vec::new();
    for f in files {
        let text =
            std::fs::read_to_string(&f).map_err(|e| Error::io(f.display().to_string(), e))?;
        let page = std::fs::read_to_string(f.with_extension("md")).ok();
        texts.push(Text {
            file: f.display().to_string(),
            text,
            page,
            builtin: false,
        });
    }
    Ok(texts)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir.display().to_string(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            walk(&p, out)?;
        } else if is_policy_file(name) {
            out.push(p);
        }
    }
    Ok(())
}

/// A policy file's text and where it came from.
#[derive(Debug, Clone)]
pub struct Text {
    pub file: String,
    pub text: String,
    pub page: Option<String>,
    pub builtin: bool,
}

/// Parse and validate policy texts; every problem of every file, or the policies.
pub fn load_texts(texts: Vec<Text>) -> Result<Vec<Policy>> {
    let mut policies = Vec::new();
    let mut problems = Vec::new();
    for t in &texts {
        match parse(&t.file, &t.text, t.builtin) {
            Ok(mut p) => {
                p.page = t.page.clone();
                policies.push(p);
            }
            Err(mut ps) => problems.append(&mut ps),
        }
    }
    problems.extend(duplicates(&policies, &texts));
    if problems.is_empty() {
        Ok(policies)
    } else {
        Err(Error::Policy { problems })
    }
}

/// Merge policy sets loaded separately (built-ins and user directories), rejecting
/// duplicate ids.
pub fn merge(sets: Vec<Vec<Policy>>) -> Result<Vec<Policy>> {
    let all: Vec<Policy> = sets.into_iter().flatten().collect();
    let problems = duplicates(&all, &[]);
    if problems.is_empty() {
        Ok(all)
    } else {
        Err(Error::Policy { problems })
    }
}

fn duplicates(policies: &[Policy], texts: &[Text]) -> Vec<Problem> {
    let mut out = Vec::new();
    for (i, p) in policies.iter().enumerate() {
        if let Some(first) = policies[..i].iter().find(|q| q.id == p.id) {
            let pos = texts
                .iter()
                .find(|t| t.file == p.source.file)
                .and_then(|t| id_line(&t.text).map(|o| line_col(&t.text, o)));
            out.push(Problem {
                file: p.source.file.clone(),
                line: pos.map(|x| x.0),
                column: pos.map(|x| x.1),
                message: format!("duplicate policy id {:?}: {} already defines it; ids are unique and stable, rename one", p.id, first.source.file),
            });
        }
    }
    out
}

/// The offset of the top-level `id = …` line.
fn id_line(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with('[') {
            return None;
        }
        if line
            .strip_prefix("id")
            .is_some_and(|r| r.trim_start().starts_with('='))
        {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// Parse and validate one policy file.
pub fn parse(file: &str, text: &str, builtin: bool) -> std::result::Result<Policy, Vec<Problem>> {
    let raw: RawPolicy = toml::from_str(text).map_err(|e| vec![toml_problem(file, text, &e)])?;
    let mut cx = Ctx::new(file, text);
    let source = Source {
        file: file.to_string(),
        builtin,
    };
    let policy = validate::policy(raw, &mut cx, source);
    match policy {
        Some(p) if cx.problems.is_empty() => Ok(p),
        _ => Err(cx.problems),
    }
}

fn problem(file: &str, pos: Option<(usize, usize)>, message: &str) -> Problem {
    Problem {
        file: file.to_string(),
        line: pos.map(|p| p.0),
        column: pos.map(|p| p.1),
        message: message.to_string(),
    }
}

/// A TOML or serde error as a problem, in plangate's words.
pub fn toml_problem(file: &str, text: &str, e: &toml::de::Error) -> Problem {
    let pos = e.span().map(|s| line_col(text, s.start));
    problem(file, pos, &friendly(e.message()))
}

/// Reword serde's messages: unknown keys list the allowed ones, missing keys say what to add.
pub fn friendly(msg: &str) -> String {
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        if let Some((name, tail)) = rest.split_once('`') {
            let allowed = tail
                .trim_start_matches(", expected one of ")
                .trim_start_matches(", expected ")
                .replace('`', "");
            let hint = super::suggest::closest(name, allowed.split(", "))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return format!("unknown key `{name}`{hint}; allowed keys here: {allowed}");
        }
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let name = rest.trim_end_matches('`');
        return format!("missing key `{name}`; add it (see docs/policy-language.md)");
    }
    let first = msg.lines().next().unwrap_or(msg).trim();
    format!("invalid TOML: {first}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk_files(dir: &Path, base: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                disk_files(&p, base, out);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(
                    p.strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }

    #[test]
    fn embedded_set_equals_the_files_on_disk() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
        let mut disk = Vec::new();
        disk_files(&base, &base, &mut disk);
        disk.sort();
        let embedded: Vec<String> = builtin_files().iter().map(|f| f.0.to_string()).collect();
        assert_eq!(
            embedded, disk,
            "rebuild: the embedded policies differ from policies/"
        );
        for (path, text, page) in builtin_files() {
            assert_eq!(
                std::fs::read_to_string(base.join(path)).unwrap(),
                *text,
                "{path}"
            );
            let md = std::fs::read_to_string(base.join(path).with_extension("md")).ok();
            assert_eq!(md.as_deref(), *page, "{path}: page");
        }
    }

    #[test]
    fn builtin_policies_load() {
        load_builtin().unwrap();
    }

    #[test]
    fn policy_file_names() {
        assert!(is_policy_file("oversized-database-class.toml"));
        assert!(!is_policy_file("_prices.toml"));
        assert!(!is_policy_file("expected.toml"));
        assert!(!is_policy_file("case.test.toml"));
        assert!(!is_policy_file("README.md"));
    }

    #[test]
    fn serde_messages_are_reworded() {
        assert_eq!(
            friendly("unknown field `valu`, expected one of `path`, `value`, `where`"),
            "unknown key `valu` (did you mean `value`?); allowed keys here: path, value, where"
        );
        assert_eq!(
            friendly("missing field `title`"),
            "missing key `title`; add it (see docs/policy-language.md)"
        );
    }
}
