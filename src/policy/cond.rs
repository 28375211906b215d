//! Evaluating conditions on one instance: value tests over JSONPath hits (with quantifiers and
//! unknown values), combinations, and relations (in `relation`).

use super::context::{Doc, NodeCx};
use super::explain;
use super::model::{Condition, Operand, Quantifier, ScopedPath, Test};
use super::ops::{show, Op, Prepared};
use super::path::{render as jsonpath, Hit};
use super::tri::{Fact, Tri, Verdict};
use crate::graph::values::Seg;
use crate::report::Evidence;
use serde_json::Value;

/// Evaluate a condition with the given bindings.
pub fn eval<'a>(c: &'a Condition, cx: &NodeCx<'a>) -> Verdict {
    match c {
        Condition::All(cs) => Verdict::all(cs.iter().map(|c| eval(c, cx)).collect()),
        Condition::Any(cs) => Verdict::any(cs.iter().map(|c| eval(c, cx)).collect()),
        Condition::Not(c) => eval(c, cx).negate(),
        Condition::Test(t) => test(t, cx),
        Condition::Relation(r) => super::relation_eval::eval(r, cx),
    }
}

/// The operand, ready: prepared, and how it is shown. `Err` is the verdict when it cannot be
/// had (an unknown value, a missing variable).
fn operand<'c>(
    t: &'c Test,
    cx: &NodeCx<'c>,
) -> Result<(std::borrow::Cow<'c, Prepared>, String), Verdict> {
    match &t.operand {
        Operand::None => Ok((std::borrow::Cow::Owned(Prepared::None), String::new())),
        Operand::Literal { raw, prepared } => Ok((
            std::borrow::Cow::Borrowed(prepared),
            t.op.show_operand(prepared, raw),
        )),
        Operand::Template { raw, slot } => match cx.pr.operand(*slot, raw, t.op) {
            Ok((v, p)) => Ok((std::borrow::Cow::Borrowed(p), t.op.show_operand(p, v))),
            Err(e) => Err(Verdict::fact(Tri::Unknown, Fact::text(e.clone()))),
        },
        Operand::Path(sp) => {
            path_operand(t.op, sp, cx).map(|(p, s)| (std::borrow::Cow::Owned(p), s))
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
        Err(e) => Err(Verdict::fact(
            Tri::False,
            Fact::text(format!("{name} cannot be compared: {e}")),
        )),
    }
}

fn path_operand(op: Op, sp: &ScopedPath, cx: &NodeCx<'_>) -> Result<(Prepared, String), Verdict> {
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
    let values: Vec<&Value> = hits.iter().filter_map(|h| h.value).collect();
    let v = match values.as_slice() {
        [] => Value::Null,
        [one] => (*one).clone(),
        many => Value::Array(many.iter().map(|v| (*v).clone()).collect()),
    };
    let sensitive = hits
        .iter()
        .any(|h| crate::graph::values::sensitive_at(doc.sensitive, &h.segs));
    let name = match hits.as_slice() {
        [one] if path.is_singular() => name(&doc, &one.segs, cx),
        _ => format!("`{}`{}", path.text(), cx.of(doc.node)),
    };
    match op.prepare(&v) {
        Ok(p) => {
            let shown = if sensitive {
                format!("{name} (sensitive)")
            } else {
                format!("{name} ({})", op.show_operand(&p, &v))
            };
            Ok((p, shown))
        }
        Err(e) => Err(Verdict::fact(
            Tri::False,
            Fact::text(format!("{name} cannot be compared: {e}")),
        )),
    }
}

fn test<'a>(t: &'a Test, cx: &NodeCx<'a>) -> Verdict {
    let doc = cx.doc(&t.path.scope);
    let raw = t.path.at(cx.env()).select(doc.values, doc.unknown);
    let store: Vec<(Vec<Seg>, Value)>;
    let mut not_json: Vec<Verdict> = Vec::new();
    let hits: Vec<Hit<'_>> = match &t.json {
        None => raw,
        Some(inner) => {
            let mut out = Vec::new();
            let mut docs = Vec::new();
            for h in raw {
                match h.value.map(decode) {
                    None => out.push(h),
                    Some(Ok(v)) => docs.push((h.segs, v)),
                    Some(Err(why)) => {
                        let text = format!("{} {why}", name(&doc, &h.segs, cx));
                        not_json.push(Verdict::fact(Tri::False, Fact::text(text)));
                    }
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
    if matches!(t.op, Op::Exists | Op::Absent | Op::Known) {
        if !not_json.is_empty() {
            // A string that is not JSON is a type error either way.
            return Verdict::all(not_json);
        }
        return match t.op {
            Op::Known => quantify(t, known(&hits, &doc, cx), &doc, cx),
            Op::Absent => exists(&hits, &doc, cx).negate(),
            _ => exists(&hits, &doc, cx),
        };
    }
    let (prepared, shown_operand) = match operand(t, cx) {
        Ok(x) => x,
        Err(v) => return v,
    };
    let mut per_hit: Vec<Verdict> = hits
        .iter()
        .map(|h| hit(t.op, &prepared, &shown_operand, h, &doc, cx))
        .collect();
    per_hit.append(&mut not_json);
    quantify(t, per_hit, &doc, cx)
}

/// Combine the verdicts of the values a path selects by the test's quantifier. Over no values
/// `all` and `none` hold and `any` does not.
fn quantify(t: &Test, per_hit: Vec<Verdict>, doc: &Doc<'_>, cx: &NodeCx<'_>) -> Verdict {
    if per_hit.is_empty() {
        let fact = Fact::text(format!(
            "`{}`{} selects nothing",
            t.path.at(cx.env()).text(),
            cx.of(doc.node)
        ));
        let tri = if t.quantifier == Quantifier::Any {
            Tri::False
        } else {
            Tri::True
        };
        return Verdict::fact(tri, fact);
    }
    match t.quantifier {
        Quantifier::All => Verdict::all(per_hit),
        Quantifier::Any => Verdict::any(per_hit),
        Quantifier::None => Verdict::any(per_hit).negate(),
    }
}

/// `known`, per value: true when the plan holds the value (its parts may still be unknown),
/// false when it is known only after apply — never unknown itself, so a policy can branch on
/// it (a name that is computed from its `name_prefix`).
fn known(hits: &[Hit<'_>], doc: &Doc<'_>, cx: &NodeCx<'_>) -> Vec<Verdict> {
    hits.iter()
        .map(|h| match h.value {
            Some(v) => {
                let shown = explain::shown(v, doc.sensitive, &h.segs);
                let text = format!("{} is known at plan time ({shown})", name(doc, &h.segs, cx));
                Verdict::fact(
                    Tri::True,
                    Fact {
                        text,
                        evidence: vec![evidence(doc, h, cx)],
                        related: Vec::new(),
                    },
                )
            }
            None => Verdict::fact(Tri::False, unknown_fact(doc, h, cx)),
        })
        .collect()
}

/// A string holding JSON (an IAM policy document), decoded; null stays null.
fn decode(v: &Value) -> Result<Value, String> {
    match v {
        Value::String(s) => serde_json::from_str(s).map_err(|e| format!("is not valid JSON ({e})")),
        Value::Null => Ok(Value::Null),
        _ => Err("is not a JSON string".to_string()),
    }
}

fn hit(
    op: Op,
    p: &Prepared,
    operand: &str,
    h: &Hit<'_>,
    doc: &Doc<'_>,
    cx: &NodeCx<'_>,
) -> Verdict {
    let Some(v) = h.value else {
        return Verdict::fact(Tri::Unknown, unknown_fact(doc, h, cx));
    };
    let name = name(doc, &h.segs, cx);
    let shown = explain::shown(v, doc.sensitive, &h.segs);
    let (tri, text) = match op.apply(v, p) {
        Ok(holds) => (
            Tri::from_bool(holds),
            format!(
                "{name} is {shown}, which {}",
                op.describe(v, p, operand, holds)
            ),
        ),
        Err(_) if v.is_null() => (Tri::False, format!("{name} is not set")),
        Err(why) => (Tri::False, format!("{name} is {shown}, which {why}")),
    };
    Verdict::fact(
        tri,
        Fact {
            text,
            evidence: vec![evidence(doc, h, cx)],
            related: Vec::new(),
        },
    )
}

fn exists(hits: &[Hit<'_>], doc: &Doc<'_>, cx: &NodeCx<'_>) -> Verdict {
    if let Some(h) = hits.iter().find(|h| h.value.is_some_and(|v| !v.is_null())) {
        let shown = explain::shown(h.value.unwrap_or(&Value::Null), doc.sensitive, &h.segs);
        let text = format!("{} is set ({shown})", name(doc, &h.segs, cx));
        return Verdict::fact(
            Tri::True,
            Fact {
                text,
                evidence: vec![evidence(doc, h, cx)],
                related: Vec::new(),
            },
        );
    }
    let unknown: Vec<Fact> = hits
        .iter()
        .filter(|h| h.value.is_none())
        .map(|h| unknown_fact(doc, h, cx))
        .collect();
    if !unknown.is_empty() {
        return Verdict::new(Tri::Unknown, unknown);
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
        Some(_) => format!("{}{}", explain::attr(segs), cx.of(doc.node)),
        None => format!("`var.{}`", crate::graph::values::render(segs)),
    }
}

fn unknown_fact(doc: &Doc<'_>, h: &Hit<'_>, cx: &NodeCx<'_>) -> Fact {
    let text = match doc.node {
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
            cx.graph().node(id).address.clone(),
        ),
        Some(id) => (jsonpath(&h.segs), cx.graph().node(id).address.clone()),
        None => (
            jsonpath(&h.segs).replacen('$', "$var", 1),
            "var".to_string(),
        ),
    };
    Evidence {
        path,
        resource,
        value: if redacted { None } else { h.value.cloned() },
        unknown: h.value.is_none(),
        redacted: redacted && h.value.is_some(),
    }
}

/// A value for a message: shown, or `(sensitive)` / `(known after apply)`.
pub fn message_value(e: &Evidence) -> String {
    match (&e.value, e.redacted, e.unknown) {
        (_, true, _) => "(sensitive)".into(),
        (_, _, true) => "(known after apply)".into(),
        (Some(v), _, _) => match v {
            Value::String(s) => s.clone(),
            other => show(other),
        },
        (None, _, _) => "null".into(),
    }
}
