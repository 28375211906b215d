//! The verdict of a relation: membership after `where`, counts (`min`, `max`) and the
//! quantified conditions on each member, in three-valued logic.
//!
//! Ambiguous edges are not all alike: when one reference of a certain instance could mean
//! several candidates, one of them (or all) is real. So a count gains one per such group, and a
//! group whose candidates all fail (or all pass) decides `all` (or `any`) even though nobody
//! knows which candidate is real.

use super::cond::{decide, eval as eval_cond};
use super::context::NodeCx;
use super::model::{Direction, Hop, Quantifier, Relation};
use super::relation::{related, Member};
use super::tri::{Fact, Tri, Verdict, MAX_FACTS};
use crate::graph::NodeId;

/// A member with its membership after `where`.
struct Scored<'m> {
    m: &'m Member,
    /// Membership: true, false, or unknown (ambiguous edge, unknown `where`).
    tri: Tri,
    /// `where` itself held for sure.
    where_true: bool,
    facts: Vec<Fact>,
}

/// Evaluate a relation from the current subject.
pub fn eval<'a>(r: &'a Relation, cx: &NodeCx<'a>) -> Verdict {
    let g = cx.graph();
    let (members, phantoms) = related(r, cx);
    let name = r.name.as_deref();
    let mut scored: Vec<Scored<'_>> = Vec::new();
    for m in &members {
        let sub = cx.with_subject(m.id, name);
        // The facts of `where` are kept only when it is unknown: build them only then.
        let wt = r.filter.as_ref().map_or(Tri::True, |f| decide(f, &sub));
        let tri = if m.certain { wt } else { wt.and(Tri::Unknown) };
        let facts = match &r.filter {
            Some(f) if wt == Tri::Unknown => eval_cond(f, &sub).facts,
            _ => Vec::new(),
        };
        scored.push(Scored {
            m,
            tri,
            where_true: wt == Tri::True,
            facts,
        });
    }
    let ambiguity = ambiguity_facts(cx, &scored);
    let addresses: Vec<String> = scored
        .iter()
        .filter(|s| s.tri != Tri::False)
        .map(|s| g.node(s.m.id).address.clone())
        .collect();
    let count = count_verdict(r, cx, &scored, &phantoms, &ambiguity);
    let mut verdict = if r.assert.is_empty() {
        count
    } else {
        Verdict::all(vec![
            count,
            quantified(r, cx, &scored, &phantoms, &ambiguity),
        ])
    };
    for f in &mut verdict.facts {
        if f.related.is_empty() {
            f.related = addresses.clone();
        }
    }
    verdict
}

/// Groups of candidates of one ambiguous reference where one candidate is surely real.
fn sure_groups<'s, 'm>(scored: &'s [Scored<'m>]) -> Vec<Vec<&'s Scored<'m>>> {
    let mut groups: Vec<((NodeId, &str), Vec<&Scored<'_>>)> = Vec::new();
    for s in scored
        .iter()
        .filter(|s| s.m.direct && s.tri == Tri::Unknown)
    {
        let Some((from, attr)) = &s.m.origin else {
            continue;
        };
        let key = (*from, attr.as_str());
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.1.push(s),
            None => groups.push((key, vec![s])),
        }
    }
    groups
        .into_iter()
        .map(|g| g.1)
        .filter(|g| g.iter().all(|s| s.where_true))
        .collect()
}

