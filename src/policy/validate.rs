//! Raw policy → [`Policy`], reporting every problem of the file at once, each with its line
//! and column and what to do. Conditions and relations are checked in `validate_cond`.

use super::model::*;
use super::ops;
use super::raw::{RawPolicy, RawSelect, RawWhen, S};
use super::suggest::closest;
use super::template::{Context, Template};
use crate::error::Problem;
use crate::graph::Action;
use crate::plan::Mode;
use crate::report::Severity;
use serde_json::{Map, Value};
use std::ops::Range;

/// Actions selected when a policy names none: everything that exists after apply.
pub const DEFAULT_ACTIONS: [Action; 5] = [
    Action::Create,
    Action::Update,
    Action::Replace,
    Action::NoOp,
    Action::Read,
];

/// Validation state for one file.
pub struct Ctx<'a> {
    pub file: &'a str,
    pub src: &'a str,
    pub problems: Vec<Problem>,
    pub params: Params,
    /// Environments whose parameters must be complete: `(name, has its own table)`; the
    /// name `None` stands for every other environment (which only has `default`).
    pub envs: Vec<Option<String>>,
    pub operand_slots: usize,
    pub hop_slots: usize,
}

impl<'a> Ctx<'a> {
    pub fn new(file: &'a str, src: &'a str) -> Ctx<'a> {
        Ctx {
            file,
            src,
            problems: Vec::new(),
            params: Params::default(),
            envs: Vec::new(),
            operand_slots: 0,
            hop_slots: 0,
        }
    }

    pub fn err(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, column) = line_col(self.src, span.start);
        self.problems.push(Problem {
            file: self.file.to_string(),
            line: Some(line),
            column: Some(column),
            message: message.into(),
        });
    }

    /// A string or a list of strings.
    pub fn strings(&mut self, v: &S<toml::Value>, key: &str) -> Option<Vec<String>> {
        let out: Option<Vec<String>> = match v.get_ref() {
            toml::Value::String(s) => Some(vec![s.clone()]),
            toml::Value::Array(a) if !a.is_empty() => {
                a.iter().map(|x| x.as_str().map(str::to_string)).collect()
            }
            _ => None,
        };
        if out.is_none() {
            self.err(
                v.span(),
                format!("`{key}` takes a string or a non-empty list of strings, e.g. {key} = [\"aws_s3_bucket\"]"),
            );
        }
        out
    }

    /// Globs from a string or list; `*` crosses `.` and `/`.
    pub fn globs(
        &mut self,
        v: &S<toml::Value>,
        key: &str,
    ) -> Option<(globset::GlobSet, Vec<String>)> {
        let pats = self.strings(v, key)?;
        match ops::globs(&pats) {
            Ok(g) => Some((g, pats)),
            Err(e) => {
                self.err(v.span(), format!("`{key}`: {e}"));
                None
            }
        }
    }

    /// One word of a fixed set, with a suggestion when misspelt.
    pub fn word<T: Copy>(
        &mut self,
        v: &S<String>,
        key: &str,
        words: &[(&'static str, T)],
    ) -> Option<T> {
        if let Some((_, t)) = words.iter().find(|(w, _)| *w == v.get_ref()) {
            return Some(*t);
        }
        let names: Vec<&str> = words.iter().map(|(w, _)| *w).collect();
        let hint = closest(v.get_ref(), names.iter().copied())
            .map(|s| format!("did you mean {s:?}? "))
            .unwrap_or_default();
        self.err(
            v.span(),
            format!(
                "unknown {key} {:?}; {hint}use one of: {}",
                v.get_ref(),
                names.join(", ")
            ),
        );
        None
    }

    /// A template string, checked for its context and for parameters in every environment.
    pub fn template(&mut self, s: &S<String>, ctx: Context) -> Option<Template> {
        match Template::parse(s.get_ref(), ctx) {
            Ok(t) => {
                for p in t.placeholders() {
                    if let super::template::Placeholder::Param(name) = p {
                        self.check_param(name, s.span());
                    }
                }
                Some(t)
            }
            Err(e) => {
                self.err(s.span(), e);
                None
            }
        }
    }

    /// A parameter must have a value in every environment the policy can run in.
    pub fn check_param(&mut self, name: &str, span: Range<usize>) {
        for env in self.envs.clone() {
            let found = match &env {
                Some(e) => self.params.get(e, name).is_some(),
                None => self.params.get("default", name).is_some(),
            };
            if found {
                continue;
            }
            let msg = match env {
                Some(e) => format!("parameter `{name}` has no value in environment `{e}`; add `{name} = …` to [params.{e}] or [params.default]"),
                None => format!("parameter `{name}` has no value for environments without their own table; add `{name} = …` to [params.default], or limit the policy with when.env = [...] to the environments that define it"),
            };
            self.err(span.clone(), msg);
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    // A computed offset (inside a string with escapes) may fall inside a character.
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Validate a parsed policy file.
pub fn policy(raw: RawPolicy, cx: &mut Ctx<'_>, source: Source) -> Option<Policy> {
    let id = identity(cx, &raw.id);
    let severity = cx.word(
        &raw.severity,
        "severity",
        &Severity::ALL.map(|s| (s.as_str(), s)),
    );
    if raw.title.get_ref().trim().is_empty() {
        cx.err(
            raw.title.span(),
            "`title` is empty; say in a few words what is wrong",
        );
    }
    let on_unknown = raw.on_unknown.as_ref().and_then(|v| {
        cx.word(
            v,
            "on_unknown",
            &[
                ("fail", OnUnknown::Fail),
                ("warn", OnUnknown::Warn),
                ("pass", OnUnknown::Pass),
            ],
        )
    });
    params(cx, &raw.params);
    let when = raw.when.as_ref().map(|w| when(cx, w)).unwrap_or_default();
    environments(cx, &raw);
    let message = raw
        .message
        .as_ref()
        .and_then(|m| cx.template(m, Context::Message));
    let select = select(cx, &raw.select);
    let mut assertions = Vec::new();
    for a in &raw.assert {
        if let Some(c) = super::validate_cond::condition(cx, a, &[], true) {
            let message = a
                .get_ref()
                .message
                .as_ref()
                .and_then(|m| cx.template(m, Context::Message));
            assertions.push(Assertion {
                condition: c,
                message,
            });
        }
    }
    for r in &raw.relation {
        if let Some(rel) = super::validate_rel::relation(cx, r, &[], true) {
            let message = r
                .get_ref()
                .message
                .as_ref()
                .and_then(|m| cx.template(m, Context::Message));
            assertions.push(Assertion {
                condition: Condition::Relation(Box::new(rel)),
                message,
            });
        }
    }
    let alone = raw.assert.is_empty() && raw.relation.is_empty();
    let check = raw.check.as_ref().and_then(|c| check(cx, c, alone));
    if raw.assert.is_empty() && raw.relation.is_empty() && raw.check.is_none() {
        cx.err(
            0..0,
            "the policy tests nothing; add an [[assert]], a [[relation]] or check = \"name\"",
        );
    }
    let text = |s: &Option<S<String>>| s.as_ref().map(|s| s.get_ref().clone());
    Some(Policy {
        pack: id
            .as_ref()?
            .split('.')
            .next()
            .unwrap_or_default()
            .to_string(),
        id: id?,
        title: raw.title.get_ref().clone(),
        severity: severity?,
        description: text(&raw.description),
        remediation: text(&raw.remediation),
        docs: text(&raw.docs),
        tags: raw.tags.iter().map(|t| t.get_ref().clone()).collect(),
        on_unknown: on_unknown.unwrap_or_default(),
        message,
        select: select?,
        when,
        params: cx.params.clone(),
        assertions,
        check,
        source,
        page: None,
        operand_slots: cx.operand_slots,
        hop_slots: cx.hop_slots,
    })
    .filter(|_| cx.problems.is_empty())
}

fn identity(cx: &mut Ctx<'_>, id: &S<String>) -> Option<String> {
    let s = id.get_ref();
    let kebab = |p: &str| {
        !p.is_empty()
            && !p.starts_with('-')
            && !p.ends_with('-')
            && !p.contains("--")
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    match s.split_once('.') {
        Some((pack, name)) if kebab(pack) && kebab(name) => Some(s.clone()),
        _ => {
            cx.err(id.span(), format!("id {s:?} must be `<pack>.<kebab-name>` naming the bad pattern, e.g. \"cost.oversized-database-class\" (lowercase letters, digits and dashes)"));
            None
        }
    }
}

fn params(cx: &mut Ctx<'_>, raw: &std::collections::BTreeMap<String, S<toml::Table>>) {
    for (env, table) in raw {
        let m: Map<String, Value> = table
            .get_ref()
            .iter()
            .map(|(k, v)| (k.clone(), to_json(v)))
            .collect();
        cx.params.by_env.insert(env.clone(), m);
    }
}

/// The environments whose parameters must be complete: every `[params.<env>]`, every literal
/// `when.env` name, and (unless `when.env` lists only literal names) all others.
fn environments(cx: &mut Ctx<'_>, raw: &RawPolicy) {
    let mut envs: Vec<Option<String>> = cx
        .params
        .by_env
        .keys()
        .filter(|k| *k != "default")
        .map(|k| Some(k.clone()))
        .collect();
    let listed: Option<Vec<String>> = raw
        .when
        .as_ref()
        .and_then(|w| w.get_ref().env.as_ref())
        .and_then(|v| match v.get_ref() {
            toml::Value::String(s) => Some(vec![s.clone()]),
            toml::Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_string)).collect(),
            _ => None,
        });
    let literal = |s: &String| !s.contains(['*', '?', '[', '{']);
    match listed {
        Some(names) if names.iter().all(literal) => {
            envs.retain(|e| e.as_ref().is_some_and(|e| names.contains(e)));
            for n in names {
                if !envs.contains(&Some(n.clone())) {
                    envs.push(Some(n));
                }
            }
        }
        _ => envs.push(None),
    }
    cx.envs = envs;
}

fn when(cx: &mut Ctx<'_>, w: &S<RawWhen>) -> When {
    let w = w.get_ref();
    When {
        env: w
            .env
            .as_ref()
            .and_then(|v| cx.globs(v, "when.env"))
            .map(|g| g.0),
        not_env: w
            .not_env
            .as_ref()
            .and_then(|v| cx.globs(v, "when.not_env"))
            .map(|g| g.0),
    }
}

fn select(cx: &mut Ctx<'_>, s: &S<RawSelect>) -> Option<Select> {
    let r = s.get_ref();
    let types = cx.globs(&r.types, "select.types");
    let mode = match &r.mode {
        None => Some(Some(Mode::Managed)),
        Some(m) => cx.word(
            m,
            "mode",
            &[
                ("managed", Some(Mode::Managed)),
                ("data", Some(Mode::Data)),
                ("any", None),
            ],
        ),
    };
    let address = r
        .address
        .as_ref()
        .map(|a| cx.globs(a, "select.address").map(|g| g.0));
    let module = r
        .module
        .as_ref()
        .map(|m| cx.globs(m, "select.module").map(|g| g.0));
    let actions = match &r.actions {
        None => Some(DEFAULT_ACTIONS.to_vec()),
        Some(v) => actions(cx, v),
    };
    let filter = r
        .filter
        .as_ref()
        .map(|c| super::validate_cond::condition(cx, c, &[], false));
    let (types, type_patterns) = types?;
    Some(Select {
        types,
        type_patterns,
        mode: mode?,
        address: address.map_or(Some(None), |a| a.map(Some))?,
        module: module.map_or(Some(None), |m| m.map(Some))?,
        actions: actions?,
        filter: filter.map_or(Some(None), |f| f.map(Some))?,
    })
}

fn actions(cx: &mut Ctx<'_>, v: &S<toml::Value>) -> Option<Vec<Action>> {
    let names = cx.strings(v, "select.actions")?;
    let mut out = Vec::new();
    for n in names {
        match Action::parse(&n) {
            Some(a) => out.push(a),
            None => {
                let all: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
                cx.err(
                    v.span(),
                    format!(
                        "unknown action {n:?} in select.actions; use any of: {}",
                        all.join(", ")
                    ),
                );
                return None;
            }
        }
    }
    Some(out)
}

fn check(cx: &mut Ctx<'_>, name: &S<String>, plan_alone: bool) -> Option<CheckCall> {
    let Some(check) = super::builtin::find(name.get_ref()) else {
        let names = super::builtin::names();
        let hint = closest(name.get_ref(), names.iter().copied())
            .map(|s| format!("did you mean {s:?}? "))
            .unwrap_or_default();
        cx.err(
            name.span(),
            format!(
                "unknown check {:?}; {hint}built-in checks: {}",
                name.get_ref(),
                names.join(", ")
            ),
        );
        return None;
    };
    for env in cx.envs.clone() {
        let e = env.as_deref().unwrap_or("default");
        for p in check.validate(&cx.params.merged(e)) {
            let place = env
                .as_ref()
                .map(|e| format!(" (environment `{e}`)"))
                .unwrap_or_default();
            cx.err(name.span(), format!("{p}{place}"));
        }
    }
    if check.scope() == super::builtin::CheckScope::Plan && !plan_alone {
        cx.err(
            name.span(),
            format!("check {:?} looks at the whole plan; it cannot be combined with [[assert]] or [[relation]] — move those to another policy", name.get_ref()),
        );
    }
    Some(CheckCall {
        name: name.get_ref().clone(),
        check,
    })
}

/// TOML → JSON; datetimes become their RFC 3339 text.
pub fn to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn line_and_column() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(super::line_col(src, 0), (1, 1));
        assert_eq!(super::line_col(src, 6), (2, 1));
        assert_eq!(super::line_col(src, src.find('=').unwrap()), (1, 3));
        assert_eq!(super::line_col(src, src.rfind('2').unwrap()), (2, 6));
    }
}
