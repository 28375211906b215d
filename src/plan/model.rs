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
/// of a copy (or an 8× larger parsed tree); in a graph, a span of one of the buffers its
/// values were copied to ([`RawText::share_one_copy`]). Parsed on first use by the graph.
#[derive(Clone)]
pub struct RawText(Repr);

#[derive(Clone)]
enum Repr {
    Shared {
        source: Arc<String>,
        start: usize,
        end: usize,
    },
    /// Outside [`with_source`] (a plan deserialised from another string): its own copy.
    Owned(Box<str>),
}

impl RawText {
    /// The JSON text.
    pub fn get(&self) -> &str {
        match &self.0 {
            Repr::Shared { source, start, end } => &source[*start..*end],
            Repr::Owned(s) => s,
        }
    }

    /// From JSON text (tests, generated nodes). The text is not checked here.
    pub fn from_json(text: &str) -> RawText {
        RawText(Repr::Owned(text.into()))
    }

    /// Copy the texts into new buffers, which they then share, so that the plan's text
    /// can be freed: a graph keeps the values of `resource_changes` (about a quarter of a
    /// plan) and none of the copies in `planned_values` and `prior_state`. A buffer of the
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
                t.0 = Repr::Shared {
                    source: source.clone(),
                    start,
                    end,
                };
                start = end;
            }
        }
    }
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
    SOURCE.with(|s| {
        let source = s.borrow();
        let source = source.as_ref()?;
        let base = source.as_ptr() as usize;
        let at = text.as_ptr() as usize;
        (at >= base && at + text.len() <= base + source.len())
            .then(|| at - base..at - base + text.len())
    })
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

impl RawText {
    /// A span of the current source when `text` lies in it, else a copy.
    fn located(text: &str) -> RawText {
        SOURCE.with(|s| {
            if let Some(source) = s.borrow().as_ref() {
                let base = source.as_ptr() as usize;
                let at = text.as_ptr() as usize;
                if at >= base && at + text.len() <= base + source.len() {
                    let start = at - base;
                    return RawText(Repr::Shared {
                        source: source.clone(),
                        start,
                        end: start + text.len(),
                    });
                }
            }
            RawText::from_json(text)
        })
    }
}

impl<'de> Deserialize<'de> for RawText {
    /// Borrowed from the text being parsed (plangate always parses from a string or a slice).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'de RawValue>::deserialize(d).map(|r| RawText::located(r.get()))
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
    pub resources: Vec<Resource>,
    pub child_modules: Vec<Module>,
}

impl Module {
    /// Every resource of this module and of its descendants, depth first.
    pub fn walk(&self) -> Vec<&Resource> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(m) = stack.pop() {
            out.extend(m.resources.iter());
            stack.extend(m.child_modules.iter().rev());
        }
        out
    }
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
    pub address: String,
    pub mode: Mode,
    #[serde(rename = "type")]
    pub type_: String,
    pub name: String,
    pub index: Option<Value>,
    pub provider_name: String,
    /// Kept as raw JSON text: parsed only when a policy looks at this instance.
    pub values: Option<RawText>,
    pub sensitive_values: Option<RawText>,
    pub depends_on: Vec<String>,
    pub deposed_key: Option<String>,
}

/// One entry of `resource_changes` or `resource_drift`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ResourceChange {
    pub address: String,
    pub previous_address: Option<String>,
    pub module_address: Option<String>,
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
    pub importing: Option<Value>,
    pub generated_config: Option<String>,
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
