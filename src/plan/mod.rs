//! Read: bytes → [`Document`]. Encodings, format versions, plan versus state, and one clear
//! error for every input that is not a plan.

mod decode;
mod guard;
pub mod model;

pub use model::*;

use crate::error::{Error, Result};
use decode::Sniffed;
use std::borrow::Cow;

/// What a `terraform show -json` file turned out to hold.
#[derive(Debug)]
pub enum Document {
    Plan(Box<Plan>),
    State(Box<StateDoc>),
}

/// The format majors plangate understands (0.x from Terraform 0.12–0.15, 1.x since 1.0).
const KNOWN_MAJORS: [u64; 2] = [0, 1];

const SHOW_JSON_FIX: &str =
    "run `terraform show -json plan.out > plan.json` (or `tofu show -json`) on the saved plan and pass that file";

/// Read a file (`-` is standard input) and parse it.
pub fn read(path: &str) -> Result<Document> {
    let bytes = if path == "-" {
        read_stdin().map_err(|e| Error::io("<stdin>", e))?
    } else {
        read_file(path).map_err(|e| {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                _ => e.to_string(),
            };
            Error::input(
                path,
                format!("cannot read the plan: {why}; check the path (the JSON comes from `terraform show -json plan.out > plan.json`)"),
            )
        })?
    };
    let file = display_name(path);
    // The text of a UTF-8 file is the file's bytes less a BOM: keep the buffer rather than
    // copy it (the plan's values are spans of it for the whole run).
    let span = match sniff_text(file, &bytes)? {
        Cow::Borrowed(t) => Some((t.as_ptr() as usize - bytes.as_ptr() as usize, t.len())),
        Cow::Owned(t) => return finish(file, t),
    };
    let mut bytes = bytes;
    if let Some((start, len)) = span {
        bytes.truncate(start + len);
        bytes.drain(..start);
    }
    finish(file, bytes)
}

/// Files from this size up are read in two halves at once.
#[cfg_attr(not(unix), allow(dead_code))]
const HALVES_BYTES: u64 = 8 << 20;

/// The largest file read in halves ([`read_halves`]): 1 GiB, ten times the largest plans
/// seen, and no more than half the available memory (the parse of it allocates more,
/// infallibly). Larger ones are read in one piece into a buffer reserved fallibly, so that a
/// file too large for memory (a huge sparse file) is an error, not an abort.
#[cfg_attr(not(unix), allow(dead_code))]
const ZEROED_MAX: u64 = 1 << 30;

/// The size of the plan at `path` when it is a regular file (not `-`, standard input, nor a
/// pipe, which could wait for a writer and has no size before it is read).
pub fn regular_file_len(path: &str) -> Option<u64> {
    if path == "-" {
        return None;
    }
    std::fs::metadata(path)
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len())
}

/// A file's bytes, as `std::fs::read` reads them, from one open handle (a named pipe is opened
/// once). From [`HALVES_BYTES`] to [`ZEROED_MAX`] (and half the memory `/proc/meminfo` says is
/// available: without that file, never), on two cores or more, a regular file's two
/// halves are read at once, each by a thread into its half of the buffer: copying ~100 MB out
/// of the page cache (and the first touch of every page of the buffer) took ~55 ms on one
/// thread, before anything else could start. Anything that does not go to plan there (a size
/// that changed while reading, a read error) reads the file again in one piece.
fn read_file(path: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata().ok();
    #[cfg(unix)]
    if let Some(bytes) = meta.as_ref().and_then(|m| read_halves(&file, m)) {
        return Ok(bytes);
    }
    // What `std::fs::read` does with the handle: the size as a hint, reserved fallibly.
    let mut bytes = Vec::new();
    if let Some(size) = meta.and_then(|m| usize::try_from(m.len()).ok()) {
        bytes
            .try_reserve_exact(size)
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::OutOfMemory))?;
    }
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// [`read_file`]'s two halves at once; `None` when the file is not for it or the read did
/// not go to plan (the caller then reads it whole; `read_at` does not move the handle).
#[cfg(unix)]
fn read_halves(file: &std::fs::File, meta: &std::fs::Metadata) -> Option<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let len = meta.len();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if !meta.is_file() || len < HALVES_BYTES || cores < 2 {
        return None;
    }
    // Zeroed by the system, page by page as the reads touch them, on both threads: filling
    // the buffer first took ~40 ms for 100 MB on this one, before either read began. A file
    // that might not fit (over `ZEROED_MAX`, or over half the memory the system says is
    // available) is read the other way, where running out of memory is the error
    // `std::fs::read` gives; so is one whose buffer cannot be had (a limit on the address
    // space, `ulimit -v`). (Asking the allocator first does not do: it hands the same block
    // back, which it then has to fill.)
    if len > ZEROED_MAX || available_memory().is_none_or(|m| len > m / 2) {
        return None;
    }
    let size = usize::try_from(len).ok()?;
    let mut buf = zeroed(size)?;
    let (a, b) = buf.split_at_mut(size / 2);
    let offset = a.len() as u64;
    let whole = std::thread::scope(|s| {
        let second = s.spawn(|| file.read_exact_at(b, offset));
        let first = file.read_exact_at(a, 0);
        let second = second
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the reading thread panicked")));
        first.and(second)
    });
    // Not one byte more: a file that grew is read again, whole.
    let mut probe = [0u8; 1];
    (whole.is_ok() && matches!(file.read_at(&mut probe, len), Ok(0))).then_some(buf)
}

