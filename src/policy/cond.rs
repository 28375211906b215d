//! Evaluating conditions on one instance: value tests over JSONPath hits (with quantifiers and
//! unknown values), combinations, and relations (in `relation`).

use super::context::{Doc, NodeCx};
use super::explain;
use super::model::{Condition, Operand, Quantifier, ScopedPath, Test};
use super::ops::{show, Op, Prepared};
use super::path::{render as jsonpath, Hit};
use super::tri::{Fact, Tri, Verdict, MAX_FACTS};
use crate::graph::values::Seg;
use crate::report::Evidence;
use serde_json::Value;
use std::sync::Arc;

/// Evaluate a condition with the given bindings.
pub fn eval<'a>(c: &'a Condition, cx: &NodeCx<'a>) -> Verdict {
    eval_as(c, cx, true)
}

/// Only the answer of [`eval`] (the same `Tri`), without building its facts: for a `where`
/// whose facts matter only when it is unknown.
pub fn decide<'a>(c: &'a Condition, cx: &NodeCx<'a>) -> Tri {
    eval_as(c, cx, false).tri
}

/// `facts: false` gives the same `tri` with no facts (none are formatted).
fn eval_as<'a>(c: &'a Condition, cx: &NodeCx<'a>, facts: bool) -> Verdict {
    match c {
        Condition::All(cs) if !facts => Verdict::new(
            fold(
                cs,
                Tri::False,
                |a, b| a.and(b),
                |c| eval_as(c, cx, false).tri,
            ),
            Vec::new(),
        ),
        Condition::Any(cs) if !facts => Verdict::new(
            fold(cs, Tri::True, |a, b| a.or(b), |c| eval_as(c, cx, false).tri),
            Vec::new(),
        ),
        Condition::All(cs) => Verdict::all(cs.iter().map(|c| eval_as(c, cx, true)).collect()),
        Condition::Any(cs) => Verdict::any(cs.iter().map(|c| eval_as(c, cx, true)).collect()),
        Condition::Not(c) => eval_as(c, cx, facts).negate(),
        Condition::Test(t) => test(t, cx, facts),
        Condition::Relation(r) => super::relation_eval::eval(r, cx),
    }
}

/// Kleene AND / OR over conditions, stopping at the first `decisive` answer (evaluation has
/// no effects, so the ones after it cannot change the answer).
fn fold<'a>(
    cs: &'a [Condition],
    decisive: Tri,
    op: impl Fn(Tri, Tri) -> Tri,
    one: impl Fn(&'a Condition) -> Tri,
) -> Tri {
    let mut acc = !decisive;
    for c in cs {
        acc = op(acc, one(c));
        if acc == decisive {
            break;
        }
    }
    acc
}

/// The operand, ready: prepared, and how it is shown (empty unless `facts`). `Err` is the
/// verdict when it cannot be had (an unknown value, a missing variable).
fn operand<'c>(
    t: &'c Test,
    cx: &NodeCx<'c>,
    facts: bool,
) -> Result<(std::borrow::Cow<'c, Prepared>, String), Verdict> {
    match &t.operand {
        Operand::None => Ok((std::borrow::Cow::Owned(Prepared::None), String::new())),
        Operand::Literal { raw, prepared } => Ok((
            std::borrow::Cow::Borrowed(prepared),
            if facts {
                t.op.show_operand(prepared, raw)
            } else {
                String::new()
            },
        )),
        Operand::Template { raw, slot } => match cx.pr.operand(*slot, raw, t.op) {
            Ok((v, p)) => Ok((
                std::borrow::Cow::Borrowed(p),
                if facts {
                    t.op.show_operand(p, v)
                } else {
                    String::new()
                },
            )),
            Err(e) => Err(Verdict::fact(Tri::Unknown, Fact::text(e.clone()))),
        },
        Operand::Path(sp) => {
            path_operand(t.op, sp, cx, facts).map(|(p, s)| (std::borrow::Cow::Owned(p), s))
        }
        Operand::PathJson(sp, inner) => {
            path_json_operand(t.op, sp, inner, cx).map(|(p, s)| (std::borrow::Cow::Owned(p), s))
        }
    }
}

