//! Three-valued logic (Kleene) and the facts a verdict rests on.
//!
//! Every condition answers true, false or unknown. A verdict carries *facts*: short statements
//! of what was observed ("`instance_class` is \"db.r5.large\", which does not match db.t3.*").
//! Facts are phrased as observations, never as expectations, so `not` can reuse them as they
//! are.

use crate::report::Evidence;

/// True, false, or not decidable from the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tri {
    True,
    False,
    Unknown,
}

impl std::ops::Not for Tri {
    type Output = Tri;

    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

impl Tri {
    pub fn from_bool(b: bool) -> Tri {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }

    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }

    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }
}

/// One observation supporting a verdict.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fact {
    pub text: String,
    pub evidence: Vec<Evidence>,
    /// Addresses of related resources the observation is about.
    pub related: Vec<String>,
}

impl Fact {
    pub fn text(text: impl Into<String>) -> Fact {
        Fact {
            text: text.into(),
            ..Fact::default()
        }
    }
}

/// The answer of a condition and the facts behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub tri: Tri,
    pub facts: Vec<Fact>,
}

/// At most this many facts are kept per verdict, so a rule over a 500-element list stays readable.
pub const MAX_FACTS: usize = 8;

impl Verdict {
    pub fn new(tri: Tri, facts: Vec<Fact>) -> Verdict {
        Verdict { tri, facts }
    }

    pub fn fact(tri: Tri, fact: Fact) -> Verdict {
        Verdict {
            tri,
            facts: vec![fact],
        }
    }

    pub fn negate(mut self) -> Verdict {
        self.tri = !self.tri;
        self
    }

    /// Kleene AND: false if any is false (with the false facts), unknown if any is unknown
    /// (with the unknown facts), else true (with every fact).
    pub fn all(verdicts: Vec<Verdict>) -> Verdict {
        combine(verdicts, Tri::False, Tri::True)
    }

    /// Kleene OR: true if any is true (with the true facts), unknown if any is unknown, else
    /// false (with every fact).
    pub fn any(verdicts: Vec<Verdict>) -> Verdict {
        combine(verdicts, Tri::True, Tri::False)
    }
}

/// `decisive` wins; else unknown wins; else `neutral` with all facts. The facts kept are the
/// first [`MAX_FACTS`] of the verdicts with the winning answer, moved, not copied.
fn combine(verdicts: Vec<Verdict>, decisive: Tri, neutral: Tri) -> Verdict {
    let has = |want: Tri| verdicts.iter().any(|v| v.tri == want);
    let want = if has(decisive) {
        decisive
    } else if has(Tri::Unknown) {
        Tri::Unknown
    } else {
        neutral
    };
    // With neither `decisive` nor unknown present, every verdict is `neutral`.
    let mut facts = Vec::new();
    for v in verdicts.into_iter().filter(|v| v.tri == want) {
        for f in v.facts {
            if facts.len() == MAX_FACTS {
                return Verdict::new(want, facts);
            }
            facts.push(f);
        }
    }
    Verdict::new(want, facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Tri::*;

    #[test]
    fn kleene_tables() {
        assert_eq!(True.and(Unknown), Unknown);
        assert_eq!(False.and(Unknown), False);
        assert_eq!(True.or(Unknown), True);
        assert_eq!(False.or(Unknown), Unknown);
        assert_eq!(!Unknown, Unknown);
    }

    #[test]
    fn all_keeps_the_decisive_facts() {
        let v = Verdict::all(vec![
            Verdict::fact(True, Fact::text("a")),
            Verdict::fact(Unknown, Fact::text("b")),
            Verdict::fact(False, Fact::text("c")),
        ]);
        assert_eq!(v.tri, False);
        assert_eq!(v.facts, vec![Fact::text("c")]);
        let v = Verdict::any(vec![
            Verdict::fact(False, Fact::text("a")),
            Verdict::fact(Unknown, Fact::text("b")),
        ]);
        assert_eq!((v.tri, v.facts[0].text.as_str()), (Unknown, "b"));
        assert_eq!(Verdict::all(vec![]).tri, True);
        assert_eq!(Verdict::any(vec![]).tri, False);
    }
}
