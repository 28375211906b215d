//! Operators of value tests: their names, the operand each takes (prepared once: regexes,
//! globs and CIDRs are compiled at load), how each applies to a value, and the words that
//! describe the outcome in a finding.

use serde_json::Value;

use super::operand::{as_text, cidr, contains, length, length_bounds, missing, number, strings};
pub use super::operand::{globs, json_eq, regex, show, Cmp, Prepared};

/// A comparison operator of a value test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equals,
    NotEquals,
    In,
    NotIn,
    Matches,
    Glob,
    Exists,
    Absent,
    Gt,
    Ge,
    Lt,
    Le,
    Contains,
    ContainsAll,
    Known,
    Length,
    CidrContains,
    CidrWithin,
    CidrOverlaps,
    CidrEquals,
}

impl Op {
    pub const ALL: [(&'static str, Op); 20] = [
        ("equals", Op::Equals),
        ("not_equals", Op::NotEquals),
        ("in", Op::In),
        ("not_in", Op::NotIn),
        ("matches", Op::Matches),
        ("glob", Op::Glob),
        ("exists", Op::Exists),
        ("absent", Op::Absent),
        ("gt", Op::Gt),
        ("ge", Op::Ge),
        ("lt", Op::Lt),
        ("le", Op::Le),
        ("contains", Op::Contains),
        ("contains_all", Op::ContainsAll),
        ("known", Op::Known),
        ("length", Op::Length),
        ("cidr_contains", Op::CidrContains),
        ("cidr_within", Op::CidrWithin),
        ("cidr_overlaps", Op::CidrOverlaps),
        ("cidr_equals", Op::CidrEquals),
    ];

    /// Parse an operator name; `-` and `_` are interchangeable (`not-equals`).
    pub fn parse(name: &str) -> Option<Op> {
        let n = name.replace('-', "_");
        Op::ALL.iter().find(|(s, _)| *s == n).map(|(_, o)| *o)
    }

    pub fn name(self) -> &'static str {
        Op::ALL
            .iter()
            .find(|(_, o)| *o == self)
            .map_or("?", |(s, _)| s)
    }

    /// `exists` and `absent` look at whether there is a value, `known` at whether it is known
    /// at plan time; they take no operand.
    pub fn takes_operand(self) -> bool {
        !matches!(self, Op::Exists | Op::Absent | Op::Known)
    }

    /// Prepare an operand: check its type and compile what needs compiling.
    pub fn prepare(self, v: &Value) -> Result<Prepared, String> {
        Ok(match self {
            Op::Exists | Op::Absent | Op::Known => Prepared::None,
            Op::Equals | Op::NotEquals | Op::Contains => Prepared::Value(v.clone()),
            Op::ContainsAll => Prepared::List(match v {
                Value::Array(a) if !a.is_empty() => a.clone(),
                Value::Array(_) | Value::Null | Value::Object(_) => {
                    return Err(
                        "`contains_all` takes a value or a non-empty list, e.g. value = [\"Owner\", \"Project\"]"
                            .into(),
                    )
                }
                one => vec![one.clone()],
            }),
            Op::In | Op::NotIn => match v {
                Value::Array(a) => Prepared::List(a.clone()),
                _ => {
                    return Err(format!(
                        "`{}` takes a list, e.g. value = [\"a\", \"b\"]",
                        self.name()
                    ))
                }
            },
            Op::Matches => Prepared::Regexes(
                strings(self, v)?
                    .into_iter()
                    .map(|s| regex(&s).map(|r| (s, r)))
                    .collect::<Result<_, _>>()?,
            ),
            Op::Glob => {
                let pats = strings(self, v)?;
                Prepared::Globs(globs(&pats)?, pats)
            }
            Op::Gt | Op::Ge | Op::Lt | Op::Le => match number(v) {
                Some(n) => Prepared::Number(n),
                None => {
                    return Err(format!(
                        "`{}` takes a number, e.g. value = 100",
                        self.name()
                    ))
                }
            },
            Op::Length => Prepared::Length(length_bounds(v)?),
            Op::CidrContains | Op::CidrWithin | Op::CidrOverlaps | Op::CidrEquals => {
                Prepared::Cidrs(
                    strings(self, v)?
                        .into_iter()
                        .map(|s| cidr(&s).map(|n| (s.clone(), n)).ok_or(s))
                        .collect::<Result<_, _>>()
                        .map_err(|s| {
                            format!(
                                "{s:?} is not a CIDR block or IP address (e.g. \"10.0.0.0/16\")"
                            )
                        })?,
                )
            }
        })
    }

