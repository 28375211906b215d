//! Serde model of `terraform show -json` output for a saved plan (and for a state).
//!
//! Unknown keys are ignored on purpose: Terraform and OpenTofu add keys between releases
//! (`applyable` then `applicable`, `condition_results`, `action_invocations`, `provider_schemas`)
//! and a gate must keep working on newer plans. Every section is optional because real plans
//! omit empty sections (a refresh-only plan has no `resource_changes`, Terraform's own golden
//! files strip `terraform_version`).

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::mpsc::Sender;
use std::sync::Arc;

/// A JSON value kept as text: a span of the plan file's text, which every [`RawText`] of the
/// plan shares, so that resource values and their marker trees cost a few words each instead
/// of a copy (or an 8× larger parsed tree); in a graph, a span of the same text with only the
/// kept values left in it ([`RawText::keep_only`]), or of a copy of them
/// ([`RawText::share_one_copy`]). Parsed on first use by the graph.
#[derive(Clone)]
pub struct RawText(Repr);

/// A text: a span of a shared text, or all of a text of its own. 16 bytes (an `Option` of it
/// too): a change has five and a node five, and with `usize` offsets and a variant of its own
/// for the copies they were 24 bytes, 32 in an `Option` (~0.5 MB at ~10 MB, at both peaks of
/// the check).
#[derive(Clone)]
struct Repr {
    source: Arc<String>,
    start: u32,
    /// [`WHOLE`]: all of `source`, a copy of its own (made outside [`with_source`], from a
    /// string with escapes, or for a span of a plan of 4 GiB or more).
    len: u32,
}

const WHOLE: u32 = u32::MAX;

impl RawText {
    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// From JSON text (tests, generated nodes). The text is not checked here.
    pub fn from_json(text: &str) -> RawText {
        RawText(Repr::owned(text))
    }

    /// Copy the texts into new buffers, which they then share, so that the plan's text
    /// can be freed: what [`RawText::keep_only`] does when it cannot move them in place. A
    /// graph keeps the values of `resource_changes` (about a quarter of a plan) and none of
    /// the copies in `planned_values` and `prior_state`. A buffer of the
    /// exact size per range of [`COPY_CHUNK`] texts rather than an allocation per text: no
    /// allocator rounding or headers, and blocks of fresh pages instead of tens of thousands
    /// of small allocations; the ranges are copied on every core (one thread took ~30 ms
    /// at 100 MB, most of it in faults on the fresh pages).
    pub fn share_one_copy<'a>(texts: impl IntoIterator<Item = &'a mut RawText>) {
        let mut texts: Vec<&mut RawText> = texts.into_iter().collect();
        let copies = crate::par::map_ranges(texts.len(), COPY_CHUNK, |range| {
            let texts = &texts[range];
            let mut buffer = String::with_capacity(texts.iter().map(|t| t.get().len()).sum());
            for t in texts {
                buffer.push_str(t.get());
            }
            Arc::new(buffer)
        });
        for (texts, source) in texts.chunks_mut(COPY_CHUNK).zip(copies) {
            let mut start = 0;
            for t in texts {
                let end = start + t.get().len();
                t.0 = Repr::span(&source, start, end);
                start = end;
            }
        }
    }
}

