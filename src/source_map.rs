//! Source map for `--source-dir DIR`: where each resource's block is in the Terraform root's
//! `.tf` files, so SARIF and GitHub annotations can point at a file and line.
//!
//! A small scanner, not an HCL parser: it tokenizes each `.tf` file just enough to skip
//! comments (`#`, `//`, `/* */`), strings (with `${…}` interpolations) and heredocs, and to see
//! top-level block headers (`resource "TYPE" "NAME" {`, `data "TYPE" "NAME" {`,
//! `module "NAME" {`) and a module block's `source = "…"`. Local module sources (`./…`,
//! `../…`) are followed, any depth, so `module.net["a"].aws_route.r[0]` maps to
//! `resource "aws_route" "r"` inside the module's folder. For a module from a registry or a
//! repository, whose files are not here, the resource maps to the `module "…"` block that
//! calls it: the nearest place in this repository where the change can be made.
//!
//! Paths are `DIR` joined with the file's path inside it, normalised lexically (`./` dropped,
//! `a/../` collapsed) with `/` separators: run plangate from the repository root with a
//! relative `--source-dir` and the paths are repository-relative, as code scanning expects.
//! `.tf.json` files are not read.

use crate::error::{Error, Result};
use crate::graph::address::InstanceAddress;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Where a block starts: a path (see the module docs) and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    pub file: String,
    pub line: usize,
}

/// The blocks of every module reachable from the root through local sources.
#[derive(Debug, Default)]
pub struct SourceMap {
    /// Module folders, scanned once each; index 0 is the root.
    modules: Vec<Module>,
}

#[derive(Debug, Default)]
struct Module {
    /// `aws_vpc.main` / `data.aws_vpc.main` → the block.
    resources: HashMap<String, Location>,
    /// Module call name → its block and, for a local source, the scanned child.
    calls: HashMap<String, Call>,
}

#[derive(Debug)]
struct Call {
    location: Location,
    child: Option<usize>,
}

/// Deeper than this, module sources are not followed (a guard against odd layouts).
const MAX_DEPTH: usize = 32;

impl SourceMap {
    /// Scan `dir` (a Terraform root module) and the local modules it calls.
    pub fn load(dir: impl AsRef<Path>) -> Result<SourceMap> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "--source-dir {}: not a directory; give the folder of the Terraform root module",
                dir.display()
            )));
        }
        let mut map = SourceMap::default();
        let mut by_dir = HashMap::new();
        map.scan(&normalize(dir), &mut by_dir, 0)?;
        Ok(map)
    }

    /// The block of the resource at `address` (a full instance address), or of the nearest
    /// module call when the resource is in a module whose files are not here.
    pub fn locate(&self, address: &str) -> Option<Location> {
        let addr = InstanceAddress::parse(address)?;
        let mut module = self.modules.first()?;
        for step in &addr.module {
            let call = module.calls.get(&step.name)?;
            match call.child {
                Some(child) => module = &self.modules[child],
                None => return Some(call.location.clone()),
            }
        }
        module.resources.get(&addr.resource_key()).cloned()
    }

    /// Scan one module folder (once, however many calls use it); returns its index.
    fn scan(
        &mut self,
        dir: &Path,
        by_dir: &mut HashMap<PathBuf, usize>,
        depth: usize,
    ) -> Result<usize> {
        if let Some(&i) = by_dir.get(dir) {
            return Ok(i);
        }
        let index = self.modules.len();
        self.modules.push(Module::default());
        by_dir.insert(dir.to_path_buf(), index);
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir.display().to_string(), e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "tf") && p.is_file())
            .collect();
        files.sort();
        let mut pending = Vec::new();
        for path in files {
            let text =
                std::fs::read(&path).map_err(|e| Error::io(path.display().to_string(), e))?;
            let text = String::from_utf8_lossy(&text);
            let file = display_path(&path);
            for block in scan_blocks(&text) {
                let location = Location {
                    file: file.clone(),
                    line: block.line,
                };
                let module = &mut self.modules[index];
                match (block.kind.as_str(), block.labels.as_slice()) {
                    ("resource", [t, n]) => {
                        module
                            .resources
                            .entry(format!("{t}.{n}"))
                            .or_insert(location);
                    }
                    ("data", [t, n]) => {
                        module
                            .resources
                            .entry(format!("data.{t}.{n}"))
                            .or_insert(location);
                    }
                    ("module", [name]) => {
                        let source = block.source.filter(|s| is_local_source(s));
                        pending.push((name.clone(), source));
                        module.calls.entry(name.clone()).or_insert(Call {
                            location,
                            child: None,
                        });
                    }
                    _ => {}
                }
            }
        }
        if depth < MAX_DEPTH {
            for (name, source) in pending {
                let Some(source) = source else { continue };
                let child_dir = normalize(&dir.join(source));
                if !child_dir.is_dir() {
                    continue;
                }
                let child = self.scan(&child_dir, by_dir, depth + 1)?;
                if let Some(call) = self.modules[index].calls.get_mut(&name) {
                    call.child = Some(child);
                }
            }
        }
        Ok(index)
    }
}

