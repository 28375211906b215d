//! Conditions, value tests, operands and scoped JSONPaths: raw → validated, every problem
//! reported with its position. Relations are in `validate_rel`.

use super::model::*;
use super::ops::Op;
use super::path::JsonPath;
use super::raw::{RawCondition, S};
use super::suggest::closest;
use super::template::{Context, Placeholder, Template};
use super::validate::{to_json, Ctx};
use serde_json::Value;

pub const QUANTIFIERS: [(&str, Quantifier); 3] = [
    ("all", Quantifier::All),
    ("any", Quantifier::Any),
    ("none", Quantifier::None),
];

/// Validate a condition. `names` are the relation names in scope; `top` allows `message`.
pub fn condition(
    cx: &mut Ctx<'_>,
    c: &S<RawCondition>,
    names: &[String],
    top: bool,
) -> Option<Condition> {
    let r = c.get_ref();
    if r.message.is_some() && !top {
        cx.err(c.span(), "`message` belongs on a top-level [[assert]] or [[relation]], not on a nested condition");
    }
    let is_test = r.path.is_some()
        || r.op.is_some()
        || r.value.is_some()
        || r.value_path.is_some()
        || r.value_json.is_some()
        || r.json.is_some();
    let forms = [
        is_test,
        r.all.is_some(),
        r.any.is_some(),
        r.not.is_some(),
        r.relation.is_some(),
    ];
    match forms.iter().filter(|f| **f).count() {
        0 => {
            cx.err(
                c.span(),
                "empty condition; give `path` and `op`, or one of `all`, `any`, `not`, `relation`",
            );
            return None;
        }
        1 => {}
        _ => {
            cx.err(c.span(), "a condition has exactly one form (`path` + `op`, `all`, `any`, `not` or `relation`); combine several with all = [ {...}, {...} ]");
            return None;
        }
    }
    if r.quantifier.is_some() && !is_test {
        cx.err(
            c.span(),
            "`quantifier` belongs with `path` in a value test (or inside a relation)",
        );
    }
    if let Some(list) = r.all.as_ref().or(r.any.as_ref()) {
        let key = if r.all.is_some() { "all" } else { "any" };
        if list.is_empty() {
            cx.err(
                c.span(),
                format!("`{key}` is empty; list at least one condition"),
            );
            return None;
        }
        let parts: Vec<Option<Condition>> = list
            .iter()
            .map(|x| condition(cx, x, names, false))
            .collect();
        let parts: Option<Vec<Condition>> = parts.into_iter().collect();
        return parts.map(|p| {
            if key == "all" {
                Condition::All(p)
            } else {
                Condition::Any(p)
            }
        });
    }
    if let Some(n) = &r.not {
        return condition(cx, n, names, false).map(|x| Condition::Not(Box::new(x)));
    }
    if let Some(rel) = &r.relation {
        return super::validate_rel::relation(cx, rel, names, false)
            .map(|x| Condition::Relation(Box::new(x)));
    }
    test(cx, c, names).map(|t| Condition::Test(Box::new(t)))
}

fn test(cx: &mut Ctx<'_>, c: &S<RawCondition>, names: &[String]) -> Option<Test> {
    let r = c.get_ref();
    let Some(path) = &r.path else {
        cx.err(c.span(), "a value test needs `path`, the JSONPath of the value (e.g. path = \"$.instance_class\")");
        return None;
    };
    let Some(op_s) = &r.op else {
        cx.err(
            c.span(),
            format!("a value test needs `op`; use one of: {}", op_names()),
        );
        return None;
    };
    let path = scoped_path(cx, path, names);
    let op = match Op::parse(op_s.get_ref()) {
        Some(op) => Some(op),
        None => {
            let hint = closest(
                &op_s.get_ref().replace('-', "_"),
                Op::ALL.iter().map(|(s, _)| *s),
            )
            .map(|s| format!("did you mean {s:?}? "))
            .unwrap_or_default();
            cx.err(
                op_s.span(),
                format!(
                    "unknown operator {:?}; {hint}use one of: {}",
                    op_s.get_ref(),
                    op_names()
                ),
            );
            None
        }
    };
    let quantifier = r
        .quantifier
        .as_ref()
        .map(|q| cx.word(q, "quantifier", &QUANTIFIERS));
    let json = r.json.as_ref().map(|j| inner_path(cx, j, "json"));
    let op = op?;
    let operand = operand(cx, c, op, names)?;
    Some(Test {
        path: path?,
        json: json.map_or(Some(None), |j| j.map(Some))?,
        op,
        operand,
        quantifier: quantifier.unwrap_or(Some(Quantifier::All))?,
    })
}