/// `value_path` + `value_json`: the JSON documents in the strings at `value_path`, and the list
/// of the values `value_json` selects in them, a selected list adding its elements (IAM writes
/// one principal or action as a string, several as a list). Empty when it selects nothing;
/// null documents add nothing. Unknown when a document is known only after apply.
fn path_json_operand(
    op: Op,
    sp: &ScopedPath,
    inner: &super::path::JsonPath,
    cx: &NodeCx<'_>,
) -> Result<(Prepared, String), Verdict> {
    let doc = cx.doc(&sp.scope);
    let path = sp.at(cx.env());
    let hits = path.select(doc.values, doc.unknown);
    let unknown: Vec<Fact> = hits
        .iter()
        .filter(|h| h.value.is_none())
        .map(|h| unknown_fact(&doc, h, cx))
        .collect();
    if !unknown.is_empty() {
        return Err(Verdict::new(Tri::Unknown, unknown));
    }
    let name = match hits.as_slice() {
        [one] if path.is_singular() => name(&doc, &one.segs, cx),
        _ => format!("`{}`{}", path.text(), cx.of(doc.node)),
    };
    let name = format!("`{}` in {name}", inner.text());
    let mut values = Vec::new();
    for h in &hits {
        let Some(v) = h.value else { continue };
        match decode(v) {
            Ok(d) => {
                for v in inner
                    .select(&d, &Value::Null)
                    .into_iter()
                    .filter_map(|i| i.value)
                {
                    match v {
                        Value::Array(a) => values.extend(a.iter().cloned()),
                        one => values.push(one.clone()),
                    }
                }
            }
            Err(why) => {
                return Err(Verdict::fact(
                    Tri::False,
                    Fact::text(format!("{name} cannot be compared: the document {why}")),
                ))
            }
        }
    }
    let v = Value::Array(values);
    let sensitive = hits
        .iter()
        .any(|h| crate::graph::values::sensitive_at(doc.sensitive, &h.segs));
    match op.prepare(&v) {
        Ok(p) => {
            let shown = if sensitive {
                format!("{name} (sensitive)")
            } else {
                format!("{name} ({})", op.show_operand(&p, &v))
            };
            Ok((p, shown))
        }
        // The error quotes the value (`"…" is not a CIDR block`, a regex): not when sensitive.
        Err(_) if sensitive => Err(Verdict::fact(
            Tri::False,
            Fact::text(format!("{name} (sensitive) cannot be compared")),
        )),
        Err(e) => Err(Verdict::fact(
            Tri::False,
            Fact::text(format!("{name} cannot be compared: {e}")),
        )),
    }
}

fn path_operand(
    op: Op,
    sp: &ScopedPath,
    cx: &NodeCx<'_>,
    facts: bool,
) -> Result<(Prepared, String), Verdict> {
    let doc = cx.doc(&sp.scope);
    let path = sp.at(cx.env());
    let hits = path.select(doc.values, doc.unknown);
    if hits.iter().any(|h| h.value.is_none()) {
        let unknown: Vec<Fact> = if facts {
            hits.iter()
                .filter(|h| h.value.is_none())
                .map(|h| unknown_fact(&doc, h, cx))
                .collect()
        } else {
            Vec::new()
        };
        return Err(Verdict::new(Tri::Unknown, unknown));
    }
    let v = match hits.as_slice() {
        [] => Value::Null,
        [one] => one.value.cloned().unwrap_or(Value::Null),
        many => Value::Array(many.iter().filter_map(|h| h.value.cloned()).collect()),
    };
    match op.prepare(&v) {
        Ok(p) if !facts => Ok((p, String::new())),
        Ok(p) => {
            let sensitive = hits
                .iter()
                .any(|h| crate::graph::values::sensitive_at(doc.sensitive, &h.segs));
            let name = operand_name(&hits, path, &doc, cx);
            let shown = if sensitive {
                format!("{name} (sensitive)")
            } else {
                format!("{name} ({})", op.show_operand(&p, &v))
            };
            Ok((p, shown))
        }
        Err(_) if !facts => Err(Verdict::new(Tri::False, Vec::new())),
        Err(e) => {
            let name = operand_name(&hits, path, &doc, cx);
            // The error quotes the value (`"…" is not a CIDR block`, a regex): not when
            // sensitive.
            let sensitive = hits
                .iter()
                .any(|h| crate::graph::values::sensitive_at(doc.sensitive, &h.segs));
            let text = if sensitive {
                format!("{name} (sensitive) cannot be compared")
            } else {
                format!("{name} cannot be compared: {e}")
            };
            Err(Verdict::fact(Tri::False, Fact::text(text)))
        }
    }
}

