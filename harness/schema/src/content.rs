//! Content models: the particle tree of a complex type (sequence, choice, all, element,
//! wildcard, with minOccurs/maxOccurs) and its compiled form, a position (Glushkov) automaton.
//!
//! Counted repetitions are unrolled (the EWS schemas have no maxOccurs above 100), unbounded
//! ones become loops. Each position is one element or wildcard occurrence; a validation state
//! is a small set of positions, usually one since XSD's Unique Particle Attribution rule makes
//! the automaton deterministic on names. `xs:all` groups are kept as a list and checked with a
//! seen-set instead (unrolling them would be exponential).

use crate::model::{ElemId, Wildcard};

/// A particle of a content model before compilation.
#[derive(Debug, Clone)]
pub(crate) struct Particle {
    pub min: u32,
    /// `None` is unbounded.
    pub max: Option<u32>,
    pub term: Term,
}

#[derive(Debug, Clone)]
pub(crate) enum Term {
    Element(ElemId),
    Any(Wildcard),
    Sequence(Vec<Particle>),
    Choice(Vec<Particle>),
    All(Vec<Particle>),
}

/// What a position matches.
#[derive(Debug, Clone)]
pub(crate) enum Label {
    Element(ElemId),
    Any(Wildcard),
}

/// A compiled content model.
#[derive(Debug)]
pub(crate) enum ContentModel {
    Automaton(Automaton),
    /// `xs:all`: members with their minOccurs (0 or 1); the whole group may be optional.
    All {
        members: Vec<(ElemId, u32)>,
        optional: bool,
    },
}

/// `keys` marker: this position needs the full label check (wildcard, substitution group).
pub(crate) const SLOW_KEY: u32 = u32::MAX;
/// A namespace or name the schema does not know: matches no key.
pub(crate) const NO_KEY: u32 = u32::MAX - 1;

/// Position automaton. State 0 is the initial state, state `i + 1` is "just matched position
/// `i`".
#[derive(Debug)]
pub(crate) struct Automaton {
    pub labels: Vec<Label>,
    /// Per position: (namespace, interned name, declaration) of a plain element position, or
    /// `SLOW_KEY` first; filled by [`fill_keys`] once substitution groups are known.
    pub keys: Vec<(u32, u32, ElemId)>,
    /// `follow[state]`: the positions that may come next, in schema order.
    pub follow: Vec<Vec<u32>>,
    pub accepting: Vec<bool>,
}

enum Re {
    Empty,
    Sym(u32),
    Seq(Vec<Re>),
    Alt(Vec<Re>),
    Star(Box<Re>),
    Opt(Box<Re>),
}

struct Builder {
    labels: Vec<Label>,
}

impl Builder {
    fn particle(&mut self, p: &Particle) -> Re {
        let mut parts = Vec::new();
        for _ in 0..p.min {
            parts.push(self.term(&p.term));
        }
        match p.max {
            None => parts.push(Re::Star(Box::new(self.term(&p.term)))),
            Some(max) => {
                // (x (x (x)?)?)? for the optional copies.
                let mut tail: Option<Re> = None;
                for _ in p.min..max {
                    let copy = self.term(&p.term);
                    tail = Some(Re::Opt(Box::new(match tail {
                        None => copy,
                        Some(t) => Re::Seq(vec![copy, t]),
                    })));
                }
                if let Some(t) = tail {
                    parts.push(t);
                }
            }
        }
        match parts.len() {
            0 => Re::Empty,
            1 => parts.pop().unwrap_or(Re::Empty),
            _ => Re::Seq(parts),
        }
    }

    fn term(&mut self, t: &Term) -> Re {
        match t {
            Term::Element(e) => self.sym(Label::Element(*e)),
            Term::Any(w) => self.sym(Label::Any(w.clone())),
            Term::Sequence(ps) | Term::All(ps) => {
                Re::Seq(ps.iter().map(|p| self.particle(p)).collect())
            }
            Term::Choice(ps) => Re::Alt(ps.iter().map(|p| self.particle(p)).collect()),
        }
    }

    fn sym(&mut self, l: Label) -> Re {
        self.labels.push(l);
        Re::Sym(self.labels.len() as u32 - 1)
    }
}

struct Info {
    nullable: bool,
    first: Vec<u32>,
    last: Vec<u32>,
}

fn union(a: &mut Vec<u32>, b: &[u32]) {
    for x in b {
        if !a.contains(x) {
            a.push(*x);
        }
    }
}

fn analyse(re: &Re, follow: &mut [Vec<u32>]) -> Info {
    match re {
        Re::Empty => Info {
            nullable: true,
            first: vec![],
            last: vec![],
        },
        Re::Sym(p) => Info {
            nullable: false,
            first: vec![*p],
            last: vec![*p],
        },
        Re::Seq(parts) => {
            let mut acc = Info {
                nullable: true,
                first: vec![],
                last: vec![],
            };
            for part in parts {
                let next = analyse(part, follow);
                for l in &acc.last {
                    union(&mut follow[*l as usize + 1], &next.first);
                }
                if acc.nullable {
                    union(&mut acc.first, &next.first);
                }
                let mut last = next.last.clone();
                if next.nullable {
                    union(&mut last, &acc.last);
                }
                acc.last = last;
                acc.nullable &= next.nullable;
            }
            acc
        }
        Re::Alt(parts) => {
            let mut acc = Info {
                nullable: parts.is_empty(),
                first: vec![],
                last: vec![],
            };
            for part in parts {
                let next = analyse(part, follow);
                acc.nullable |= next.nullable;
                union(&mut acc.first, &next.first);
                union(&mut acc.last, &next.last);
            }
            acc
        }
        Re::Star(inner) => {
            let info = analyse(inner, follow);
            for l in &info.last {
                union(&mut follow[*l as usize + 1], &info.first);
            }
            Info {
                nullable: true,
                ..info
            }
        }
        Re::Opt(inner) => {
            let info = analyse(inner, follow);
            Info {
                nullable: true,
                ..info
            }
        }
    }
}

/// Compiles a content particle (None: empty content).
pub(crate) fn compile(particle: &Particle) -> ContentModel {
    if let Term::All(members) = &particle.term {
        let members = members
            .iter()
            .filter_map(|m| match m.term {
                Term::Element(e) => Some((e, m.min)),
                _ => None,
            })
            .collect();
        return ContentModel::All {
            members,
            optional: particle.min == 0,
        };
    }
    let mut b = Builder { labels: vec![] };
    let re = b.particle(particle);
    let n = b.labels.len();
    let mut follow = vec![Vec::new(); n + 1];
    let info = analyse(&re, &mut follow);
    follow[0] = info.first;
    for f in &mut follow {
        f.sort_unstable();
    }
    let mut accepting = vec![false; n + 1];
    accepting[0] = info.nullable;
    for l in info.last {
        accepting[l as usize + 1] = true;
    }
    ContentModel::Automaton(Automaton {
        keys: vec![(SLOW_KEY, 0, 0); n],
        labels: b.labels,
        follow,
        accepting,
    })
}

/// Fills the fast-path keys of every automaton (after substitution groups are resolved).
pub(crate) fn fill_keys(m: &mut crate::model::Model) {
    let elements = &m.elements;
    for model in &mut m.models {
        if let ContentModel::Automaton(a) = model {
            for (key, label) in a.keys.iter_mut().zip(&a.labels) {
                if let Label::Element(e) = label {
                    let d = &elements[*e as usize];
                    if (d.substitutes.is_empty() && !d.is_abstract) || d.substitutes == [*e] {
                        *key = (d.ns, d.sym, *e);
                    }
                }
            }
        }
    }
}