/// A JSONPath inside JSON documents in strings (`json`, `value_json`).
fn inner_path(cx: &mut Ctx<'_>, j: &S<String>, key: &str) -> Option<JsonPath> {
    match JsonPath::parse(j.get_ref()) {
        Ok(p) => Some(p),
        Err(e) => {
            let mut span = j.span();
            span.start += 1 + e.offset.unwrap_or(0);
            cx.err(
                span,
                format!(
                    "invalid JSONPath {:?} in `{key}`: {}",
                    j.get_ref(),
                    e.message
                ),
            );
            None
        }
    }
}

fn op_names() -> String {
    Op::ALL
        .iter()
        .map(|(s, _)| *s)
        .collect::<Vec<_>>()
        .join(", ")
}

fn operand(cx: &mut Ctx<'_>, c: &S<RawCondition>, op: Op, names: &[String]) -> Option<Operand> {
    let r = c.get_ref();
    if let (Some(j), None) = (&r.value_json, &r.value_path) {
        cx.err(
            j.span(),
            "`value_json` selects inside the JSON documents at `value_path`; give `value_path` too",
        );
        return None;
    }
    match (&r.value, &r.value_path, op.takes_operand()) {
        (None, None, false) => Some(Operand::None),
        (Some(v), _, false) => {
            cx.err(
                v.span(),
                format!("`{}` takes no value; remove `value`", op.name()),
            );
            None
        }
        (_, Some(v), false) => {
            cx.err(
                v.span(),
                format!("`{}` takes no value; remove `value_path`", op.name()),
            );
            None
        }
        (Some(_), Some(p), true) => {
            cx.err(p.span(), "give either `value` or `value_path`, not both");
            None
        }
        (None, None, true) => {
            cx.err(c.span(), format!("`{}` needs `value` (a literal, or \"{{params.NAME}}\") or `value_path` (a JSONPath)", op.name()));
            None
        }
        (None, Some(p), true) => {
            let sp = scoped_path(cx, p, names);
            match &r.value_json {
                None => sp.map(Operand::Path),
                Some(j) => {
                    let inner = inner_path(cx, j, "value_json");
                    Some(Operand::PathJson(sp?, inner?))
                }
            }
        }
        (Some(v), None, true) => value_operand(cx, v, op),
    }
}