    /// Whether the test holds for one value; `Err` says why the value cannot be tested (its
    /// type), which counts as not holding.
    pub fn apply(self, subject: &Value, p: &Prepared) -> Result<bool, String> {
        match (self, p) {
            // A value handed to an operator is known; unknown ones never get here.
            (Op::Known, _) => Ok(true),
            (Op::Exists, _) => Ok(!subject.is_null()),
            (Op::Absent, _) => Ok(subject.is_null()),
            (Op::Equals, Prepared::Value(v)) => Ok(json_eq(subject, v)),
            (Op::NotEquals, Prepared::Value(v)) => Ok(!json_eq(subject, v)),
            (Op::In, Prepared::List(l)) => Ok(l.iter().any(|v| json_eq(subject, v))),
            (Op::NotIn, Prepared::List(l)) => Ok(!l.iter().any(|v| json_eq(subject, v))),
            (Op::Matches, Prepared::Regexes(rs)) => {
                let s = as_text(subject)?;
                Ok(rs.iter().any(|(_, r)| r.is_match(&s)))
            }
            (Op::Glob, Prepared::Globs(g, _)) => Ok(g.is_match(as_text(subject)?.as_ref())),
            (Op::Gt | Op::Ge | Op::Lt | Op::Le, Prepared::Number(n)) => {
                let x = number(subject).ok_or("is not a number")?;
                Ok(match self {
                    Op::Gt => x > *n,
                    Op::Ge => x >= *n,
                    Op::Lt => x < *n,
                    _ => x <= *n,
                })
            }
            (Op::Contains, Prepared::Value(v)) => contains(subject, v),
            (Op::ContainsAll, Prepared::List(l)) => Ok(missing(subject, l)?.is_empty()),
            (Op::Length, Prepared::Length(bounds)) => {
                let n = length(subject).ok_or("has no length (not a string, list or map)")?;
                Ok(bounds.iter().all(|(c, b)| c.holds(n, *b)))
            }
            (
                Op::CidrContains | Op::CidrWithin | Op::CidrOverlaps | Op::CidrEquals,
                Prepared::Cidrs(cs),
            ) => {
                let s = subject
                    .as_str()
                    .and_then(cidr)
                    .ok_or("is not a CIDR block")?;
                Ok(cs.iter().any(|(_, c)| match self {
                    Op::CidrContains => s.contains(&c.trunc()),
                    Op::CidrWithin => c.contains(&s.trunc()),
                    Op::CidrOverlaps => s.contains(&c.network()) || c.contains(&s.network()),
                    _ => s.trunc() == c.trunc(),
                }))
            }
            _ => Err("cannot be compared (operand of the wrong kind)".into()),
        }
    }