/// One sentence per ambiguous reference, instead of one per candidate.
fn ambiguity_facts(cx: &NodeCx<'_>, scored: &[Scored<'_>]) -> Vec<Fact> {
    let g = cx.graph();
    let mut groups: Vec<(&(NodeId, String), bool, Vec<&str>)> = Vec::new();
    for s in scored.iter().filter(|s| !s.m.certain) {
        let Some(origin) = &s.m.origin else { continue };
        let address = g.node(s.m.id).address.as_str();
        match groups.iter_mut().find(|x| x.0 == origin) {
            Some(x) => x.2.push(address),
            None => groups.push((origin, s.m.direct, vec![address])),
        }
    }
    let mut facts: Vec<Fact> = groups
        .into_iter()
        .map(|((from, attr), direct, list)| {
            let from = &g.node(*from).address;
            let shown = list.iter().take(3).copied().collect::<Vec<_>>().join(", ");
            let more = if list.len() > 3 { ", …" } else { "" };
            let text = if direct {
                format!("`{attr}` of {from} may refer to any of {} instances ({shown}{more}): the index could not be lined up", list.len())
            } else {
                format!("`{attr}` of {from} could not be lined up with one instance, so {} related instance(s) are uncertain ({shown}{more})", list.len())
            };
            Fact::text(text)
        })
        .collect();
    for s in scored.iter().filter(|s| s.tri == Tri::Unknown) {
        facts.extend(s.facts.iter().cloned());
    }
    facts.truncate(MAX_FACTS);
    facts
}