impl RawText {
    /// Keep `texts`, and nothing else, of the plan's text: when they are spans of one text that
    /// nothing else holds any more, they are moved to its front, in place, and the pages
    /// behind them given back to the system; else they are copied
    /// ([`RawText::share_one_copy`]). In place, the kept texts never exist twice: the copy of
    /// a ~100 MB plan's ~39 MB of kept values was made while all of its text was still held,
    /// which set the peak, and its fresh pages cost ~30 ms of faults.
    pub fn keep_only<'a>(texts: impl IntoIterator<Item = &'a mut RawText>) {
        let mut texts: Vec<&mut RawText> = texts.into_iter().filter(|t| t.0.is_span()).collect();
        let span = |t: &RawText| t.0.range();
        // Not a stable sort, which merges the runs the texts come in (the plan's sections)
        // faster (~1 ms against ~4 for ~100,000 texts at ~100 MB) but takes a scratch list
        // as it does, at the read's peak (~80 KB at ~10 MB, where the target is tight).
        texts.sort_unstable_by_key(|t| (t.0.start, t.0.len));
        let Some(source) = texts.first().map(|t| t.0.source.clone()) else {
            return;
        };
        let movable = RELEASES_PAGES
            && texts.windows(2).all(|w| span(w[0]).end <= span(w[1]).start)
            && texts.iter().all(|t| Arc::ptr_eq(&t.0.source, &source));
        // Each text gives up its hold on the source for a stand-in, keeping its span, so that
        // the source can be had whole if nothing else holds it.
        let stand_in = Arc::new(String::new());
        let swap_source = |texts: &mut Vec<&mut RawText>, to: &Arc<String>| {
            for t in texts.iter_mut() {
                t.0.source = to.clone();
            }
        };
        let text = if movable {
            swap_source(&mut texts, &stand_in);
            match Arc::try_unwrap(source) {
                Ok(text) => Some(text),
                Err(source) => {
                    swap_source(&mut texts, &source);
                    None
                }
            }
        } else {
            drop(source);
            None
        };
        let Some(text) = text else {
            return RawText::share_one_copy(texts);
        };
        // In order of where they start, each text moves down to where the previous one ends.
        let mut bytes = text.into_bytes();
        let mut at = 0;
        for t in texts.iter_mut() {
            let from = t.0.range();
            bytes.copy_within(from.clone(), at);
            // Sorted and apart (`movable`), each text moves down, to an offset no larger than
            // its own, which fits in 32 bits.
            t.0.start = at as u32;
            at += from.len();
        }
        bytes.truncate(at);
        // Whole texts of a UTF-8 text, each a JSON value (which starts and ends with an ASCII
        // byte), one after the other: UTF-8 still, which this checks (~1 ms at ~100 MB). Were
        // it not, each text keeps its own copy of what it can.
        match String::from_utf8(bytes) {
            Ok(text) => {
                let text = Arc::new(text);
                release_spare_pages(&text);
                swap_source(&mut texts, &text);
            }
            Err(e) => {
                let bytes = e.into_bytes();
                for t in texts.iter_mut() {
                    t.0 = Repr::owned(&String::from_utf8_lossy(&bytes[span(t)]));
                }
            }
        }
    }
}

#[cfg(test)]
impl RawText {
    /// The text this one is a span of: its length, its capacity, where it is.
    pub(crate) fn source_of(&self) -> Option<(usize, usize, *const String)> {
        let source = &self.0.source;
        self.0
            .is_span()
            .then(|| (source.len(), source.capacity(), Arc::as_ptr(source)))
    }
}

/// Whether [`release_spare_pages`] gives memory back; without it a text kept in place would
/// hold all of the plan's pages, and the texts are copied instead.
const RELEASES_PAGES: bool = cfg!(target_os = "linux");

/// Texts from which [`release_spare_pages`] gives the pages back on a thread of its own:
/// ~60 MB of them took ~6.5 ms of the read of a ~100 MB plan, on the thread that then makes
/// the nodes. Below, the pages are given back at once, so that they are not held beside the
/// nodes where the memory target is tight.
const RELEASE_ASIDE_BYTES: usize = 32 << 20;

/// Give the pages of `text`'s spare capacity (after its length) back to the system: they
/// are zero when touched again. Linux only (see [`RELEASES_PAGES`]).
fn release_spare_pages(text: &Arc<String>) {
    #[cfg(target_os = "linux")]
    {
        // The system's page size (4 KiB on x86-64; 16 or 64 KiB on some aarch64 and ppc64
        // kernels): `madvise` works on whole pages of it, and would round a range up past the
        // vector's allocation. Nothing is given back when it cannot be had.
        // SAFETY: `sysconf` only reads a system setting.
        let Ok(page) = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }) else {
            return;
        };
        if !page.is_power_of_two() {
            return;
        }
        let base = text.as_ptr() as usize;
        let from = (base + text.len()).next_multiple_of(page);
        let to = (base + text.capacity()) / page * page;
        if to <= from {
            return;
        }
        // Called while `text` is held: here, or on the thread that holds a clone of it.
        let release = move || {
            // SAFETY: [from, to) is whole pages of the system's page size inside the
            // allocation of `text`, which is alive (its caller holds it), past its length: no
            // byte of the text lives there, and nothing reads or writes those bytes (the text
            // is shared behind an `Arc` and never changes or grows again). MADV_DONTNEED on
            // private anonymous memory only frees the pages, which read as zero if touched
            // again; the allocation stays the text's, and is freed as usual. A failure leaves
            // the pages as they were.
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_DONTNEED);
            }
        };
        if text.capacity() >= RELEASE_ASIDE_BYTES {
            let held = Arc::clone(text);
            let aside = std::thread::Builder::new().spawn(move || {
                release();
                drop(held);
            });
            if aside.is_ok() {
                return;
            }
        }
        release();
    }
    #[cfg(not(target_os = "linux"))]
    let _ = text;
}

/// Texts per buffer of [`RawText::share_one_copy`]: a few hundred kilobytes each on a
/// generated plan, few enough buffers to cost nothing, enough to share out.
const COPY_CHUNK: usize = 4096;