fn operand_name(
    hits: &[Hit<'_>],
    path: &super::path::JsonPath,
    doc: &Doc<'_>,
    cx: &NodeCx<'_>,
) -> String {
    match hits {
        [one] if path.is_singular() => name(doc, &one.segs, cx),
        _ => format!("`{}`{}", path.text(), cx.of(doc.node)),
    }
}

/// How one value fared under a test's operator.
enum Outcome {
    /// Known only after apply.
    Unknown,
    Holds(bool),
    /// The operator does not apply to the value (why).
    Error(String),
}

impl Outcome {
    fn tri(&self) -> Tri {
        match self {
            Outcome::Unknown => Tri::Unknown,
            Outcome::Holds(b) => Tri::from_bool(*b),
            Outcome::Error(_) => Tri::False,
        }
    }
}

fn test<'a>(t: &'a Test, cx: &NodeCx<'a>, facts: bool) -> Verdict {
    let doc = cx.doc(&t.path.scope);
    let raw = t.path.at(cx.env()).select(doc.values, doc.unknown);
    let store: Vec<(Vec<Seg>, Value)>;
    // Values that should hold JSON and do not: each a false verdict, after the others.
    let mut not_json: Vec<(Vec<Seg>, String)> = Vec::new();
    let hits: Vec<Hit<'_>> = match &t.json {
        None => raw,
        Some(inner) => {
            let mut out = Vec::new();
            let mut docs = Vec::new();
            for h in raw {
                match h.value.map(decode) {
                    None => out.push(h),
                    Some(Ok(v)) => docs.push((h.segs, v)),
                    Some(Err(why)) => not_json.push((h.segs, why)),
                }
            }
            store = docs;
            for (segs, v) in &store {
                for ih in inner.select(v, &Value::Null) {
                    let mut s = segs.clone();
                    s.extend(ih.segs);
                    out.push(Hit {
                        segs: s,
                        value: ih.value,
                    });
                }
            }
            out
        }
    };
    let not_json_fact =
        |(segs, why): &(Vec<Seg>, String)| Fact::text(format!("{} {why}", name(&doc, segs, cx)));
    if matches!(t.op, Op::Exists | Op::Absent | Op::Known) {
        if !not_json.is_empty() {
            // A string that is not JSON is a type error either way.
            let facts = if facts {
                not_json.iter().take(MAX_FACTS).map(not_json_fact).collect()
            } else {
                Vec::new()
            };
            return Verdict::new(Tri::False, facts);
        }
        return match t.op {
            Op::Known => {
                let tris: Vec<Tri> = hits
                    .iter()
                    .map(|h| Tri::from_bool(h.value.is_some()))
                    .collect();
                quantify(
                    t,
                    &tris,
                    |i| known_fact(&hits[i], &doc, cx),
                    &doc,
                    cx,
                    facts,
                )
            }
            Op::Absent => exists(&hits, &doc, cx, facts).negate(),
            _ => exists(&hits, &doc, cx, facts),
        };
    }
    let (prepared, shown_operand) = match operand(t, cx, facts) {
        Ok(x) => x,
        Err(v) => return v,
    };
    let outcomes: Vec<Outcome> = hits
        .iter()
        .map(|h| match h.value {
            None => Outcome::Unknown,
            Some(v) => match t.op.apply(v, &prepared) {
                Ok(b) => Outcome::Holds(b),
                Err(why) => Outcome::Error(why),
            },
        })
        .collect();
    let mut tris: Vec<Tri> = outcomes.iter().map(Outcome::tri).collect();
    tris.extend(not_json.iter().map(|_| Tri::False));
    let n = hits.len();
    quantify(
        t,
        &tris,
        |i| {
            if i < n {
                hit_fact(
                    t.op,
                    &prepared,
                    &shown_operand,
                    &hits[i],
                    &outcomes[i],
                    &doc,
                    cx,
                )
            } else {
                not_json_fact(&not_json[i - n])
            }
        },
        &doc,
        cx,
        facts,
    )
}