    /// What the outcome says about the value: "matches db.t3.*" / "does not match db.t3.*".
    /// `operand` is the operand as shown to people (already redacted when sensitive).
    pub fn phrase(self, p: &Prepared, operand: &str, holds: bool) -> String {
        let (yes, no) = match (self, p) {
            (Op::Equals, _) => ("equals", "does not equal"),
            (Op::NotEquals, _) => ("differs from", "equals"),
            (Op::In, _) => ("is one of", "is not one of"),
            (Op::NotIn, _) => ("is not one of", "is one of"),
            (Op::Matches | Op::Glob, Prepared::Regexes(l)) if l.len() > 1 => {
                ("matches one of", "matches none of")
            }
            (Op::Glob, Prepared::Globs(_, l)) if l.len() > 1 => {
                ("matches one of", "matches none of")
            }
            (Op::Matches | Op::Glob, _) => ("matches", "does not match"),
            (Op::Exists, _) => ("is set", "is not set"),
            (Op::Absent, _) => ("is not set", "is set"),
            (Op::Gt, _) => ("is greater than", "is not greater than"),
            (Op::Ge, _) => ("is at least", "is less than"),
            (Op::Lt, _) => ("is less than", "is not less than"),
            (Op::Le, _) => ("is at most", "is greater than"),
            (Op::Contains, _) => ("contains", "does not contain"),
            (Op::ContainsAll, _) => ("contains all of", "does not contain all of"),
            (Op::Known, _) => ("is known at plan time", "is known only after apply"),
            (Op::Length, _) => ("is within", "is not within"),
            (Op::CidrContains, _) => ("contains", "does not contain"),
            (Op::CidrWithin, _) => ("is within", "is not within"),
            (Op::CidrOverlaps, _) => ("overlaps", "does not overlap"),
            (Op::CidrEquals, _) => ("is the same network as", "is not the same network as"),
        };
        let verb = if holds { yes } else { no };
        if self.takes_operand() {
            format!("{verb} {operand}")
        } else {
            verb.to_string()
        }
    }

    /// The outcome for one value: [`Op::phrase`], except that a failing `contains_all` names
    /// what is missing ("lacks Owner, Project").
    pub fn describe(self, subject: &Value, p: &Prepared, operand: &str, holds: bool) -> String {
        if let (Op::ContainsAll, Prepared::List(l), false) = (self, p, holds) {
            if let Ok(m) = missing(subject, l) {
                if !m.is_empty() {
                    return format!("lacks {}", bare(m.into_iter()));
                }
            }
        }
        self.phrase(p, operand, holds)
    }

