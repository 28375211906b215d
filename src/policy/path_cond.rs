//! Filter expressions (`[?@.from_port <= 3306 && @.protocol == 'tcp']`) evaluated directly on
//! the values, with the semantics of jsonpath-rust's evaluator.
//!
//! jsonpath-rust evaluates a filter by building a query state per item and per operand, with
//! a formatted path string per step; policies filter every ingress rule, route and policy
//! statement of every instance, and that evaluation was the costliest part of the costliest
//! policies. The filters policies write are comparisons and existence tests of singular
//! queries (`@.a.b`, `@[0]`, `$.x`) against literals, joined by `&&`, `||` and `!`: those are
//! compiled here once, at load ([`Cond::compile`]). Anything else (function calls such as
//! `length()` or `match()`, non-singular tests such as `@.*`) is not compiled, and the walk
//! hands those filters to jsonpath-rust as before.
//!
//! The answers are jsonpath-rust's, not a reading of RFC 9535: numbers compare as `f64`
//! (equal within `f64::EPSILON`), strings by bytes, other values by JSON equality; an absent
//! operand equals only another absent operand and is neither less nor greater than anything.
//! The test `path_cond_agrees_with_jsonpath_rust` holds the two side by side.

use jsonpath_rust::parser::model::{
    Comparable, Comparison, Filter, FilterAtom, Literal, Segment, Selector, SingularQuery,
    SingularQuerySegment, Test,
};
use serde_json::Value;

/// A compiled filter expression.
#[derive(Debug, Clone)]
pub enum Cond {
    Or(Vec<Cond>),
    And(Vec<Cond>),
    Not(Box<Cond>),
    /// True when the query finds a value (whatever it is, `null` included).
    Exists(Query),
    Cmp(Op, Operand, Operand),
}

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
pub enum Operand {
    Literal(Value),
    Query(Query),
}

/// A singular query from the item (`@`) or from the filtered value (`$`).
#[derive(Debug, Clone)]
pub struct Query {
    from_root: bool,
    steps: Vec<Step>,
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(i64),
}

impl Cond {
    /// The compiled form of `f`, or `None` when it uses what is not compiled here.
    pub fn compile(f: &Filter) -> Option<Cond> {
        Some(match f {
            Filter::Or(fs) => Cond::Or(fs.iter().map(Cond::compile).collect::<Option<_>>()?),
            Filter::And(fs) => Cond::And(fs.iter().map(Cond::compile).collect::<Option<_>>()?),
            Filter::Atom(a) => match a {
                FilterAtom::Filter { expr, not } => negate(Cond::compile(expr)?, *not),
                FilterAtom::Test { expr, not } => {
                    let q = match &**expr {
                        Test::RelQuery(segs) => Query::of_segments(false, segs)?,
                        Test::AbsQuery(q) => Query::of_segments(true, &q.segments)?,
                        Test::Function(_) => return None,
                    };
                    negate(Cond::Exists(q), *not)
                }
                FilterAtom::Comparison(c) => {
                    let (op, l, r) = match &**c {
                        Comparison::Eq(l, r) => (Op::Eq, l, r),
                        Comparison::Ne(l, r) => (Op::Ne, l, r),
                        Comparison::Lt(l, r) => (Op::Lt, l, r),
                        Comparison::Lte(l, r) => (Op::Le, l, r),
                        Comparison::Gt(l, r) => (Op::Gt, l, r),
                        Comparison::Gte(l, r) => (Op::Ge, l, r),
                    };
                    Cond::Cmp(op, Operand::compile(l)?, Operand::compile(r)?)
                }
            },
        })
    }

    /// Does `item`, a child of `root` (the value being filtered), pass?
    pub fn test(&self, item: &Value, root: &Value) -> bool {
        match self {
            Cond::Or(cs) => cs.iter().any(|c| c.test(item, root)),
            Cond::And(cs) => cs.iter().all(|c| c.test(item, root)),
            Cond::Not(c) => !c.test(item, root),
            Cond::Exists(q) => q.find(item, root).is_some(),
            Cond::Cmp(op, l, r) => {
                let (l, r) = (l.value(item, root), r.value(item, root));
                match op {
                    Op::Eq => eq(l, r),
                    Op::Ne => !eq(l, r),
                    Op::Lt => lt(l, r),
                    Op::Le => lt(l, r) || eq(l, r),
                    Op::Gt => lt(r, l),
                    Op::Ge => lt(r, l) || eq(l, r),
                }
            }
        }
    }
}