/// Terraform treats only `./` and `../` prefixes as local paths.
fn is_local_source(s: &str) -> bool {
    s.starts_with("./") || s.starts_with("../")
}

/// Lexical normalisation: drop `.`, fold `a/..`; keep leading `..` and the root.
fn normalize(p: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    if out.is_empty() {
        PathBuf::from(".")
    } else {
        out.iter().collect()
    }
}

/// A path with `/` separators and no leading `./`.
fn display_path(p: &Path) -> String {
    let s = normalize(p).to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// A top-level block header: `resource "aws_vpc" "main" {` at `line`.
#[derive(Debug, PartialEq)]
struct Block {
    kind: String,
    labels: Vec<String>,
    line: usize,
    /// A module block's `source = "…"`.
    source: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// A quoted string's text; `None` when it holds an interpolation.
    Str(Option<String>),
    Open,
    Close,
    Eq,
    Newline,
    Other,
}

/// The top-level blocks of one file, in order.
fn scan_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut depth = 0usize;
    // Tokens since the last newline at depth 0 (a block header) or depth 1 (an attribute).
    let mut line_toks: Vec<(Tok, usize)> = Vec::new();
    let mut current: Option<Block> = None;
    for (tok, line) in Lexer::new(text) {
        match tok {
            Tok::Open => {
                if depth == 0 {
                    current = header(&line_toks);
                }
                depth += 1;
                line_toks.clear();
            }
            Tok::Close => {
                if depth == 1 {
                    blocks.extend(current.take());
                }
                depth = depth.saturating_sub(1);
                line_toks.clear();
            }
            Tok::Newline => {
                if depth == 1 {
                    if let (Some(b), Some(s)) = (current.as_mut(), source_attr(&line_toks)) {
                        if b.kind == "module" && b.source.is_none() {
                            b.source = Some(s);
                        }
                    }
                }
                line_toks.clear();
            }
            t => line_toks.push((t, line)),
        }
    }
    // An unterminated last block still names its header line.
    blocks.extend(current);
    blocks
}

/// `IDENT LABEL* {` → a block; labels are quoted strings or bare identifiers.
fn header(toks: &[(Tok, usize)]) -> Option<Block> {
    let (Tok::Ident(kind), line) = toks.first()? else {
        return None;
    };
    let mut labels = Vec::new();
    for (t, _) in &toks[1..] {
        match t {
            Tok::Str(Some(s)) | Tok::Ident(s) => labels.push(s.clone()),
            _ => return None,
        }
    }
    Some(Block {
        kind: kind.clone(),
        labels,
        line: *line,
        source: None,
    })
}

/// `source = "…"` on one line.
fn source_attr(toks: &[(Tok, usize)]) -> Option<String> {
    match toks {
        [(Tok::Ident(k), _), (Tok::Eq, _), (Tok::Str(Some(s)), _)] if k == "source" => {
            Some(s.clone())
        }
        _ => None,
    }
}