/// A literal is prepared now; a value with placeholders is checked (and prepared for every
/// environment whose parameters are known) now, and prepared for real once per run.
fn value_operand(cx: &mut Ctx<'_>, v: &S<toml::Value>, op: Op) -> Option<Operand> {
    let raw = to_json(v.get_ref());
    let mut templates = Vec::new();
    if let Err(e) = collect_templates(&raw, &mut templates) {
        cx.err(v.span(), e);
        return None;
    }
    if templates.iter().all(Template::is_literal) {
        let raw = unescape(&raw);
        return match op.prepare(&raw) {
            Ok(prepared) => Some(Operand::Literal { raw, prepared }),
            Err(e) => {
                cx.err(v.span(), e);
                None
            }
        };
    }
    let mut params_only = true;
    let before = cx.problems.len();
    for t in &templates {
        for p in t.placeholders() {
            match p {
                Placeholder::Param(name) => cx.check_param(name, v.span()),
                _ => params_only = false,
            }
        }
    }
    // With a parameter missing, preparing would only repeat that problem in other words.
    if params_only && cx.problems.len() == before {
        for env in cx.envs.clone() {
            let e = env.as_deref().unwrap_or("default");
            let filled = super::eval_operand::fill(&raw, &|p| match p {
                Placeholder::Param(n) => Ok(cx.params.get(e, n).cloned().unwrap_or(Value::Null)),
                _ => Ok(Value::Null),
            });
            if let Err(msg) = filled.and_then(|f| op.prepare(&f).map(|_| ())) {
                let place = env
                    .as_ref()
                    .map(|e| format!("in environment `{e}`: "))
                    .unwrap_or_default();
                cx.err(v.span(), format!("{place}{msg}"));
            }
        }
    }
    cx.operand_slots += 1;
    Some(Operand::Template {
        raw,
        slot: cx.operand_slots - 1,
    })
}

fn collect_templates(v: &Value, out: &mut Vec<Template>) -> Result<(), String> {
    match v {
        Value::String(s) => out.push(Template::parse(s, Context::Value)?),
        Value::Array(a) => a.iter().try_for_each(|x| collect_templates(x, out))?,
        Value::Object(m) => m.values().try_for_each(|x| collect_templates(x, out))?,
        _ => {}
    }
    Ok(())
}

/// `{{` → `{` in a literal with no placeholders.
fn unescape(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace("{{", "{").replace("}}", "}")),
        Value::Array(a) => Value::Array(a.iter().map(unescape).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (k.clone(), unescape(x))).collect())
        }
        other => other.clone(),
    }
}

/// `$…`, `self:$…`, `var:$…` / `$var…`, `meta:$…`, `self.meta:$…`, `NAME:$…`, `NAME.meta:$…`.
/// The JSONPath may use `{params.NAME}`: it is filled and compiled for every environment the
/// policy can run in, so a bad parameter is a load error.
pub fn scoped_path(cx: &mut Ctx<'_>, s: &S<String>, names: &[String]) -> Option<ScopedPath> {
    let text = s.get_ref();
    let (scope, rest, skip) = if let Some(r) = text.strip_prefix("$var") {
        (Scope::Var, format!("${r}"), 4)
    } else if text.starts_with('$') {
        (Scope::Subject, text.clone(), 0)
    } else if let Some((name, r)) = text.split_once(':') {
        (scope(cx, s, name, names)?, r.to_string(), name.len() + 1)
    } else {
        cx.err(
            s.span(),
            format!("{text:?} is not a JSONPath; start it with `$` (e.g. \"$.{text}\")"),
        );
        return None;
    };
    let template = match Template::parse(&rest, Context::Path) {
        Ok(t) => t,
        Err(e) => {
            cx.err(s.span(), e);
            return None;
        }
    };
    if template.is_literal() {
        let literal = template.render(&|_| String::new());
        let offset = |o: usize| if literal == rest { Some(o) } else { None };
        let path = compile(cx, s, &literal, |o| offset(o).map(|o| in_text(skip, o)))?;
        return Some(ScopedPath {
            scope,
            path,
            by_env: Vec::new(),
        });
    }
    let (path, by_env) = per_env(cx, s, &template)?;
    Some(ScopedPath {
        scope,
        path,
        by_env,
    })
}