impl fmt::Debug for RawText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

thread_local! {
    /// The text being deserialised, so that [`RawText`]s can point into it.
    static SOURCE: RefCell<Option<Arc<String>>> = const { RefCell::new(None) };
}

thread_local! {
    /// Set by [`skipping_changes`]: where to send the span of `Plan::resource_changes`, which
    /// this thread skims and another parses.
    static CHANGES_TO: RefCell<Option<Sender<Range<usize>>>> = const { RefCell::new(None) };
}

/// Run `f` (a deserialisation of a [`Plan`] inside [`with_source`]) with its
/// `resource_changes` skimmed and left empty: their span of the source is sent to `to` as soon
/// as it is known, for another thread to parse them (they are half of a plan's text) while
/// this one parses the rest. `to` is dropped when `f` returns.
pub fn skipping_changes<T>(to: Sender<Range<usize>>, f: impl FnOnce() -> T) -> T {
    struct Reset(Option<Sender<Range<usize>>>);
    impl Drop for Reset {
        fn drop(&mut self) {
            CHANGES_TO.with(|s| *s.borrow_mut() = self.0.take());
        }
    }
    let _reset = Reset(CHANGES_TO.with(|s| s.borrow_mut().replace(to)));
    f()
}

fn changes_unless_skipped<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<ResourceChange>, D::Error> {
    let Some(to) = CHANGES_TO.with(|s| s.borrow().clone()) else {
        return Vec::deserialize(d);
    };
    let raw = <&'de RawValue>::deserialize(d)?;
    // The span is always in the source (`with_source`); were it not, the error makes the
    // caller parse the plan in one piece.
    let span = span_in_source(raw.get())
        .ok_or_else(|| serde::de::Error::custom("resource_changes outside the source"))?;
    // The other thread may be gone (it failed); the caller then parses in one piece.
    let _ = to.send(span);
    Ok(Vec::new())
}

/// Where `text` lies in the current source, if it does.
fn span_in_source(text: &str) -> Option<Range<usize>> {
    SOURCE.with(|s| span_in(s.borrow().as_ref()?, text))
}

/// Where `text` (borrowed from `source`, or not) lies in `source`, if it does.
fn span_in(source: &str, text: &str) -> Option<Range<usize>> {
    let base = source.as_ptr() as usize;
    let at = text.as_ptr() as usize;
    (at >= base && at + text.len() <= base + source.len())
        .then(|| at - base..at - base + text.len())
}

/// Run `f` (a deserialisation of `source`'s text) with [`RawText`]s sharing `source`.
pub fn with_source<T>(source: &Arc<String>, f: impl FnOnce(&str) -> T) -> T {
    struct Reset(Option<Arc<String>>);
    impl Drop for Reset {
        fn drop(&mut self) {
            SOURCE.with(|s| *s.borrow_mut() = self.0.take());
        }
    }
    let previous = SOURCE.with(|s| s.borrow_mut().replace(source.clone()));
    let _reset = Reset(previous);
    f(source.as_str())
}

impl Repr {
    /// A span of the current source when `text` lies in it, else a copy.
    fn located(text: &str) -> Repr {
        SOURCE.with(|s| match s.borrow().as_ref() {
            Some(source) => match span_in(source, text) {
                Some(at) => Repr::span(source, at.start, at.end),
                None => Repr::owned(text),
            },
            None => Repr::owned(text),
        })
    }

    /// `source[start..end]`: a span when its offsets fit in 32 bits, else a copy.
    fn span(source: &Arc<String>, start: usize, end: usize) -> Repr {
        match (u32::try_from(start), u32::try_from(end - start)) {
            (Ok(start), Ok(len)) if len != WHOLE => Repr {
                source: source.clone(),
                start,
                len,
            },
            _ => Repr::owned(&source[start..end]),
        }
    }

    /// A copy of `text`, of its own.
    fn owned(text: &str) -> Repr {
        Repr {
            source: Arc::new(text.to_string()),
            start: 0,
            len: WHOLE,
        }
    }

    fn is_span(&self) -> bool {
        self.len != WHOLE
    }

    /// Where a span lies in its source (all of it for a copy).
    fn range(&self) -> Range<usize> {
        if self.is_span() {
            let start = self.start as usize;
            start..start + self.len as usize
        } else {
            0..self.source.len()
        }
    }

    fn get(&self) -> &str {
        &self.source[self.range()]
    }
}

impl RawText {
    /// A span of the current source when `text` lies in it, else a copy.
    fn located(text: &str) -> RawText {
        RawText(Repr::located(text))
    }
}