/// `size` zero bytes, or `None` when the allocator has no block for them: `vec![0; size]`,
/// without its abort (`vec!` cannot fail softly, and `try_reserve` then filling costs the
/// ~40 ms this avoids).
#[cfg(unix)]
fn zeroed(size: usize) -> Option<Vec<u8>> {
    let layout = std::alloc::Layout::array::<u8>(size).ok()?;
    if layout.size() == 0 {
        return Some(Vec::new());
    }
    // SAFETY: the layout is not empty. A non-null pointer is a block of the global allocator
    // for exactly this layout (`size` bytes, alignment 1), all zero and so initialised: a
    // `Vec<u8>` of length and capacity `size` owns it as `vec!` would, and frees it with the
    // same layout.
    unsafe {
        let p = std::alloc::alloc_zeroed(layout);
        (!p.is_null()).then(|| Vec::from_raw_parts(p, size, size))
    }
}

/// `MemAvailable` of `/proc/meminfo`, in bytes; `None` where there is no such file.
#[cfg(unix)]
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb = info
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse::<u64>()
        .ok()?;
    kb.checked_mul(1024)
}

/// Standard input, whose size is not known beforehand, read in chunks and joined once: a
/// buffer grown by doubling would reallocate (mimalloc copies large blocks instead of
/// remapping them), holding up to three times the input in address space at once.
fn read_stdin() -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    const CHUNK: u64 = 16 << 20;
    let mut stdin = std::io::stdin().lock();
    let mut chunks = Vec::new();
    loop {
        let mut chunk = Vec::with_capacity(CHUNK as usize);
        let n = (&mut stdin).take(CHUNK).read_to_end(&mut chunk)?;
        if n == 0 {
            break;
        }
        chunks.push(chunk);
    }
    if chunks.len() == 1 {
        return Ok(chunks.pop().unwrap_or_default());
    }
    let mut all = Vec::with_capacity(chunks.iter().map(Vec::len).sum());
    for c in chunks {
        all.extend_from_slice(&c);
    }
    Ok(all)
}

/// The name used for a path in messages and reports.
pub fn display_name(path: &str) -> &str {
    if path == "-" {
        "<stdin>"
    } else {
        path
    }
}

/// Parse the bytes of a `terraform show -json` file named `file` (for messages).
pub fn parse(file: &str, bytes: &[u8]) -> Result<Document> {
    let text = sniff_text(file, bytes)?;
    finish(file, text.into_owned())
}

