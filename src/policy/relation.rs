//! Relations over the resolved graph: the related set — one or more hops along edges, in
//! either direction, or to the siblings in the same module instance — with what makes it
//! uncertain. The verdict (`where`, counts,
//! quantifiers) is in `relation_eval`.
//!
//! A member reached through an ambiguous edge is only *possibly* related; a reference the
//! graph could not follow on a matching attribute is a possible member nobody can name. Both
//! make the answer unknown unless it is decided without them — never a silent pass.

use super::context::NodeCx;
use super::model::{Direction, Hop, Relation};
use crate::graph::{Graph, NodeId};

/// `route[0].gateway_id` → `route.gateway_id`: attribute globs ignore list indexes.
pub fn strip_indexes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '[' => depth += 1,
            ']' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn attribute_matches(hop: &Hop, attribute: &str) -> bool {
    match &hop.attributes {
        None => attribute != "depends_on",
        Some(g) => g.is_match(strip_indexes(attribute)),
    }
}

fn node_matches(hop: &Hop, graph: &Graph, id: NodeId) -> bool {
    let n = graph.node(id);
    n.deposed.is_none() && hop.types.is_match(&n.type_) && hop.mode.is_none_or(|m| m == n.mode)
}

/// Could an unresolved reference point at an instance of the hop's types? A reference to a
/// resource of another type cannot; `local.`, `module.`, `var.` and the like can.
fn plausible(hop: &Hop, reference: &str) -> bool {
    let r = reference.strip_prefix("data.").unwrap_or(reference);
    let first = r.split(['.', '[']).next().unwrap_or(r);
    let meta = [
        "var",
        "local",
        "module",
        "each",
        "count",
        "path",
        "terraform",
        "self",
    ];
    if meta.contains(&first) || !first.contains('_') {
        return true;
    }
    hop.types.is_match(first)
}

/// One possibly related instance.
pub struct Member {
    pub id: NodeId,
    /// Related for sure (every edge on the way is unambiguous).
    pub certain: bool,
    /// The ambiguous edge that made it uncertain: (from, attribute).
    pub origin: Option<(NodeId, String)>,
    /// The ambiguous edge is the last hop's, from a certain instance: one of the candidates of
    /// the same origin is real (the reference names one of them, or all).
    pub direct: bool,
}

/// The related set: members, and the reasons some may be missing (unresolved references).
pub fn related(r: &Relation, cx: &NodeCx<'_>) -> (Vec<Member>, Vec<String>) {
    let g = cx.graph();
    let mut frontier = vec![Member {
        id: cx.subject,
        certain: true,
        origin: None,
        direct: false,
    }];
    let mut phantoms: Vec<String> = Vec::new();
    for hop in &r.hops {
        let mut next: Vec<Member> = Vec::new();
        let mut add = |m: Member| match next.iter_mut().find(|x| x.id == m.id) {
            Some(x) if m.certain && !x.certain => *x = m,
            Some(_) => {}
            None => next.push(m),
        };
        for m in &frontier {
            let from = &g.node(m.id).address;
            match hop.direction {
                Direction::Outgoing => {
                    for e in g.outgoing(m.id).filter(|e| {
                        attribute_matches(hop, &e.attribute) && node_matches(hop, g, e.to)
                    }) {
                        let direct = e.ambiguous && m.certain;
                        let origin = if direct {
                            Some((m.id, e.attribute.clone()))
                        } else {
                            m.origin.clone()
                        };
                        add(Member {
                            id: e.to,
                            certain: m.certain && !e.ambiguous,
                            origin,
                            direct,
                        });
                    }
                    for u in g.unresolved_of(m.id).filter(|u| {
                        attribute_matches(hop, &u.attribute) && plausible(hop, &u.reference)
                    }) {
                        phantoms.push(unresolved_text(&u.attribute, from, &u.reference, &u.reason));
                    }
                }
                Direction::Sibling => {
                    let here = &g.node(m.id).module;
                    for t in g.types().into_iter().filter(|t| hop.types.is_match(t)) {
                        for &id in g.of_type(t) {
                            if id != m.id && &g.node(id).module == here && node_matches(hop, g, id)
                            {
                                add(Member {
                                    id,
                                    certain: m.certain,
                                    origin: m.origin.clone(),
                                    direct: false,
                                });
                            }
                        }
                    }
                }
                Direction::Incoming => {
                    for e in g.incoming(m.id).filter(|e| {
                        attribute_matches(hop, &e.attribute) && node_matches(hop, g, e.from)
                    }) {
                        // The referring instance may mean another instance than this one.
                        let origin = if e.ambiguous {
                            Some((e.from, e.attribute.clone()))
                        } else {
                            m.origin.clone()
                        };
                        add(Member {
                            id: e.from,
                            certain: m.certain && !e.ambiguous,
                            origin,
                            direct: false,
                        });
                    }
                    for (other, reason) in incoming_unresolved(hop, cx) {
                        if *other != m.id {
                            phantoms.push(format!("{reason} (it may refer to {from})"));
                        }
                    }
                }
            }
        }
        frontier = next;
    }
    phantoms.sort();
    phantoms.dedup();
    (frontier, phantoms)
}

/// "`bucket` of X cannot be linked: `local.b` cannot be followed: locals are not in the plan JSON".
pub fn unresolved_text(attribute: &str, from: &str, reference: &str, reason: &str) -> String {
    if reason.contains(reference) {
        format!("`{attribute}` of {from} cannot be linked: {reason}")
    } else {
        format!("`{attribute}` of {from} cannot be linked: its reference `{reference}` cannot be followed: {reason}")
    }
}

/// Instances of the hop's types whose matching attribute holds a reference that could not be
/// followed — computed once per hop per run.
fn incoming_unresolved<'a>(hop: &Hop, cx: &NodeCx<'a>) -> &'a [(NodeId, String)] {
    let g = cx.graph();
    cx.pr.incoming_unresolved[hop.slot].get_or_init(|| {
        let mut out = Vec::new();
        for t in g.types() {
            if !hop.types.is_match(t) {
                continue;
            }
            for &id in g.of_type(t) {
                if !node_matches(hop, g, id) {
                    continue;
                }
                for u in g
                    .unresolved_of(id)
                    .filter(|u| attribute_matches(hop, &u.attribute))
                {
                    out.push((
                        id,
                        unresolved_text(&u.attribute, &g.node(id).address, &u.reference, &u.reason),
                    ));
                }
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn strips_indexes() {
        assert_eq!(
            super::strip_indexes("route[0].gateway_id"),
            "route.gateway_id"
        );
        assert_eq!(super::strip_indexes("tags[\"a\"]"), "tags");
        assert_eq!(super::strip_indexes("route[*].x"), "route.x");
    }
}