impl<'de> Deserialize<'de> for RawText {
    /// Borrowed from the text being parsed (plangate always parses from a string or a slice).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'de RawValue>::deserialize(d).map(|r| RawText::located(r.get()))
    }
}

/// A string of the plan: a span of the plan's text when it is written there without escapes
/// (most are), else a copy. The address of every [`ListedResource`] is one, so that listing
/// the tens of thousands of them allocates nothing per resource.
#[derive(Clone)]
pub struct Str(Repr);

impl Str {
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    pub fn into_string(self) -> String {
        match self.0 {
            Repr {
                source, len: WHOLE, ..
            } => Arc::try_unwrap(source).unwrap_or_else(|s| s.to_string()),
            span => span.get().to_string(),
        }
    }
}

impl std::ops::Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.get()
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Str {
        Str(Repr::owned(s))
    }
}

impl From<&Str> for String {
    fn from(s: &Str) -> String {
        s.as_str().to_string()
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Default for Str {
    fn default() -> Str {
        // One empty text for every default, rather than an allocation each.
        static EMPTY: std::sync::LazyLock<Arc<String>> = std::sync::LazyLock::new(Arc::default);
        Str(Repr {
            source: EMPTY.clone(),
            start: 0,
            len: WHOLE,
        })
    }
}

impl<'de> Deserialize<'de> for Str {
    /// As a `String` deserialises (the same errors), without the copy when the parser lends
    /// the text.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Str;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<Str, E> {
                Ok(Str(Repr::located(s)))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Str, E> {
                Ok(Str::from(s))
            }
        }
        d.deserialize_str(Visit)
    }
}

/// The whole plan document.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct Plan {
    pub format_version: String,
    pub terraform_version: Option<String>,
    pub variables: BTreeMap<String, Variable>,
    pub planned_values: Option<StateValues>,
    /// Skimmed (left empty) inside [`skipping_changes`]: another thread parses it.
    #[serde(deserialize_with = "changes_unless_skipped")]
    pub resource_changes: Vec<ResourceChange>,
    pub resource_drift: Vec<ResourceChange>,
    pub output_changes: BTreeMap<String, Change>,
    pub prior_state: Option<StateDoc>,
    pub configuration: Option<Configuration>,
    pub relevant_attributes: Vec<RelevantAttribute>,
    pub checks: Vec<Value>,
    pub errored: bool,
    pub complete: Option<bool>,
    pub applyable: Option<bool>,
    pub applicable: Option<bool>,
    pub timestamp: Option<String>,
    /// Only in a state (`terraform show -json` without a plan): tells a state from a plan.
    pub values: Option<StateValues>,
    /// Only in a raw `terraform.tfstate`, never in `show -json` output.
    #[serde(rename = "version")]
    pub raw_state_version: Option<serde::de::IgnoredAny>,
    /// Only in a raw `terraform.tfstate`.
    pub lineage: Option<serde::de::IgnoredAny>,
}

/// A root variable as the plan records it.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct Variable {
    pub value: Value,
}

/// `terraform show -json` of a state, and the `prior_state` of a plan.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct StateDoc {
    pub format_version: String,
    pub terraform_version: Option<String>,
    pub values: Option<StateValues>,
    pub checks: Vec<Value>,
}

/// `planned_values` / `values`: outputs and the module tree.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct StateValues {
    pub outputs: BTreeMap<String, Value>,
    pub root_module: Module,
}

/// One module instance in `planned_values` or a state, with its resources.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct Module {
    pub address: Option<String>,
    pub resources: Vec<ListedResource>,
    pub child_modules: Vec<Module>,
}

/// A resource instance of `planned_values`, of `prior_state` or of a state: its JSON text and
/// the two fields that decide whether it becomes a node ([`ListedResource::parse`] gives the
/// rest). A plan lists every instance two or three times (`resource_changes`, then these two
/// sections), and a graph makes nodes of the few that have no change entry: parsed as
/// [`Resource`]s, the others held ~2 MB at the end of a ~10 MB plan's parse, for nothing.
/// Every field is checked as [`Resource`] would check it while the plan is parsed, so a
/// resource that does not have its shape is still an error there.
#[derive(Debug)]
pub struct ListedResource {
    text: RawText,
    pub address: Str,
    /// It has a `deposed_key`.
    pub deposed: bool,
}

impl ListedResource {
    /// The whole resource. Its fields were checked when the plan was parsed; were its text
    /// nonetheless refused, the resource keeps only its address.
    pub fn parse(&self) -> Resource {
        self.text
            .parse_sharing::<Resource>()
            .unwrap_or_else(|_| Resource {
                address: self.address.clone(),
                ..Resource::default()
            })
    }
}