/// The text of the bytes (BOM removed, UTF-16 converted), or why they are not a plan's JSON.
fn sniff_text<'b>(file: &str, bytes: &'b [u8]) -> Result<Cow<'b, [u8]>> {
    let text = match decode::sniff(bytes) {
        Sniffed::Text(t) => t,
        Sniffed::Empty => {
            return Err(Error::input(
                file,
                format!("the file is empty; {SHOW_JSON_FIX} (an empty file usually means the command that wrote it failed)"),
            ))
        }
        Sniffed::Zip => {
            return Err(Error::input(
                file,
                format!("this is a binary plan file (a zip archive written by `terraform plan -out`), not JSON; {SHOW_JSON_FIX}"),
            ))
        }
        Sniffed::Binary => {
            return Err(Error::input(
                file,
                format!("this is a binary file, not JSON text; {SHOW_JSON_FIX}"),
            ))
        }
        Sniffed::BadUtf16 { bom, odd_length } => return Err(bad_utf16(file, bom, odd_length)),
    };
    let first = text.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first == Some(b'[') {
        return Err(Error::input(
            file,
            format!("the top level of this JSON is an array, but `terraform show -json` prints an object; {SHOW_JSON_FIX}"),
        ));
    }
    if first != Some(b'{') {
        if decode::looks_like_human_plan(&text) {
            return Err(Error::input(
                file,
                format!("this is the human-readable output of `terraform plan`, not JSON; save the plan with `terraform plan -out plan.out`, then {SHOW_JSON_FIX}"),
            ));
        }
        return Err(Error::input(
            file,
            format!("this is not JSON (it does not start with `{{`); {SHOW_JSON_FIX}"),
        ));
    }
    Ok(text)
}

/// Below this size the text is guarded and parsed on one thread: a second one would cost more
/// than it saves.
const SPLIT_BYTES: usize = 1 << 20;

/// Guard and parse the text.
fn finish(file: &str, text: Vec<u8>) -> Result<Document> {
    let split = text.len() >= SPLIT_BYTES
        && std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2);
    finish_with(file, text, split)
}

/// [`finish`], on two threads when `split`.
fn finish_with(file: &str, text: Vec<u8>, split: bool) -> Result<Document> {
    let text =
        match String::from_utf8(text) {
            Ok(t) => t,
            // The parse of the bytes says where, in the words of every other JSON error.
            Err(e) => {
                let bytes = e.into_bytes();
                guard::check(file, &bytes)?;
                return Err(match model::strictly(|| serde_json::from_slice::<Plan>(&bytes)) {
                Err(e) => json_error(file, &bytes, &e),
                Ok(_) => Error::input(
                    file,
                    format!("the file is not UTF-8 text; {SHOW_JSON_FIX}, without converting it"),
                ),
            });
            }
        };
    // One typed parse; the document kind is decided from the keys that parse saw. Values and
    // marker trees stay spans of the text (`RawText`), which they share.
    let source = std::sync::Arc::new(text);
    let parsed = if split {
        parse_split(file, &source)?
    } else {
        // Depth, numbers out of range, lone surrogates: what a later parse of a raw value
        // would refuse is refused now, so that every value accepted here parses when a
        // policy asks.
        guard::check(file, source.as_bytes())?;
        None
    };
    let plan = match parsed {
        Some(plan) => plan,
        None => model::with_source(&source, |t| serde_json::from_str::<Plan>(t)).map_err(|e| {
            let exact = model::strictly(|| serde_json::from_str::<Plan>(&source).err());
            json_error(file, source.as_bytes(), exact.as_ref().unwrap_or(&e))
        })?,
    };
    classify(file, plan)
}