/// Combine the answers for the values a path selects by the test's quantifier, as
/// [`Verdict::all`] / [`Verdict::any`] would over one-fact verdicts, building the facts (with
/// `fact(i)`) only for the values whose answer is kept, at most [`MAX_FACTS`]. Over no values
/// `all` and `none` hold and `any` does not.
fn quantify(
    t: &Test,
    tris: &[Tri],
    mut fact: impl FnMut(usize) -> Fact,
    doc: &Doc<'_>,
    cx: &NodeCx<'_>,
    facts: bool,
) -> Verdict {
    if tris.is_empty() {
        let tri = if t.quantifier == Quantifier::Any {
            Tri::False
        } else {
            Tri::True
        };
        if !facts {
            return Verdict::new(tri, Vec::new());
        }
        let fact = Fact::text(format!(
            "`{}`{} selects nothing",
            t.path.at(cx.env()).text(),
            cx.of(doc.node)
        ));
        return Verdict::fact(tri, fact);
    }
    let decisive = match t.quantifier {
        Quantifier::All => Tri::False,
        Quantifier::Any | Quantifier::None => Tri::True,
    };
    let want = if tris.contains(&decisive) {
        decisive
    } else if tris.contains(&Tri::Unknown) {
        Tri::Unknown
    } else {
        !decisive
    };
    let mut kept = Vec::new();
    if facts {
        for (i, _) in tris.iter().enumerate().filter(|(_, x)| **x == want) {
            kept.push(fact(i));
            if kept.len() == MAX_FACTS {
                break;
            }
        }
    }
    let v = Verdict::new(want, kept);
    if t.quantifier == Quantifier::None {
        v.negate()
    } else {
        v
    }
}

/// `known`, per value: true when the plan holds the value (its parts may still be unknown),
/// false when it is known only after apply — never unknown itself, so a policy can branch on
/// it (a name that is computed from its `name_prefix`).
fn known_fact(h: &Hit<'_>, doc: &Doc<'_>, cx: &NodeCx<'_>) -> Fact {
    match h.value {
        Some(_) => {
            let (shown, evidence) = shown_evidence(doc, h, cx);
            let text = format!("{} is known at plan time ({shown})", name(doc, &h.segs, cx));
            Fact {
                text,
                evidence: vec![evidence],
                related: Vec::new(),
            }
        }
        None => unknown_fact(doc, h, cx),
    }
}

/// A string holding JSON (an IAM policy document), decoded; null stays null.
fn decode(v: &Value) -> Result<Value, String> {
    match v {
        Value::String(s) => serde_json::from_str(s).map_err(|e| format!("is not valid JSON ({e})")),
        Value::Null => Ok(Value::Null),
        _ => Err("is not a JSON string".to_string()),
    }
}

/// The fact for one value of a test, whose outcome is known.
fn hit_fact(
    op: Op,
    p: &Prepared,
    operand: &str,
    h: &Hit<'_>,
    outcome: &Outcome,
    doc: &Doc<'_>,
    cx: &NodeCx<'_>,
) -> Fact {
    let Some(v) = h.value else {
        return unknown_fact(doc, h, cx);
    };
    let name = name(doc, &h.segs, cx);
    let (text, evidence) = match outcome {
        Outcome::Holds(holds) => {
            let (shown, evidence) = shown_evidence(doc, h, cx);
            let text = format!(
                "{name} is {shown}, which {}",
                op.describe(v, p, operand, *holds)
            );
            (text, evidence)
        }
        _ if v.is_null() => (format!("{name} is not set"), evidence(doc, h, cx)),
        Outcome::Error(why) => {
            let (shown, evidence) = shown_evidence(doc, h, cx);
            (format!("{name} is {shown}, which {why}"), evidence)
        }
        Outcome::Unknown => unreachable!("a hit with a value is never unknown"),
    };
    Fact {
        text,
        evidence: vec![evidence],
        related: Vec::new(),
    }
}