    /// How the operand is shown: globs and regexes bare, lists joined, values as JSON.
    pub fn show_operand(self, p: &Prepared, raw: &Value) -> String {
        match p {
            Prepared::List(l) if self == Op::ContainsAll => bare(l.iter()),
            Prepared::Regexes(l) => l
                .iter()
                .map(|(s, _)| format!("/{s}/"))
                .collect::<Vec<_>>()
                .join(", "),
            Prepared::Globs(_, l) => l.join(", "),
            Prepared::Cidrs(l) => l
                .iter()
                .map(|(s, _)| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            Prepared::Length(b) => b
                .iter()
                .map(|(c, n)| format!("{} {n}", c.symbol()))
                .collect::<Vec<_>>()
                .join(" and "),
            _ => show(raw),
        }
    }
}

/// Values joined for people: strings bare, others as JSON (`Owner, Project`).
fn bare<'a>(values: impl Iterator<Item = &'a Value>) -> String {
    values
        .map(|v| v.as_str().map_or_else(|| show(v), str::to_string))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(op: &str, subject: Value, operand: Value) -> bool {
        let op = Op::parse(op).unwrap();
        let p = op.prepare(&operand).unwrap();
        op.apply(&subject, &p).unwrap_or(false)
    }

    #[test]
    fn every_operator_passes_and_fails() {
        let cases = [
            ("equals", json!("a"), json!("a"), json!("b")),
            ("not_equals", json!("a"), json!("b"), json!("a")),
            ("in", json!("a"), json!(["a", "b"]), json!(["c"])),
            ("not_in", json!("a"), json!(["c"]), json!(["a"])),
            (
                "matches",
                json!("db.t3.micro"),
                json!("^db\\.t3\\."),
                json!("^db\\.r5"),
            ),
            (
                "glob",
                json!("db.t3.micro"),
                json!(["db.t3.*", "db.t4g.*"]),
                json!("db.r5.*"),
            ),
            ("gt", json!(10), json!(5), json!(10)),
            ("ge", json!(10), json!(10), json!(11)),
            ("lt", json!(10), json!(11), json!(10)),
            ("le", json!(10), json!(10), json!(9)),
            ("contains", json!(["a", "b"]), json!("a"), json!("c")),
            ("contains", json!("my-app-dev"), json!("dev"), json!("prod")),
            (
                "contains",
                json!({"Owner": "x"}),
                json!("Owner"),
                json!("Project"),
            ),
            ("length", json!([1, 2]), json!(2), json!({"ge": 3})),
            (
                "cidr_contains",
                json!("10.0.0.0/16"),
                json!("10.0.1.0/24"),
                json!("10.1.0.0/24"),
            ),
            (
                "cidr_within",
                json!("10.0.1.0/24"),
                json!(["10.0.0.0/16"]),
                json!("10.1.0.0/16"),
            ),
            (
                "cidr_overlaps",
                json!("10.0.0.0/16"),
                json!("10.0.128.0/17"),
                json!("10.1.0.0/16"),
            ),
            (
                "cidr_equals",
                json!("10.0.0.0/16"),
                json!("10.0.0.0/16"),
                json!("10.0.0.0/17"),
            ),
            (
                "contains_all",
                json!({"Owner": "a", "Project": "b"}),
                json!(["Owner", "Project"]),
                json!(["Owner", "ManagedBy"]),
            ),
            (
                "contains_all",
                json!(["a", "b", "c"]),
                json!(["c", "a"]),
                json!(["a", "d"]),
            ),
            (
                "contains_all",
                json!("app-pr-1-eu"),
                json!("pr-1"),
                json!(["pr-1", "us"]),
            ),
        ];
        for (op, subject, pass, fail) in cases {
            assert!(check(op, subject.clone(), pass), "{op} should pass");
            assert!(!check(op, subject, fail), "{op} should fail");
        }
        let e = Op::Exists.prepare(&Value::Null).unwrap();
        assert!(Op::Exists.apply(&json!(1), &e).unwrap());
        assert!(!Op::Exists.apply(&Value::Null, &e).unwrap());
        assert!(Op::Absent.apply(&Value::Null, &e).unwrap());
    }

    #[test]
    fn operands_are_checked() {
        assert_eq!(
            Op::Matches.prepare(&json!("a(")).unwrap_err(),
            "invalid regex /a(/: error: unclosed group"
        );
        assert!(Op::In
            .prepare(&json!("a"))
            .unwrap_err()
            .contains("takes a list"));
        assert!(Op::CidrWithin
            .prepare(&json!("10.0.0/8"))
            .unwrap_err()
            .contains("not a CIDR"));
        assert!(Op::Length
            .prepare(&json!({"max": 1}))
            .unwrap_err()
            .contains("eq, ne"));
        assert_eq!(Op::parse("not-equals"), Some(Op::NotEquals));
        assert_eq!(Op::parse("equal"), None);
    }

    #[test]
    fn contains_all_names_what_is_missing() {
        let p = Op::ContainsAll
            .prepare(&json!(["Owner", "Project", "ManagedBy"]))
            .unwrap();
        let tags = json!({"Project": "x"});
        assert!(!Op::ContainsAll.apply(&tags, &p).unwrap());
        assert_eq!(
            Op::ContainsAll.describe(&tags, &p, "Owner, Project, ManagedBy", false),
            "lacks Owner, ManagedBy"
        );
        assert_eq!(
            Op::ContainsAll.show_operand(&p, &json!(["Owner", "Project", "ManagedBy"])),
            "Owner, Project, ManagedBy"
        );
        assert!(Op::ContainsAll
            .prepare(&json!([]))
            .unwrap_err()
            .contains("non-empty list"));
        assert_eq!(
            Op::ContainsAll.apply(&Value::Null, &p),
            Err("is not set".into())
        );
    }

    #[test]
    fn known_takes_no_operand() {
        assert!(!Op::Known.takes_operand());
        assert_eq!(Op::parse("known"), Some(Op::Known));
        assert_eq!(
            Op::Known.phrase(&Prepared::None, "", false),
            "is known only after apply"
        );
    }

    #[test]
    fn wrong_types_do_not_hold() {
        let p = Op::Gt.prepare(&json!(1)).unwrap();
        assert_eq!(Op::Gt.apply(&json!("x"), &p), Err("is not a number".into()));
        let p = Op::Glob.prepare(&json!("*")).unwrap();
        assert!(Op::Glob.apply(&Value::Null, &p).is_err());
    }
}
