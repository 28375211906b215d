//! Relations: raw → validated (name, hops, `where`, counts, quantifier, nested asserts and
//! relations), every problem reported with its position.

use super::model::*;
use super::raw::{RawHop, RawRelation, S};
use super::validate::Ctx;
use super::validate_cond::{condition, QUANTIFIERS};
use crate::plan::Mode;

/// Validate a relation. `top` allows `message`.
pub fn relation(
    cx: &mut Ctx<'_>,
    rel: &S<RawRelation>,
    names: &[String],
    top: bool,
) -> Option<Relation> {
    let r = rel.get_ref();
    if r.message.is_some() && !top {
        cx.err(
            rel.span(),
            "`message` belongs on a top-level [[relation]], not on a nested one",
        );
    }
    let name = r.name.as_ref().and_then(|n| relation_name(cx, n, names));
    let hops = hops(cx, rel);
    let mut inner: Vec<String> = names.to_vec();
    if let Some(n) = &name {
        inner.push(n.clone());
    }
    let filter = r.filter.as_ref().map(|c| condition(cx, c, &inner, false));
    let mut assert = Vec::new();
    for a in &r.assert {
        assert.push(condition(cx, a, &inner, false));
    }
    for n in &r.relation {
        assert.push(relation(cx, n, &inner, false).map(|x| Condition::Relation(Box::new(x))));
    }
    let quantifier = r
        .quantifier
        .as_ref()
        .map(|q| cx.word(q, "quantifier", &QUANTIFIERS));
    let count = |cx: &mut Ctx<'_>, v: &Option<S<i64>>, key: &str| -> Option<Option<usize>> {
        match v {
            None => Some(None),
            Some(n) if *n.get_ref() >= 0 => Some(Some(*n.get_ref() as usize)),
            Some(n) => {
                cx.err(n.span(), format!("`{key}` is a count; use 0 or more"));
                None
            }
        }
    };
    let min = count(cx, &r.min, "min");
    let max = count(cx, &r.max, "max");
    if let (Some(Some(lo)), Some(Some(hi))) = (min, max) {
        if lo > hi {
            cx.err(
                rel.span(),
                format!("min = {lo} is above max = {hi}; no count can satisfy both"),
            );
        }
    }
    let quantifier = quantifier.unwrap_or(Some(Quantifier::All))?;
    let (min, max) = (min?, max?);
    let min = min.unwrap_or(if max.is_some() || quantifier == Quantifier::None {
        0
    } else {
        1
    });
    Some(Relation {
        name,
        hops: hops?,
        filter: filter.map_or(Some(None), |f| f.map(Some))?,
        min,
        max,
        quantifier,
        assert: assert.into_iter().collect::<Option<Vec<_>>>()?,
    })
}

fn relation_name(cx: &mut Ctx<'_>, n: &S<String>, names: &[String]) -> Option<String> {
    let s = n.get_ref();
    let ok = s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok || s == "self" || s == "var" || s == "meta" {
        cx.err(n.span(), format!("relation name {s:?} must be a lowercase identifier (letters, digits, `_`) other than `self`, `var` and `meta`"));
        return None;
    }
    if names.contains(s) {
        cx.err(
            n.span(),
            format!("relation name {s:?} is already used by an enclosing relation; pick another"),
        );
        return None;
    }
    Some(s.clone())
}

fn hops(cx: &mut Ctx<'_>, rel: &S<RawRelation>) -> Option<Vec<Hop>> {
    let r = rel.get_ref();
    match &r.path {
        Some(path) => {
            if r.type_.is_some()
                || r.attribute.is_some()
                || r.direction.is_some()
                || r.mode.is_some()
            {
                cx.err(rel.span(), "give the hops either in `path = [...]` or with `type`/`attribute`/`direction`/`mode`, not both");
                return None;
            }
            if path.is_empty() {
                cx.err(
                    rel.span(),
                    "`path` is empty; list at least one hop { type = \"…\", attribute = \"…\" }",
                );
                return None;
            }
            path.iter()
                .map(|h| hop_of(cx, h))
                .collect::<Vec<_>>()
                .into_iter()
                .collect()
        }
        None => {
            let Some(t) = &r.type_ else {
                cx.err(rel.span(), "a relation needs `type`, the related resource type (or `path = [...]` for several hops)");
                return None;
            };
            hop(
                cx,
                t,
                r.attribute.as_ref(),
                r.direction.as_ref(),
                r.mode.as_ref(),
            )
            .map(|h| vec![h])
        }
    }
}

fn hop_of(cx: &mut Ctx<'_>, h: &S<RawHop>) -> Option<Hop> {
    let h = h.get_ref();
    hop(
        cx,
        &h.type_,
        h.attribute.as_ref(),
        h.direction.as_ref(),
        h.mode.as_ref(),
    )
}

fn hop(
    cx: &mut Ctx<'_>,
    t: &S<toml::Value>,
    attribute: Option<&S<toml::Value>>,
    direction: Option<&S<String>>,
    mode: Option<&S<String>>,
) -> Option<Hop> {
    let types = cx.globs(t, "type");
    let attributes = match attribute {
        None => Some(None),
        Some(a) => cx.strings(a, "attribute").and_then(|pats| {
            let norm: Vec<String> = pats
                .iter()
                .map(|p| super::relation::strip_indexes(p))
                .collect();
            match super::ops::globs(&norm) {
                Ok(g) => Some(Some((g, pats))),
                Err(e) => {
                    cx.err(a.span(), format!("`attribute`: {e}"));
                    None
                }
            }
        }),
    };
    let direction = match direction {
        None => Some(Direction::Outgoing),
        Some(d) => cx.word(
            d,
            "direction",
            &[
                ("outgoing", Direction::Outgoing),
                ("incoming", Direction::Incoming),
                ("sibling", Direction::Sibling),
            ],
        ),
    };
    if let (Some(Direction::Sibling), Some(a)) = (direction, attribute) {
        cx.err(
            a.span(),
            "a sibling hop follows no edge, so it takes no `attribute`; remove it (siblings are the other instances of `type` in the same module instance)",
        );
    }
    let mode = match mode {
        None => Some(None),
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
    let (types, type_patterns) = types?;
    let attributes = attributes?;
    cx.hop_slots += 1;
    Some(Hop {
        types,
        type_patterns,
        attribute_patterns: attributes.as_ref().map(|a| a.1.clone()).unwrap_or_default(),
        attributes: attributes.map(|a| a.0),
        direction: direction?,
        mode: mode?,
        slot: cx.hop_slots - 1,
    })
}