fn count_verdict(
    r: &Relation,
    cx: &NodeCx<'_>,
    scored: &[Scored<'_>],
    phantoms: &[String],
    ambiguity: &[Fact],
) -> Verdict {
    let sure = scored.iter().filter(|s| s.tri == Tri::True).count();
    let lo = sure + sure_groups(scored).len();
    let hi = scored.iter().filter(|s| s.tri != Tri::False).count() + phantoms.len();
    let min_ok = if lo >= r.min {
        Tri::True
    } else if hi < r.min {
        Tri::False
    } else {
        Tri::Unknown
    };
    let max_ok = match r.max {
        None => Tri::True,
        Some(max) if hi <= max => Tri::True,
        Some(max) if lo > max => Tri::False,
        Some(_) => Tri::Unknown,
    };
    let tri = min_ok.and(max_ok);
    let certain: Vec<String> = scored
        .iter()
        .filter(|s| s.tri == Tri::True)
        .map(|s| cx.graph().node(s.m.id).address.clone())
        .collect();
    let mut facts = vec![Fact::text(sentence(r, cx, &certain))];
    if tri == Tri::Unknown {
        facts.extend(ambiguity.iter().cloned());
        facts.extend(
            phantoms
                .iter()
                .take(MAX_FACTS)
                .map(|p| Fact::text(p.clone())),
        );
    }
    Verdict::new(tri, facts)
}

fn quantified(
    r: &Relation,
    cx: &NodeCx<'_>,
    scored: &[Scored<'_>],
    phantoms: &[String],
    ambiguity: &[Fact],
) -> Verdict {
    let g = cx.graph();
    let mut asserted: Vec<(&Scored<'_>, Verdict)> = Vec::new();
    let mut items = Vec::new();
    for s in scored.iter().filter(|s| s.tri != Tri::False) {
        let sub = cx.with_subject(s.m.id, r.name.as_deref());
        let mut a = Verdict::all(r.assert.iter().map(|c| eval_cond(c, &sub)).collect());
        let address = g.node(s.m.id).address.clone();
        for f in &mut a.facts {
            if f.related.is_empty() {
                f.related = vec![address.clone()];
            }
        }
        let item = match (s.tri, r.quantifier) {
            (Tri::True, _) => a.clone(),
            (_, Quantifier::All) if a.tri == Tri::True => a.clone(),
            (_, Quantifier::Any | Quantifier::None) if a.tri == Tri::False => a.clone(),
            _ => {
                let mut facts = ambiguity.to_vec();
                facts.extend(a.facts.iter().cloned());
                Verdict::new(Tri::Unknown, facts)
            }
        };
        asserted.push((s, a));
        items.push(item);
    }
    // A group of candidates that all fail (or all pass) decides, whichever is real.
    let decided_by_group = |want: Tri| -> Option<Verdict> {
        sure_groups(scored).into_iter().find_map(|grp| {
            let verdicts: Vec<&Verdict> = grp
                .iter()
                .filter_map(|s| {
                    asserted
                        .iter()
                        .find(|(x, _)| x.m.id == s.m.id)
                        .map(|x| &x.1)
                })
                .collect();
            (!verdicts.is_empty() && verdicts.iter().all(|v| v.tri == want)).then(|| {
                let facts = verdicts
                    .iter()
                    .flat_map(|v| v.facts.iter().cloned())
                    .take(MAX_FACTS)
                    .collect();
                Verdict::new(want, facts)
            })
        })
    };
    let phantom_facts = || {
        phantoms
            .iter()
            .take(MAX_FACTS)
            .map(|p| Fact::text(p.clone()))
            .collect::<Vec<_>>()
    };
    match r.quantifier {
        Quantifier::All => {
            let v = Verdict::all(items);
            match v.tri {
                Tri::Unknown => decided_by_group(Tri::False).unwrap_or(v),
                Tri::True if !phantoms.is_empty() => Verdict::new(Tri::Unknown, phantom_facts()),
                _ => v,
            }
        }
        Quantifier::Any | Quantifier::None => {
            let mut v = Verdict::any(items);
            if v.tri == Tri::Unknown {
                v = decided_by_group(Tri::True).unwrap_or(v);
            }
            if v.tri == Tri::False && !phantoms.is_empty() {
                v = Verdict::new(Tri::Unknown, phantom_facts());
            }
            if v.facts.is_empty() {
                v.facts.push(Fact::text(sentence(r, cx, &[])));
            }
            if r.quantifier == Quantifier::None {
                v.negate()
            } else {
                v
            }
        }
    }
}

/// "no aws_s3_bucket_public_access_block refers to it through `bucket`", "it refers to 1
/// aws_vpc_peering_connection through `vpc_peering_connection_id` (aws_vpc_peering_connection.p)".
fn sentence(r: &Relation, cx: &NodeCx<'_>, members: &[String]) -> String {
    let who = if cx.subject == cx.self_node {
        "it".to_string()
    } else {
        cx.graph().node(cx.subject).address.clone()
    };
    let n = if members.is_empty() {
        "no".to_string()
    } else {
        members.len().to_string()
    };
    let list = if members.is_empty() {
        String::new()
    } else {
        let shown: Vec<&str> = members.iter().take(5).map(String::as_str).collect();
        let more = if members.len() > 5 {
            format!(", and {} more", members.len() - 5)
        } else {
            String::new()
        };
        format!(" ({}{more})", shown.join(", "))
    };
    let types = |h: &Hop| h.type_patterns.join(" or ");
    let attrs = |h: &Hop| {
        if h.attribute_patterns.is_empty() {
            "any attribute".to_string()
        } else {
            h.attribute_patterns
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        }
    };
    match r.hops.as_slice() {
        [h] if h.direction == Direction::Incoming => {
            let verb = if members.len() <= 1 {
                "refers"
            } else {
                "refer"
            };
            format!(
                "{n} {} {verb} to {who} through {}{list}",
                types(h),
                attrs(h)
            )
        }
        [h] if h.direction == Direction::Sibling => {
            let place = if cx.graph().node(cx.subject).module.is_empty() {
                "the root module".to_string()
            } else {
                cx.graph().node(cx.subject).module.clone()
            };
            format!("{who} has {n} sibling {} in {place}{list}", types(h))
        }
        [h] => format!(
            "{who} refers to {n} {} through {}{list}",
            types(h),
            attrs(h)
        ),
        hops => {
            let chain: Vec<String> = hops
                .iter()
                .map(|h| match h.direction {
                    Direction::Outgoing => format!("→ {} → {}", attrs(h), types(h)),
                    Direction::Incoming => format!("← {} ← {}", attrs(h), types(h)),
                    Direction::Sibling => format!("~ sibling {}", types(h)),
                })
                .collect();
            let last = hops.last().map(types).unwrap_or_default();
            format!("{who} is linked to {n} {last} ({}){list}", chain.join(" "))
        }
    }
}