/// The guard and the typed parse on two threads: one parses the plan with its
/// `resource_changes` (about half of a plan's text) only skimmed, and sends their span to the
/// other, which runs the guard meanwhile, then parses them. The guard's error comes first, as
/// when it runs before the parse. `None` when either parse failed: the caller then parses the
/// text in one piece, so that the error reported is the one a single parse meets first.
fn parse_split(file: &str, source: &std::sync::Arc<String>) -> Result<Option<Plan>> {
    let (to, from) = std::sync::mpsc::channel();
    let (guarded, changes, rest) = std::thread::scope(|s| {
        let changes = s.spawn(move || {
            // Parsed alone, `resource_changes` are one level less deep than in the plan, so
            // serde_json's depth limit (a level below the guard's) would let one more level
            // through: a plan that deep (never Terraform's) is parsed in one piece.
            let (deepest, found) =
                guard::check_finding(file, source.as_bytes(), b"resource_changes")?;
            if deepest >= guard::MAX_DEPTH - 1 {
                return Ok(None);
            }
            let parse = |span: std::ops::Range<usize>| {
                model::with_source(source, |t| {
                    serde_json::from_str::<Vec<ResourceChange>>(&t[span])
                })
            };
            // The guard found the array: parsed at once, while the other thread is still
            // before it; then held to the span that thread's parse sends (the same, but for
            // a key the guard does not read, such as one written with escapes: the text is
            // then parsed in one piece).
            if let Some(found) = found {
                let changes = parse(found.clone());
                return Ok(Some(match from.recv() {
                    Ok(sent) if sent == found => changes,
                    _ => Err(serde::de::Error::custom(
                        "resource_changes found elsewhere by the parse",
                    )),
                }));
            }
            // No span: the plan has no `resource_changes`, or its parse stopped before them.
            let Ok(span) = from.recv() else {
                return Ok(Some(Ok(Vec::new())));
            };
            let changes = parse(span);
            Ok::<_, Error>(Some(changes))
        });
        let rest = model::with_source(source, |t| {
            model::skipping_changes(to, || serde_json::from_str::<Plan>(t))
        });
        match changes.join() {
            Ok(Ok(changes)) => (Ok(()), changes, rest),
            Ok(Err(e)) => (Err(e), None, rest),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    guarded?;
    Ok(match (changes, rest) {
        (Some(Ok(changes)), Ok(mut plan)) => {
            plan.resource_changes = changes;
            Some(plan)
        }
        _ => None,
    })
}

/// UTF-16 that does not decode. Only claim a byte order mark when there is one: without it the
/// file was recognised as UTF-16 by its NUL bytes.
fn bad_utf16(file: &str, bom: bool, odd_length: bool) -> Error {
    let what = if bom {
        "the file starts with a UTF-16 byte order mark"
    } else {
        "the file looks like UTF-16 (every other byte is NUL)"
    };
    let why = if odd_length {
        "has an odd number of bytes, so it is cut short"
    } else {
        "is not valid UTF-16 (it holds a lone surrogate)"
    };
    Error::input(
        file,
        format!("{what} but {why}; write it again as UTF-8 (in PowerShell: `terraform show -json plan.out | Out-File -Encoding utf8 plan.json`)"),
    )
}

fn classify(file: &str, mut plan: Plan) -> Result<Document> {
    if plan.format_version.is_empty() {
        if plan.raw_state_version.is_some() && plan.lineage.is_some() {
            return Err(Error::input(
                file,
                "this is a raw Terraform state file (terraform.tfstate), not a plan; run `terraform plan -out plan.out`, then `terraform show -json plan.out > plan.json`, and pass plan.json",
            ));
        }
        return Err(Error::input(
            file,
            format!("this JSON has no `format_version`, so it is not the output of `terraform show -json`; {SHOW_JSON_FIX}"),
        ));
    }
    check_version(file, &plan.format_version)?;
    let is_plan = plan.planned_values.is_some()
        || !plan.resource_changes.is_empty()
        || plan.configuration.is_some()
        || plan.prior_state.is_some();
    if is_plan {
        return Ok(Document::Plan(Box::new(plan)));
    }
    // `terraform show -json` on a state prints `values` (or only the versions when empty).
    if plan.values.is_some() || plan.terraform_version.is_some() {
        return Ok(Document::State(Box::new(StateDoc {
            format_version: std::mem::take(&mut plan.format_version),
            terraform_version: plan.terraform_version.take(),
            values: plan.values.take(),
            checks: std::mem::take(&mut plan.checks),
        })));
    }
    Err(Error::input(
        file,
        format!("this JSON has a `format_version` but none of the sections of a plan (`planned_values`, `resource_changes`, `configuration`); {SHOW_JSON_FIX}"),
    ))
}

fn check_version(file: &str, version: &str) -> Result<()> {
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u64>().ok());
    match major {
        Some(m) if KNOWN_MAJORS.contains(&m) => Ok(()),
        Some(_) => Err(Error::input(
            file,
            format!("format_version {version:?} is a JSON format major version plangate does not know (it reads 0.x and 1.x); upgrade plangate, or produce the JSON with a Terraform or OpenTofu release that writes format 1.x"),
        )),
        None => Err(Error::input(
            file,
            format!("format_version {version:?} is not a version number; {SHOW_JSON_FIX}"),
        )),
    }
}

fn json_error(file: &str, text: &[u8], e: &serde_json::Error) -> Error {
    use serde_json::error::Category;
    let (line, col) = (e.line(), e.column());
    if e.to_string().starts_with("recursion limit exceeded") {
        return Error::input(
            file,
            format!("the JSON nests more than {} levels deep at line {line}, column {col}; Terraform never writes such a plan, so this file is not `terraform show -json` output ({SHOW_JSON_FIX})", guard::MAX_DEPTH),
        );
    }
    // serde_json names invalid UTF-8 "invalid unicode code point", at the end of the string;
    // say what it is, and where it starts (a plan saved in a legacy Windows code page).
    if let Err(bad) = std::str::from_utf8(text) {
        if e.to_string().starts_with("invalid unicode code point") {
            let (line, col) = guard::position(text, bad.valid_up_to());
            return Error::input(
                file,
                format!("the bytes at line {line}, column {col} are not UTF-8 text, so the file was saved in another encoding or damaged; {SHOW_JSON_FIX}, without converting it"),
            );
        }
    }
    let message = match e.classify() {
        Category::Eof => format!(
            "the JSON is cut short at line {line}, column {col} (the file is truncated); write it again with `terraform show -json plan.out > plan.json` and check that the command finished"
        ),
        Category::Syntax => format!(
            "invalid JSON at line {line}, column {col}: {}; {SHOW_JSON_FIX}",
            strip_position(e)
        ),
        Category::Data => format!(
            "unexpected JSON at line {line}, column {col}{}: {}; this does not have the shape of `terraform show -json` output ({SHOW_JSON_FIX})",
            json_path_of_error(text),
            strip_position(e)
        ),
        Category::Io => format!("could not be read: {e}"),
    };
    Error::input(file, message)
}

/// Where in the document a shape error is (` (at resource_changes[3].change)`). Parsed again
/// with path tracking only on this error path, so the normal parse pays nothing for it.
fn json_path_of_error(text: &[u8]) -> String {
    let mut de = serde_json::Deserializer::from_slice(text);
    match model::strictly(|| serde_path_to_error::deserialize::<_, Plan>(&mut de)) {
        Err(e) if e.path().to_string() != "." => format!(" (at `{}`)", e.path()),
        _ => String::new(),
    }
}

/// serde_json appends " at line L column C"; plangate states the position itself.
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(bytes: &[u8]) -> String {
        match parse("p.json", bytes) {
            Err(e) => e.to_string(),
            Ok(d) => panic!("parsed: {d:?}"),
        }
    }

    /// The available memory that decides whether a file is read in halves is known on Linux
    /// (else every large file would be read on one thread).
    #[test]
    #[cfg(target_os = "linux")]
    fn available_memory_is_known_on_linux() {
        let m = available_memory();
        assert!(m.is_some_and(|m| m > 2 * HALVES_BYTES), "{m:?}");
    }

    /// A file read in two halves holds the bytes `std::fs::read` reads, at the sizes around
    /// the threshold and with an odd length; a directory fails as it did.
    #[test]
    #[allow(clippy::print_stderr)] // says when the named-pipe case cannot run
    fn files_read_in_halves_are_read_whole() {
        let dir = std::env::temp_dir().join(format!("plangate-halves-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sizes = [
            0,
            1,
            HALVES_BYTES as usize - 1,
            HALVES_BYTES as usize,
            HALVES_BYTES as usize + 7,
        ];
        for size in sizes {
            let path = dir.join(format!("{size}.json"));
            let bytes: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
            std::fs::write(&path, &bytes).unwrap();
            let read = read_file(path.to_str().unwrap()).unwrap();
            assert!(read == bytes, "{size} bytes read differently");
        }
        assert!(read_file(dir.to_str().unwrap()).is_err());
        // A named pipe is opened once: a second open would wait for a writer that is gone.
        let fifo = dir.join("plan.fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let writer = {
                let fifo = fifo.clone();
                std::thread::spawn(move || std::fs::write(fifo, b"{\"format_version\":\"1.2\"}"))
            };
            let read = read_file(fifo.to_str().unwrap()).unwrap();
            assert_eq!(read, b"{\"format_version\":\"1.2\"}");
            writer.join().unwrap().unwrap();
        } else {
            eprintln!("mkfifo is not available: the named-pipe case is not tested here");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The read on two threads gives what the read on one gives: the same document, or the
    /// same error.
    #[test]
    fn split_parse_matches_one_parse() {
        let rc = r#"[{"address":"aws_s3_bucket.a","mode":"managed","type":"aws_s3_bucket","name":"a","provider_name":"p","change":{"actions":["create"],"before":null,"after":{"bucket":"x"},"after_unknown":{}}}]"#;
        let pv = r#"{"root_module":{"resources":[{"address":"aws_s3_bucket.a","mode":"managed","type":"aws_s3_bucket","name":"a","values":{"bucket":"x"}}]}}"#;
        let cases = [
            format!(r#"{{"format_version":"1.2","planned_values":{pv},"resource_changes":{rc}}}"#),
            format!(r#"{{"resource_changes":{rc},"format_version":"1.2","planned_values":{pv}}}"#),
            format!(r#"{{"format_version":"1.2","resource_changes":{rc},"resource_changes":[]}}"#),
            format!(r#"{{"format_version":"1.2","planned_values":{pv},"planned_values":{pv}}}"#),
            format!(r#"{{"format_version":"1.2","resource_changes":{rc},"planned_values":7}}"#),
            r#"{"format_version":"1.2","planned_values":7,"resource_changes":[{"address":1}]}"#
                .to_string(),
            format!(r#"{{"format_version":"1.2","resource_changes":"x","planned_values":{pv}}}"#),
            format!(r#"{{"format_version":"1.2","resource_changes":{rc},"planned_values":{{]}}"#),
            format!(
                r#"{{"format_version":"1.2","resource_changes":[{{]}},"planned_values":{pv}}}"#
            ),
            format!(r#"{{"format_version":"1.2","resource_changes":{rc}}} x"#),
            r#"{"format_version":"1.2","resource_changes":[{]},"x":1e400}"#.to_string(),
            format!(r#"{{"format_version":"1.2","resource_changes":{rc}"#),
            r#"{"format_version":"1.0","terraform_version":"1.9.0","values":{"root_module":{}}}"#
                .to_string(),
            // Where the guard looks for the array: spaces, an escaped key, the key as a
            // value, the key nested, not an array.
            format!(
                r#"{{"format_version":"1.2", "resource_changes" :	{rc} ,"planned_values":{pv}}}"#
            ),
            format!(r#"{{"format_version":"1.2","resource\u005fchanges":{rc}}}"#),
            format!(
                r#"{{"terraform_version":"resource_changes","format_version":"1.2","variables":{{}},"resource_changes":{rc}}}"#
            ),
            format!(
                r#"{{"format_version":"1.2","variables":{{"resource_changes":{{"value":{rc}}}}},"resource_changes":[]}}"#
            ),
            r#"{"format_version":"1.2","resource_changes":null}"#.to_string(),
        ];
        // Nesting at serde_json's depth limit and the guard's, in a parsed value of a change.
        let deep = (124..=127).map(|n| {
            format!(
                r#"{{"format_version":"1.2","resource_changes":[{{"address":"a","index":{}1{}}}]}}"#,
                "[".repeat(n),
                "]".repeat(n)
            )
        });
        let cases = cases.into_iter().chain(deep);
        for case in cases {
            let one = format!(
                "{:?}",
                finish_with("p.json", case.clone().into_bytes(), false)
            );
            let two = format!(
                "{:?}",
                finish_with("p.json", case.clone().into_bytes(), true)
            );
            assert_eq!(one, two, "{case}");
        }
    }

    #[test]
    fn minimal_plan_parses() {
        let d = parse(
            "p.json",
            br#"{"format_version":"1.2","planned_values":{"root_module":{}}}"#,
        )
        .unwrap();
        assert!(matches!(d, Document::Plan(_)));
    }

    #[test]
    fn state_is_recognised() {
        let d = parse(
            "s.json",
            br#"{"format_version":"1.0","terraform_version":"1.9.0","values":{"root_module":{}}}"#,
        )
        .unwrap();
        assert!(matches!(d, Document::State(_)));
    }

    #[test]
    fn future_major_is_refused() {
        assert!(err(br#"{"format_version":"2.0","planned_values":{}}"#).contains("does not know"));
    }

    #[test]
    fn truncated_json_names_position() {
        let e = err(b"{\"format_version\": \"1.2\",\n \"planned_values\": {");
        assert!(e.contains("cut short at line 2"), "{e}");
    }

    #[test]
    fn raw_state_file_is_named() {
        assert!(
            err(br#"{"version":4,"lineage":"x","serial":1,"resources":[]}"#)
                .contains("raw Terraform state")
        );
    }
}