fn negate(c: Cond, not: bool) -> Cond {
    if not {
        Cond::Not(Box::new(c))
    } else {
        c
    }
}

impl Operand {
    fn compile(c: &Comparable) -> Option<Operand> {
        Some(match c {
            Comparable::Literal(l) => Operand::Literal(match l {
                Literal::Int(i) => Value::from(*i),
                // As jsonpath-rust converts it: a non-finite float is `null`.
                Literal::Float(f) => Value::from(*f),
                Literal::String(s) => Value::String(s.clone()),
                Literal::Bool(b) => Value::Bool(*b),
                Literal::Null => Value::Null,
            }),
            Comparable::SingularQuery(q) => {
                let (from_root, segs) = match q {
                    SingularQuery::Current(s) => (false, s),
                    SingularQuery::Root(s) => (true, s),
                };
                Operand::Query(Query {
                    from_root,
                    steps: segs
                        .iter()
                        .map(|s| match s {
                            SingularQuerySegment::Name(k) => Step::Key(k.clone()),
                            SingularQuerySegment::Index(i) => Step::Index(*i),
                        })
                        .collect(),
                })
            }
            Comparable::Function(_) => return None,
        })
    }

    /// The operand's value; `None`: the query finds nothing.
    fn value<'a>(&'a self, item: &'a Value, root: &'a Value) -> Option<&'a Value> {
        match self {
            Operand::Literal(v) => Some(v),
            Operand::Query(q) => q.find(item, root),
        }
    }
}

impl Query {
    /// A query of names and indexes only; `None` for anything that may select several.
    fn of_segments(from_root: bool, segs: &[Segment]) -> Option<Query> {
        let steps = segs
            .iter()
            .map(|s| match s {
                Segment::Selector(Selector::Name(k)) => Some(Step::Key(k.clone())),
                Segment::Selector(Selector::Index(i)) => Some(Step::Index(*i)),
                _ => None,
            })
            .collect::<Option<_>>()?;
        Some(Query { from_root, steps })
    }

    fn find<'a>(&self, item: &'a Value, root: &'a Value) -> Option<&'a Value> {
        let mut v = if self.from_root { root } else { item };
        for s in &self.steps {
            v = match s {
                Step::Key(k) => v.get(k.as_str())?,
                Step::Index(i) => {
                    let a = v.as_array()?;
                    let i = if *i >= 0 {
                        usize::try_from(*i).ok()?
                    } else {
                        a.len()
                            .checked_sub(usize::try_from(i.unsigned_abs()).ok()?)?
                    };
                    a.get(i)?
                }
            };
        }
        Some(v)
    }
}

/// Numbers as `f64`, else JSON equality; two absent operands are equal.
fn eq(l: Option<&Value>, r: Option<&Value>) -> bool {
    match (l, r) {
        (None, None) => true,
        (Some(l), Some(r)) => match (l.as_f64(), r.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() < f64::EPSILON,
            _ => l == r,
        },
        _ => false,
    }
}