fn exists(hits: &[Hit<'_>], doc: &Doc<'_>, cx: &NodeCx<'_>, facts: bool) -> Verdict {
    if let Some(h) = hits.iter().find(|h| h.value.is_some_and(|v| !v.is_null())) {
        if !facts {
            return Verdict::new(Tri::True, Vec::new());
        }
        let (shown, evidence) = shown_evidence(doc, h, cx);
        let text = format!("{} is set ({shown})", name(doc, &h.segs, cx));
        return Verdict::fact(
            Tri::True,
            Fact {
                text,
                evidence: vec![evidence],
                related: Vec::new(),
            },
        );
    }
    if hits.iter().any(|h| h.value.is_none()) {
        let unknown: Vec<Fact> = if facts {
            hits.iter()
                .filter(|h| h.value.is_none())
                .map(|h| unknown_fact(doc, h, cx))
                .collect()
        } else {
            Vec::new()
        };
        return Verdict::new(Tri::Unknown, unknown);
    }
    if !facts {
        return Verdict::new(Tri::False, Vec::new());
    }
    let text = match hits.first() {
        Some(h) => format!("{} is not set", name(doc, &h.segs, cx)),
        None => format!("nothing is set at the path{}", cx.of(doc.node)),
    };
    let evidence = hits.iter().take(1).map(|h| evidence(doc, h, cx)).collect();
    Verdict::fact(
        Tri::False,
        Fact {
            text,
            evidence,
            related: Vec::new(),
        },
    )
}

/// "`tags.Name`", "`cidr_block` of aws_vpc.peer", "`var.environment_suffix`".
fn name(doc: &Doc<'_>, segs: &[Seg], cx: &NodeCx<'_>) -> String {
    match doc.node {
        Some(_) if doc.meta => format!(
            "`meta.{}`{}",
            crate::graph::values::render(segs),
            cx.of(doc.node)
        ),
        Some(_) => {
            let mut name = explain::attr(segs);
            name.push_str(&cx.of(doc.node));
            name
        }
        None => format!("`var.{}`", crate::graph::values::render(segs)),
    }
}

fn unknown_fact(doc: &Doc<'_>, h: &Hit<'_>, cx: &NodeCx<'_>) -> Fact {
    let text = match doc.node {
        // Where an unknown value comes from is told by the graph's edges: before they are
        // resolved the instance is evaluated again once they are (`eval::evaluate_policy`).
        Some(_) if !cx.graph().linked() => {
            cx.pr.explained_unlinked.set(true);
            String::new()
        }
        Some(id) => explain::unknown(cx.graph(), id, &h.segs, &cx.of(doc.node)),
        None => format!("{} is not known", name(doc, &h.segs, cx)),
    };
    Fact {
        text,
        evidence: vec![evidence(doc, h, cx)],
        related: Vec::new(),
    }
}

/// Evidence for one hit: its JSONPath, its resource, and its value unless unknown or
/// sensitive (then `value` is absent and the flag says why).
pub fn evidence(doc: &Doc<'_>, h: &Hit<'_>, cx: &NodeCx<'_>) -> Evidence {
    let redacted = crate::graph::values::sensitive_at(doc.sensitive, &h.segs);
    let (path, resource) = match doc.node {
        Some(id) if doc.meta => (
            format!("meta:{}", jsonpath(&h.segs)),
            cx.graph().shared_address(id),
        ),
        Some(id) => (jsonpath(&h.segs), cx.graph().shared_address(id)),
        None => (jsonpath(&h.segs).replacen('$', "$var", 1), Arc::from("var")),
    };
    Evidence {
        path,
        resource,
        value: if redacted {
            None
        } else {
            h.value.map(crate::report::JsonText::new)
        },
        unknown: h.value.is_none(),
        redacted: redacted && h.value.is_some(),
    }
}

/// The evidence for a hit with a value, and the value as a message shows it
/// (`explain::shown`): cut from the evidence's JSON text, the value serialised once for both
/// (twice, the capped serialisation was ~8 % of `hygiene.missing-required-tags`'s CPU, a
/// tag map per instance).
fn shown_evidence(doc: &Doc<'_>, h: &Hit<'_>, cx: &NodeCx<'_>) -> (String, Evidence) {
    let e = evidence(doc, h, cx);
    let shown = match &e.value {
        Some(text) => super::operand::shorten(text.as_str()),
        None if e.redacted => "(sensitive)".to_string(),
        // Not reached: the hits shown have a value.
        None => explain::shown(h.value.unwrap_or(&Value::Null), doc.sensitive, &h.segs),
    };
    (shown, e)
}

/// A value for a message: shown, or `(sensitive)` / `(known after apply)`.
pub fn message_value(e: &Evidence) -> String {
    match (&e.value, e.redacted, e.unknown) {
        (_, true, _) => "(sensitive)".into(),
        (_, _, true) => "(known after apply)".into(),
        (Some(v), _, _) => match v.value() {
            Value::String(s) => s,
            other => show(&other),
        },
        (None, _, _) => "null".into(),
    }
}