/// Tokens with their 1-based line; comments and heredoc bodies are skipped.
struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    /// A heredoc whose body starts on the next line: its marker.
    heredoc: Option<String>,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer {
            chars: text.chars().peekable(),
            line: 1,
            heredoc: None,
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_line(&mut self) {
        while let Some(&c) = self.chars.peek() {
            if c == '\n' {
                break;
            }
            self.bump();
        }
    }

    fn skip_block_comment(&mut self) {
        let mut prev = '\0';
        while let Some(c) = self.bump() {
            if prev == '*' && c == '/' {
                return;
            }
            prev = c;
        }
    }

    /// After the newline that ends a heredoc's opening line: skip to the closing marker line.
    fn skip_heredoc(&mut self, marker: &str) {
        loop {
            let mut l = String::new();
            while let Some(&c) = self.chars.peek() {
                if c == '\n' {
                    break;
                }
                l.push(c);
                self.bump();
            }
            if l.trim() == marker || self.chars.peek().is_none() {
                return;
            }
            self.bump();
        }
    }

    /// After the opening `"`: the text, or `None` when it interpolates.
    fn string(&mut self) -> Option<String> {
        let mut s = String::new();
        let mut plain = true;
        while let Some(&c) = self.chars.peek() {
            if c == '\n' {
                break; // unterminated: HCL quoted strings are one line
            }
            self.bump();
            match c {
                '"' => break,
                '\\' => {
                    if let Some(e) = self.bump() {
                        s.push(e);
                    }
                }
                '$' | '%' if self.chars.peek() == Some(&'{') => {
                    self.bump();
                    plain = false;
                    self.template_expr();
                }
                c => s.push(c),
            }
        }
        plain.then_some(s)
    }

    /// Inside `${ … }`: skip to the matching `}`, through nested strings and braces.
    fn template_expr(&mut self) {
        let mut depth = 1;
        while let Some(&c) = self.chars.peek() {
            if c == '\n' {
                return;
            }
            self.bump();
            match c {
                '"' => {
                    self.string();
                }
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    fn ident(&mut self, first: char) -> String {
        let mut s = String::from(first);
        while let Some(&c) = self.chars.peek() {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                s.push(c);
                self.bump();
            } else {
                break;
            }
        }
        s
    }

    /// `<<EOF` / `<<-EOF` after the first `<`: remember the marker.
    fn heredoc_start(&mut self) -> Tok {
        if self.chars.peek() != Some(&'<') {
            return Tok::Other;
        }
        self.bump();
        if self.chars.peek() == Some(&'-') {
            self.bump();
        }
        let mut marker = String::new();
        while let Some(&c) = self.chars.peek() {
            if c.is_alphanumeric() || c == '_' {
                marker.push(c);
                self.bump();
            } else {
                break;
            }
        }
        if !marker.is_empty() {
            self.heredoc = Some(marker);
        }
        Tok::Other
    }
}

impl Iterator for Lexer<'_> {
    type Item = (Tok, usize);

    fn next(&mut self) -> Option<(Tok, usize)> {
        loop {
            let line = self.line;
            let c = self.bump()?;
            let tok = match c {
                '\n' => {
                    if let Some(marker) = self.heredoc.take() {
                        self.skip_heredoc(&marker);
                    }
                    Tok::Newline
                }
                c if c.is_whitespace() => continue,
                '#' => {
                    self.skip_line();
                    continue;
                }
                '/' if self.chars.peek() == Some(&'/') => {
                    self.skip_line();
                    continue;
                }
                '/' if self.chars.peek() == Some(&'*') => {
                    self.bump();
                    self.skip_block_comment();
                    continue;
                }
                '"' => Tok::Str(self.string()),
                '{' => Tok::Open,
                '}' => Tok::Close,
                '=' if self.chars.peek() == Some(&'=') => {
                    self.bump();
                    Tok::Other
                }
                '=' => Tok::Eq,
                '<' => self.heredoc_start(),
                c if c.is_alphabetic() || c == '_' => Tok::Ident(self.ident(c)),
                _ => Tok::Other,
            };
            return Some((tok, line));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(String, Vec<String>, usize)> {
        scan_blocks(text)
            .into_iter()
            .map(|b| (b.kind, b.labels, b.line))
            .collect()
    }

    #[test]
    fn finds_blocks_and_skips_comments_strings_heredocs() {
        let text = r#"# resource "aws_vpc" "commented" {
// resource "aws_vpc" "also_commented" {
/* resource "aws_vpc" "block_commented" {
}
*/
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16" # {
  tags = { Name = "x}${var.y}" }
  policy = <<-EOF
    resource "aws_vpc" "in_heredoc" {
    }
  EOF
}

data aws_vpc peer {
  id = "vpc-1"
}
module "net" {
  source = "./modules/net"
  for_each = { a = 1 }
}
"#;
        assert_eq!(
            kinds(text),
            vec![
                ("resource".into(), vec!["aws_vpc".into(), "main".into()], 6),
                ("data".into(), vec!["aws_vpc".into(), "peer".into()], 15),
                ("module".into(), vec!["net".into()], 18),
            ]
        );
        let module = scan_blocks(text).pop().unwrap();
        assert_eq!(module.source.as_deref(), Some("./modules/net"));
    }

    #[test]
    fn nested_blocks_are_not_top_level() {
        let text = "resource \"a\" \"b\" {\n  lifecycle {\n    ignore_changes = []\n  }\n}\nresource \"a\" \"c\" {}\n";
        let k = kinds(text);
        assert_eq!(k.len(), 2);
        assert_eq!(k[1].2, 6);
    }

    #[test]
    fn normalize_folds_parent_dirs() {
        assert_eq!(
            display_path(Path::new("infra/live/../modules/./vpc/main.tf")),
            "infra/modules/vpc/main.tf"
        );
        assert_eq!(display_path(Path::new("./main.tf")), "main.tf");
        assert_eq!(display_path(Path::new("../x/main.tf")), "../x/main.tf");
    }

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn follows_local_modules_and_stops_at_remote_ones() {
        let tmp = std::env::temp_dir().join(format!("plangate-srcmap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        write(
            &tmp,
            "live/main.tf",
            "resource \"aws_vpc\" \"main\" {\n}\n\nmodule \"net\" {\n  for_each = toset([\"a\"])\n  source   = \"../modules/net\"\n}\nmodule \"rds\" {\n  source = \"terraform-aws-modules/rds/aws\"\n}\n",
        );
        write(
            &tmp,
            "live/data.tf",
            "data \"aws_caller_identity\" \"me\" {}\n",
        );
        write(
            &tmp,
            "modules/net/routes.tf",
            "# routes\n\nresource \"aws_route\" \"r\" {\n  count = 2\n}\nmodule \"sub\" {\n  source = \"./sub\"\n}\n",
        );
        write(
            &tmp,
            "modules/net/sub/main.tf",
            "\n\nresource \"aws_subnet\" \"s\" {}\n",
        );
        let map = SourceMap::load(tmp.join("live")).unwrap();
        let root = display_path(&tmp);
        let loc = |a: &str| map.locate(a).map(|l| (l.file, l.line));
        assert_eq!(
            loc("aws_vpc.main"),
            Some((format!("{root}/live/main.tf"), 1))
        );
        assert_eq!(
            loc("data.aws_caller_identity.me"),
            Some((format!("{root}/live/data.tf"), 1))
        );
        assert_eq!(
            loc("module.net[\"a\"].aws_route.r[0]"),
            Some((format!("{root}/modules/net/routes.tf"), 3))
        );
        assert_eq!(
            loc("module.net[\"a\"].module.sub.aws_subnet.s"),
            Some((format!("{root}/modules/net/sub/main.tf"), 3))
        );
        assert_eq!(
            loc("module.rds.aws_db_instance.this[0]"),
            Some((format!("{root}/live/main.tf"), 8)),
            "remote module: its call"
        );
        assert_eq!(loc("aws_vpc.nope"), None);
        assert_eq!(loc("module.nope.aws_vpc.main"), None);
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn load_refuses_a_missing_dir() {
        assert!(SourceMap::load("/definitely/not/here").is_err());
    }
}
