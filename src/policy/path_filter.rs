//! Which fields a JSONPath filter reads (`@.from_port` in `[?@.from_port == 22]`), so an
//! element whose filtered field is known only after apply counts as unknown, not as "no match".

use crate::graph::values::Seg;
use jsonpath_rust::parser::model::{
    Comparable, Filter, FilterAtom, FnArg, Segment, Selector, SingularQuery, SingularQuerySegment,
    Test, TestFunction,
};

/// The relative paths (`@.from_port`) a filter reads, or `None` when it reads something this
/// analysis cannot name (a function over a non-singular query, a root query).
pub fn filter_fields(f: &Filter) -> Option<Vec<Vec<Seg>>> {
    let mut out = Vec::new();
    walk_filter(f, &mut out).then_some(out)
}

fn walk_filter(f: &Filter, out: &mut Vec<Vec<Seg>>) -> bool {
    match f {
        Filter::Or(fs) | Filter::And(fs) => fs.iter().all(|f| walk_filter(f, out)),
        Filter::Atom(FilterAtom::Filter { expr, .. }) => walk_filter(expr, out),
        Filter::Atom(FilterAtom::Test { expr, .. }) => walk_test(expr, out),
        Filter::Atom(FilterAtom::Comparison(c)) => {
            let (a, b) = c.vals();
            walk_comparable(a, out) && walk_comparable(b, out)
        }
    }
}

fn walk_test(t: &Test, out: &mut Vec<Vec<Seg>>) -> bool {
    match t {
        Test::RelQuery(segs) => {
            let p: Option<Vec<Seg>> = segs
                .iter()
                .map(|s| match s {
                    Segment::Selector(Selector::Name(n)) => Some(Seg::Key(n.clone())),
                    Segment::Selector(Selector::Index(i)) if *i >= 0 => Some(Seg::Idx(*i as usize)),
                    _ => None,
                })
                .collect();
            p.map(|p| out.push(p)).is_some()
        }
        Test::AbsQuery(_) => false,
        Test::Function(func) => walk_function(func, out),
    }
}

fn walk_function(func: &TestFunction, out: &mut Vec<Vec<Seg>>) -> bool {
    let args: Vec<&FnArg> = match func {
        TestFunction::Custom(_, a) => a.iter().collect(),
        TestFunction::Length(a) => vec![a.as_ref()],
        TestFunction::Value(a) | TestFunction::Count(a) => vec![a],
        TestFunction::Search(a, b) | TestFunction::Match(a, b) => vec![a, b],
    };
    args.into_iter().all(|a| match a {
        FnArg::Literal(_) => true,
        FnArg::Test(t) => walk_test(t, out),
        FnArg::Filter(f) => walk_filter(f, out),
    })
}

fn walk_comparable(c: &Comparable, out: &mut Vec<Vec<Seg>>) -> bool {
    match c {
        Comparable::Literal(_) => true,
        Comparable::Function(f) => walk_function(f, out),
        Comparable::SingularQuery(SingularQuery::Current(segs)) => {
            let p: Option<Vec<Seg>> = segs
                .iter()
                .map(|s| match s {
                    SingularQuerySegment::Name(n) => Some(Seg::Key(n.clone())),
                    SingularQuerySegment::Index(i) if *i >= 0 => Some(Seg::Idx(*i as usize)),
                    SingularQuerySegment::Index(_) => None,
                })
                .collect();
            p.map(|p| out.push(p)).is_some()
        }
        Comparable::SingularQuery(SingularQuery::Root(_)) => false,
    }
}