/// The scope before `:`.
fn scope(cx: &mut Ctx<'_>, s: &S<String>, name: &str, names: &[String]) -> Option<Scope> {
    let (target, meta) = match name.strip_suffix(".meta") {
        Some(t) => (t, true),
        None => (name, false),
    };
    let named = names.iter().any(|x| x == target);
    let scope = match (target, meta) {
        ("self", false) => Scope::SelfNode,
        ("var", false) => Scope::Var,
        ("meta", false) => Scope::Meta(MetaOf::Subject),
        ("self", true) => Scope::Meta(MetaOf::SelfNode),
        (n, false) if named => Scope::Named(n.to_string()),
        (n, true) if named => Scope::Meta(MetaOf::Named(n.to_string())),
        _ => {
            let known: Vec<String> = ["self", "var", "meta", "self.meta"]
                .into_iter()
                .map(str::to_string)
                .chain(names.iter().flat_map(|n| [n.clone(), format!("{n}.meta")]))
                .map(|k| format!("`{k}:`"))
                .collect();
            cx.err(s.span(), format!("unknown scope `{name}:` in {:?}; use one of {} (relation names are in scope inside their relation)", s.get_ref(), known.join(", ")));
            return None;
        }
    };
    Some(scope)
}

/// Where an offset in the parsed JSONPath is in the text as written (`$var.x` was parsed as
/// `$.x`; `self:$.x` as `$.x`).
fn in_text(skip: usize, off: usize) -> usize {
    match (skip, off) {
        (4, 0) => 0,
        (4, o) => o + 3,
        (k, o) => o + k,
    }
}

/// Compile a JSONPath; `at` maps an error offset to the written text (`None`: point at the
/// string).
fn compile(
    cx: &mut Ctx<'_>,
    s: &S<String>,
    path: &str,
    at: impl Fn(usize) -> Option<usize>,
) -> Option<JsonPath> {
    match JsonPath::parse(path) {
        Ok(p) => Some(p),
        Err(e) => {
            let mut span = s.span();
            if let Some(off) = e.offset.and_then(at) {
                // Point at the offending character, past the opening quote.
                span.start += 1 + off;
            }
            cx.err(
                span,
                format!("invalid JSONPath {:?}: {}", s.get_ref(), e.message),
            );
            None
        }
    }
}

/// A path with `{params.NAME}`, filled and compiled for every environment the policy can run
/// in: (the path of environments without their own table, the path of each that has one).
fn per_env(
    cx: &mut Ctx<'_>,
    s: &S<String>,
    t: &Template,
) -> Option<(JsonPath, Vec<(String, JsonPath)>)> {
    let before = cx.problems.len();
    for p in t.placeholders() {
        if let Placeholder::Param(name) = p {
            cx.check_param(name, s.span());
        }
    }
    if cx.problems.len() > before {
        return None;
    }
    let mut fallback = None;
    let mut by_env = Vec::new();
    for env in cx.envs.clone() {
        let e = env.as_deref().unwrap_or("default");
        let bad = std::cell::RefCell::new(None);
        let filled = t.render(&|p| match p {
            Placeholder::Param(n) => match cx.params.get(e, n) {
                Some(Value::String(v)) => v.clone(),
                Some(Value::Number(v)) => v.to_string(),
                _ => {
                    bad.replace(Some(n.clone()));
                    String::new()
                }
            },
            _ => String::new(),
        });
        let place = env
            .as_ref()
            .map(|e| format!(" in environment `{e}`"))
            .unwrap_or_default();
        if let Some(n) = bad.into_inner() {
            cx.err(s.span(), format!("parameter `{n}`{place} is not a string or a number, so it cannot be written into the path {:?}", s.get_ref()));
            continue;
        }
        let path = match JsonPath::parse(&filled) {
            Ok(p) => p,
            Err(e) => {
                cx.err(
                    s.span(),
                    format!(
                        "invalid JSONPath {:?}{place} (filled in: {filled:?}): {}",
                        s.get_ref(),
                        e.message
                    ),
                );
                continue;
            }
        };
        match env {
            Some(e) if cx.params.by_env.contains_key(&e) => by_env.push((e, path)),
            Some(_) => {
                fallback.get_or_insert(path);
            }
            None => fallback = Some(path),
        }
    }
    if cx.problems.len() > before {
        return None;
    }
    let fallback = fallback.or_else(|| by_env.first().map(|(_, p)| p.clone()))?;
    Some((fallback, by_env))
}