/// Numbers as `f64`, strings by bytes; anything else, or an absent operand, is not less.
fn lt(l: Option<&Value>, r: Option<&Value>) -> bool {
    let (Some(l), Some(r)) = (l, r) else {
        return false;
    };
    match (l.as_f64(), r.as_f64()) {
        (Some(a), Some(b)) => a < b,
        _ => match (l.as_str(), r.as_str()) {
            (Some(a), Some(b)) => a < b,
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonpath_rust::parser::model::{JpQuery, Segment, Selector};
    use jsonpath_rust::parser::parse_json_path;
    use serde_json::json;

    /// Every filter below, over every value below: the compiled filter keeps exactly the
    /// children jsonpath-rust keeps.
    #[test]
    fn path_cond_agrees_with_jsonpath_rust() {
        let filters = [
            "@.protocol == '-1' || @.protocol == 'all' || (@.from_port <= 3306 && @.to_port >= 3306)",
            "@.Effect == 'Allow'",
            "@.cidr_block == '0.0.0.0/0' || @.ipv6_cidr_block == '::/0'",
            "@.a",
            "!@.a",
            "@.a.b",
            "@[0]",
            "@[-1] == 3",
            "@[-4]",
            "@ == 1",
            "@ != 1",
            "@ < 2",
            "@ <= 2",
            "@ > 'b'",
            "@ >= 'b'",
            "@.a == @.b",
            "@.a != @.b",
            "@.a < @.b",
            "@.a >= @.b",
            "@.missing == @.other_missing",
            "@.missing != @.a",
            "@.a == null",
            "@.a == true",
            "@.a == 1.0",
            "@.a == 1",
            "@.a > 1.5",
            "@.a == $.x",
            "$.x",
            "$.x == 1",
            "!(@.a == 1 && @.b == 2)",
            "@.a == 'A' || !@.b",
        ];
        let values = [
            json!([1, 2, 3, 1.0, "a", "b", "c", null, true, [1], {}, {"a": 1}]),
            json!([
                {"protocol": "-1"}, {"protocol": "tcp", "from_port": 3306, "to_port": 3306},
                {"protocol": "tcp", "from_port": 22, "to_port": 22}, {"protocol": "all"},
                {"from_port": 0, "to_port": 65535}, {"from_port": "3306", "to_port": "3306"},
            ]),
            json!({"x": 1, "s1": {"Effect": "Allow"}, "s2": {"Effect": "Deny"}, "s3": {}}),
            json!([
                {"a": 1, "b": 1}, {"a": 1, "b": 2}, {"a": 1.0, "b": 1}, {"a": "x", "b": "y"},
                {"a": null}, {"b": null}, {"a": true}, {"a": [1]}, {"a": {}}, {"a": {"b": 0}},
                {"a": 2, "b": 1}, {"a": 1.5}, {"a": 1.5000000001}, {"a": "A"}, {"a": [], "b": 2},
                {"cidr_block": "0.0.0.0/0"}, {"ipv6_cidr_block": "::/0"}, {"cidr_block": "10.0.0.0/8"},
                [3, 2, 1], [1, 2, 3], [], [[1]], "str", 5,
            ]),
            json!("not a container"),
        ];
        for text in filters {
            let query =
                parse_json_path(&format!("$[?{text}]")).unwrap_or_else(|e| panic!("{text}: {e}"));
            let Some(Segment::Selector(sel @ Selector::Filter(f))) = query.segments.first() else {
                panic!("{text}: not a filter");
            };
            let cond = Cond::compile(f).unwrap_or_else(|| panic!("{text}: not compiled"));
            for v in &values {
                let theirs: Vec<&Value> = match v {
                    Value::Array(_) | Value::Object(_) => {
                        let q = JpQuery::new(vec![Segment::Selector(sel.clone())]);
                        jsonpath_rust::query::js_path_process(&q, v)
                            .map(|r| r.into_iter().map(|x| x.val).collect())
                            .unwrap_or_default()
                    }
                    _ => Vec::new(),
                };
                let ours: Vec<&Value> = match v {
                    Value::Array(a) => a.iter().filter(|x| cond.test(x, v)).collect(),
                    Value::Object(o) => o.values().filter(|x| cond.test(x, v)).collect(),
                    _ => Vec::new(),
                };
                let ptrs =
                    |xs: &[&Value]| xs.iter().map(|x| *x as *const Value).collect::<Vec<_>>();
                assert_eq!(ptrs(&ours), ptrs(&theirs), "{text} over {v}");
            }
        }
    }

    #[test]
    fn functions_and_wildcards_are_left_to_jsonpath_rust() {
        for text in [
            "length(@.a) > 1",
            "match(@.a, 'x.*')",
            "@.*",
            "@..a",
            "@[0:2]",
        ] {
            let query = parse_json_path(&format!("$[?{text}]")).unwrap();
            let Some(Segment::Selector(Selector::Filter(f))) = query.segments.first() else {
                panic!("{text}: not a filter");
            };
            assert!(Cond::compile(f).is_none(), "{text}");
        }
    }
}