impl RawText {
    /// Parse the text with the [`RawText`]s and [`Str`]s made of it sharing its buffer.
    fn parse_sharing<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        if self.0.is_span() {
            with_source(&self.0.source, |_| serde_json::from_str(self.get()))
        } else {
            serde_json::from_str(self.get())
        }
    }
}

thread_local! {
    /// Set by [`strictly`].
    static STRICT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f` (a parse that failed) with each [`ListedResource`] parsed in place as a
/// [`Resource`]: a field's error then has the exact position and path of the derived parse
/// (checked from the field's text, it is placed after the value, at the resource). For error
/// messages only: the resources it makes keep no text.
pub fn strictly<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            STRICT.with(|s| s.set(self.0));
        }
    }
    let _reset = Reset(STRICT.with(|s| s.replace(true)));
    f()
}

/// The fields of a [`Resource`], to check each as its derived parse would, and to refuse a
/// field given twice as it does.
const RESOURCE_FIELDS: [&str; 10] = [
    "address",
    "mode",
    "type",
    "name",
    "index",
    "provider_name",
    "values",
    "sensitive_values",
    "depends_on",
    "deposed_key",
];

/// An object's key, borrowed from the text when written without escapes (serde's own
/// `Cow<str>` always allocates). Also read by the graph's lazy values.
pub(crate) struct Key<'de>(pub(crate) std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, k: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(k)))
            }
            fn visit_str<E: serde::de::Error>(self, k: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(k.to_string())))
            }
        }
        d.deserialize_str(Visit)
    }
}

/// A string checked and not kept.
struct AnyStr;

impl<'de> Deserialize<'de> for AnyStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = AnyStr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<AnyStr, E> {
                Ok(AnyStr)
            }
        }
        d.deserialize_str(Visit)
    }
}

/// A field's value parsed from its text, with the error of the derived parse (serde_json
/// then says where: just after the value).
fn field<'de, T: Deserialize<'de>, E: serde::de::Error>(raw: &'de RawValue) -> Result<T, E> {
    serde_json::from_str(raw.get()).map_err(|e| E::custom(super::strip_position(&e)))
}

impl<'de> Deserialize<'de> for ListedResource {
    /// One pass over the object: each value is taken as text (the values and their markers,
    /// most of the bytes, are not read again), its fields checked from it, and the object's
    /// text is the span from the `{` before its first key to the `}` after its last value.
    /// Where that span cannot be had (a first key written with escapes, or a text parsed
    /// outside [`with_source`]), the object is written again from its keys and values.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if STRICT.with(std::cell::Cell::get) {
            let r = Resource::deserialize(d)?;
            return Ok(ListedResource {
                text: RawText::from_json("{}"),
                deposed: r.deposed_key.is_some(),
                address: r.address,
            });
        }
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = ListedResource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("struct Resource")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ListedResource, A::Error> {
                use serde::de::Error;
                let mut seen = [false; RESOURCE_FIELDS.len()];
                let mut address = None;
                let mut deposed = false;
                // The span's start, once the first key is known; else the text written again.
                let mut start: Option<usize> = None;
                let mut written: Option<String> = None;
                let mut last: Option<&'de str> = None;
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    if last.is_none() {
                        start = match &key {
                            std::borrow::Cow::Borrowed(k) => object_start(k),
                            std::borrow::Cow::Owned(_) => None,
                        };
                        if start.is_none() {
                            written = Some(String::from("{"));
                        }
                    }
                    let raw: &'de RawValue = map.next_value()?;
                    if let Some(at) = RESOURCE_FIELDS.iter().position(|f| *f == key.as_ref()) {
                        if std::mem::replace(&mut seen[at], true) {
                            return Err(A::Error::duplicate_field(RESOURCE_FIELDS[at]));
                        }
                        match RESOURCE_FIELDS[at] {
                            "address" => address = Some(field::<Str, _>(raw)?),
                            "mode" => {
                                field::<Mode, _>(raw)?;
                            }
                            "type" | "name" | "provider_name" => {
                                field::<AnyStr, _>(raw)?;
                            }
                            "depends_on" => {
                                field::<Vec<AnyStr>, _>(raw)?;
                            }
                            "deposed_key" => deposed = field::<Option<AnyStr>, _>(raw)?.is_some(),
                            // Any JSON: `Option<Value>` and `RawText`.
                            _ => {}
                        }
                    }
                    if let Some(w) = written.as_mut() {
                        if last.is_some() {
                            w.push(',');
                        }
                        w.push_str(&serde_json::to_string(&key).map_err(A::Error::custom)?);
                        w.push(':');
                        w.push_str(raw.get());
                    }
                    last = Some(raw.get());
                }
                let text = match (written, start, last) {
                    (Some(mut w), _, _) => {
                        w.push('}');
                        RawText(Repr::owned(&w))
                    }
                    (None, Some(start), Some(last)) => match object_end(start, last) {
                        Some(text) => RawText(text),
                        None => return Err(A::Error::custom("a resource object not in the text")),
                    },
                    _ => RawText::from_json("{}"),
                };
                Ok(ListedResource {
                    text,
                    address: address.unwrap_or_default(),
                    deposed,
                })
            }
        }
        d.deserialize_map(Visit)
    }
}

/// Where the object whose first key is `key` (borrowed from the current source) starts: the
/// `{` before the key's opening quote and any whitespace.
fn object_start(key: &str) -> Option<usize> {
    let at = span_in_source(key)?.start;
    SOURCE.with(|s| {
        let source = s.borrow();
        let bytes = source.as_ref()?.as_bytes();
        let before = bytes[..at].strip_suffix(b"\"")?;
        let brace = before.iter().rposition(|b| !b.is_ascii_whitespace())?;
        (before[brace] == b'{').then_some(brace)
    })
}

/// The object from `start` to the `}` after its last value `last` (both in the current
/// source).
fn object_end(start: usize, last: &str) -> Option<Repr> {
    let after = span_in_source(last)?.end;
    SOURCE.with(|s| {
        let source = s.borrow();
        let source = source.as_ref()?;
        let rest = &source.as_bytes()[after..];
        let close = rest.iter().position(|b| !b.is_ascii_whitespace())?;
        (rest[close] == b'}').then(|| Repr::span(source, start, after + close + 1))
    })
}

/// `managed` (resource) or `data` (data source).
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Managed,
    Data,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Managed => "managed",
            Mode::Data => "data",
        }
    }
}

/// A resource instance in `planned_values` or a state.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct Resource {
    pub address: Str,
    pub mode: Mode,
    #[serde(rename = "type")]
    pub type_: Str,
    pub name: Str,
    pub index: Option<Value>,
    pub provider_name: Str,
    /// Kept as raw JSON text: parsed only when a policy looks at this instance.
    pub values: Option<RawText>,
    pub sensitive_values: Option<RawText>,
    pub depends_on: Vec<Str>,
    pub deposed_key: Option<Str>,
}

/// One entry of `resource_changes` or `resource_drift`. `module_address` (the address says
/// it), `change.importing` and `change.generated_config` are not read: skipped by the parse
/// like any other key, so that tens of thousands of changes do not each hold them (~0.5 MB at
/// ~10 MB, with their strings).
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ResourceChange {
    pub address: String,
    pub previous_address: Option<String>,
    pub mode: Mode,
    #[serde(rename = "type")]
    pub type_: String,
    pub name: String,
    pub index: Option<Value>,
    pub provider_name: String,
    pub deposed: Option<String>,
    pub change: Change,
    pub action_reason: Option<String>,
}

/// The `change` object: actions and before/after with their markers.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct Change {
    pub actions: Vec<String>,
    /// Raw JSON text (`None` for JSON `null`): parsed only when a policy looks at it.
    pub before: Option<RawText>,
    pub after: Option<RawText>,
    /// The marker trees, kept as text like the values they describe.
    pub after_unknown: Option<RawText>,
    pub before_sensitive: Option<RawText>,
    pub after_sensitive: Option<RawText>,
    pub replace_paths: Vec<Vec<Value>>,
}

/// `relevant_attributes[]`: which attributes of which resource fed the plan's decisions.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct RelevantAttribute {
    pub resource: String,
    pub attribute: Vec<Value>,
}

/// The `configuration` section: what the .tf files say, before evaluation.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct Configuration {
    pub provider_config: BTreeMap<String, ProviderConfig>,
    pub root_module: ConfigModule,
}

/// A provider block.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ProviderConfig {
    pub name: String,
    pub full_name: Option<String>,
    pub alias: Option<String>,
    pub module_address: Option<String>,
    pub expressions: BTreeMap<String, Value>,
}

/// A module's configuration (the root, or the `module` of a call).
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ConfigModule {
    pub outputs: BTreeMap<String, ConfigOutput>,
    pub resources: Vec<ConfigResource>,
    pub module_calls: BTreeMap<String, ModuleCall>,
    pub variables: BTreeMap<String, ConfigVariable>,
}

/// An `output` block.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ConfigOutput {
    pub expression: Value,
    pub sensitive: bool,
    pub depends_on: Vec<String>,
}

/// A `variable` block.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ConfigVariable {
    pub default: Option<Value>,
    pub description: Option<String>,
    pub sensitive: bool,
}

/// A `resource` or `data` block. `expressions` stays a raw value: it is a map of attribute
/// name to an expression (`constant_value` / `references`), a nested block (array of such
/// maps) or a nested object, and only the graph builder needs to tell them apart.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ConfigResource {
    pub address: String,
    pub mode: Mode,
    #[serde(rename = "type")]
    pub type_: String,
    pub name: String,
    pub provider_config_key: String,
    pub expressions: serde_json::Map<String, Value>,
    pub count_expression: Option<Value>,
    pub for_each_expression: Option<Value>,
    pub depends_on: Vec<String>,
}

/// A `module` block.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ModuleCall {
    pub source: String,
    pub expressions: serde_json::Map<String, Value>,
    pub count_expression: Option<Value>,
    pub for_each_expression: Option<Value>,
    pub module: ConfigModule,
    pub depends_on: Vec<String>,
    pub version_constraint: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESOURCES: &str = r#"{"resources": [
        {
          "address": "aws_vpc.main",
          "mode": "managed", "type": "aws_vpc", "name": "main",
          "provider_name": "registry.terraform.io/hashicorp/aws",
          "values": {"cidr_block": "10.0.0.0/16", "tags": {"a": "}"}},
          "sensitive_values": {}, "depends_on": ["aws_vpc.other"]
        }  ,
        {"address":"aws_subnet.s[\"a\"]","mode":"data","type":"aws_subnet","name":"s","index":"a","deposed_key":"00000001","values":null}
    ]}"#;

    fn listed(module: &Module) -> Vec<(&str, String, bool)> {
        module
            .resources
            .iter()
            .map(|r| (r.text.get(), r.address.to_string(), r.deposed))
            .collect()
    }

    #[test]
    fn a_listed_resource_is_the_span_of_its_object() {
        let source = Arc::new(RESOURCES.to_string());
        let module = with_source(&source, |t| serde_json::from_str::<Module>(t)).unwrap();
        let got = listed(&module);
        let first = &RESOURCES[RESOURCES.find("{\n          \"address\"").unwrap()..];
        let first = &first[..=first.find("]\n        }").unwrap() + 10];
        assert_eq!(got[0], (first, "aws_vpc.main".to_string(), false));
        let second = &RESOURCES[RESOURCES.find(r#"{"address":"aws_subnet"#).unwrap()..];
        let second = &second[..=second.find(r#""values":null}"#).unwrap() + 13];
        assert_eq!(got[1], (second, r#"aws_subnet.s["a"]"#.to_string(), true));
        // Spans of the source, not copies.
        assert!(module.resources[0].text.0.is_span());
        let r = module.resources[0].parse();
        assert_eq!(r.depends_on[0].as_str(), "aws_vpc.other");
        assert_eq!(
            r.values.unwrap().get(),
            r#"{"cidr_block": "10.0.0.0/16", "tags": {"a": "}"}}"#
        );
        let r = module.resources[1].parse();
        assert_eq!((r.mode, r.index), (Mode::Data, Some(Value::from("a"))));
        assert_eq!(r.deposed_key.unwrap().as_str(), "00000001");
    }

    #[test]
    fn a_listed_resource_parsed_from_another_text_is_written_again() {
        let module = serde_json::from_str::<Module>(RESOURCES).unwrap();
        for r in &module.resources {
            assert!(!r.text.0.is_span());
        }
        let r = module.resources[0].parse();
        assert_eq!(r.address.as_str(), "aws_vpc.main");
        assert_eq!(
            r.provider_name.as_str(),
            "registry.terraform.io/hashicorp/aws"
        );
        assert_eq!(r.sensitive_values.unwrap().get(), "{}");
        assert_eq!(module.resources[1].parse().name.as_str(), "s");
        // A first key written with escapes: the object is written again, too.
        let source =
            Arc::new(r#"{"resources":[{"\u0061ddress":"x.y","values":{"k":1}}]}"#.to_string());
        let module = with_source(&source, |t| serde_json::from_str::<Module>(t)).unwrap();
        assert_eq!(
            module.resources[0].text.get(),
            r#"{"address":"x.y","values":{"k":1}}"#
        );
        assert_eq!(
            module.resources[0].parse().values.unwrap().get(),
            r#"{"k":1}"#
        );
    }

    /// Every field is refused as the derived parse of [`Resource`] refuses it.
    #[test]
    fn a_listed_resource_refuses_what_a_resource_refuses() {
        let bad = [
            r#"{"address": 1}"#,
            r#"{"address": null}"#,
            r#"{"mode": "other"}"#,
            r#"{"type": []}"#,
            r#"{"name": {}}"#,
            r#"{"provider_name": true}"#,
            r#"{"depends_on": ["a", 7]}"#,
            r#"{"depends_on": "a"}"#,
            r#"{"deposed_key": 2}"#,
            r#"{"address": "a", "address": "b"}"#,
            r#"{"values": {}, "values": {}}"#,
            r#"[1]"#,
        ];
        for b in bad {
            let source = Arc::new(format!(r#"{{"resources": [{b}]}}"#));
            let listed = with_source(&source, |t| serde_json::from_str::<Module>(t));
            let whole = serde_json::from_str::<Vec<Resource>>(&format!("[{b}]"));
            let (Err(l), Err(w)) = (listed, whole) else {
                panic!("{b}: one parse accepted it")
            };
            let without_position = |e: &serde_json::Error| {
                let s = e.to_string();
                s[..s.rfind(" at line ").unwrap()].to_string()
            };
            if b.starts_with('[') {
                continue; // a resource written as an array: both refuse it, in their words
            }
            assert_eq!(without_position(&l), without_position(&w), "{b}");
            // Parsed strictly, the position is the derived parse's.
            let strict = strictly(|| serde_json::from_str::<Module>(&source)).unwrap_err();
            #[derive(Debug, Deserialize)]
            struct Derived {
                #[allow(dead_code)]
                resources: Vec<Resource>,
            }
            let derived = serde_json::from_str::<Derived>(&source).unwrap_err();
            assert_eq!(strict.to_string(), derived.to_string(), "{b}");
            assert_eq!(without_position(&strict), without_position(&w), "{b}");
        }
        // And what it accepts, a resource accepts.
        let ok = r#"{"index": [1, {"a": null}], "values": 3, "sensitive_values": null, "deposed_key": null, "extra": {"address": 1}}"#;
        let source = Arc::new(format!(r#"{{"resources": [{ok}]}}"#));
        let module = with_source(&source, |t| serde_json::from_str::<Module>(t)).unwrap();
        assert!(serde_json::from_str::<Resource>(ok).is_ok());
        assert!(!module.resources[0].deposed);
        assert_eq!(module.resources[0].text.get(), ok);
    }

    /// Five texts per change and per node: each 16 bytes, `None` included.
    #[test]
    fn a_text_is_two_words() {
        assert_eq!(std::mem::size_of::<RawText>(), 16);
        assert_eq!(std::mem::size_of::<Option<RawText>>(), 16);
        assert_eq!(std::mem::size_of::<Str>(), 16);
    }

    fn spans_of(source: &Arc<String>, parts: &[&str]) -> Vec<RawText> {
        parts
            .iter()
            .map(|p| {
                let start = source.find(p).unwrap();
                RawText(Repr::span(source, start, start + p.len()))
            })
            .collect()
    }

    #[test]
    fn texts_kept_alone_move_to_the_front_of_their_text() {
        let source =
            Arc::new(r#"{"a":{"x":"é"},"skipped":[1,2,3],"b":[true],"c":"ü"}"#.to_string());
        // Given out of order: each keeps its own text.
        let mut texts = spans_of(&source, &[r#"[true]"#, r#"{"x":"é"}"#, r#""ü""#]);
        drop(source);
        RawText::keep_only(texts.iter_mut());
        let got: Vec<&str> = texts.iter().map(RawText::get).collect();
        assert_eq!(got, [r#"[true]"#, r#"{"x":"é"}"#, r#""ü""#]);
        let (len, capacity, shared) = texts[0].source_of().unwrap();
        let kept: usize = got.iter().map(|t| t.len()).sum();
        assert_eq!(len, kept, "no more than they keep");
        if RELEASES_PAGES {
            assert!(capacity > len, "in place: the text's own buffer");
        }
        assert!(texts.iter().all(|t| t.source_of().unwrap().2 == shared));
    }

    #[test]
    fn texts_of_a_text_held_elsewhere_are_copied() {
        let source = Arc::new(r#"{"a":[1],"b":{"c":2}}"#.to_string());
        let mut texts = spans_of(&source, &["[1]", r#"{"c":2}"#]);
        RawText::keep_only(texts.iter_mut());
        assert_eq!(
            source.as_str(),
            r#"{"a":[1],"b":{"c":2}}"#,
            "left as it was"
        );
        assert_eq!(texts[0].get(), "[1]");
        assert_eq!(texts[1].get(), r#"{"c":2}"#);
        assert_ne!(texts[0].source_of().unwrap().2, Arc::as_ptr(&source));
        // Spans that overlap (one inside another) are copied too.
        let mut nested = spans_of(&source, &[r#"{"c":2}"#, "2"]);
        drop(source);
        RawText::keep_only(nested.iter_mut());
        assert_eq!((nested[0].get(), nested[1].get()), (r#"{"c":2}"#, "2"));
    }
}
