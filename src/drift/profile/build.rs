//! Streaming profiles: one pass over rows per file, memory independent of
//! the number of rows.
//!
//! No I/O: the caller feeds cells.

use std::collections::BTreeMap;

use super::{
    CategoricalProfile, Edges, FeatureProfile, MAX_CATEGORIES, MAX_VALUES, NumericProfile, OTHER,
    Profile,
};

/// A column's state in a streaming profile.
#[derive(Debug, Clone)]
enum Acc {
    /// Numbers so far.
    Numbers {
        edges: Option<Edges>,
        counts: Vec<u64>,
        below: u64,
        above: u64,
        min: f64,
        max: f64,
        sum: f64,
        sum_sq: f64,
        all_int: bool,
        exact: Option<BTreeMap<u64, u64>>,
        seen: bool,
    },
    /// Texts (or a declared categorical column).
    Texts(BTreeMap<Vec<u8>, u64>),
}

/// How a streaming profile treats a column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plan {
    /// Infer numeric or categorical; bin numbers on these edges, if known.
    Infer(Option<Edges>),
    /// Numeric, on these edges if known.
    Numeric(Option<Edges>),
    /// Categorical.
    Categorical,
}

/// Builds profiles in one pass over rows, in memory independent of the
/// number of rows (the first pass of a file without known edges gives them).
#[derive(Debug, Clone)]
pub struct Builder {
    names: Vec<String>,
    plans: Vec<Plan>,
    accs: Vec<Acc>,
    missing: Vec<u64>,
    bins: usize,
}

impl Builder {
    /// Returns a builder for the named columns.
    pub fn new(columns: Vec<(String, Plan)>, bins: usize) -> Self {
        let (names, plans): (Vec<String>, Vec<Plan>) = columns.into_iter().unzip();
        let accs = plans
            .iter()
            .map(|p| match p {
                Plan::Categorical => Acc::Texts(BTreeMap::new()),
                Plan::Infer(e) | Plan::Numeric(e) => Acc::Numbers {
                    edges: *e,
                    counts: vec![0; e.map_or(0, |e| e.bins)],
                    below: 0,
                    above: 0,
                    min: f64::INFINITY,
                    max: f64::NEG_INFINITY,
                    sum: 0.0,
                    sum_sq: 0.0,
                    all_int: true,
                    exact: Some(BTreeMap::new()),
                    seen: false,
                },
            })
            .collect();
        let n = names.len();
        Self {
            names,
            plans,
            accs,
            missing: vec![0; n],
            bins,
        }
    }

    /// Adds one cell of column `k`; fails on a text in a numeric column.
    pub fn add(&mut self, k: usize, cell: &[u8]) -> Result<(), String> {
        use crate::drift::table::{Cell, classify, is_missing};
        let (Some(acc), Some(plan)) = (self.accs.get_mut(k), self.plans.get(k)) else {
            return Ok(());
        };
        match acc {
            Acc::Texts(counts) => {
                if is_missing(cell) {
                    self.missing[k] += 1;
                } else if let Some(n) = counts.get_mut(cell) {
                    *n += 1;
                } else {
                    counts.insert(cell.to_vec(), 1);
                }
            }
            Acc::Numbers {
                edges,
                counts,
                below,
                above,
                min,
                max,
                sum,
                sum_sq,
                all_int,
                exact,
                seen,
            } => match classify(cell) {
                Cell::Missing => self.missing[k] += 1,
                Cell::Number(v, int) => {
                    *seen = true;
                    if let Some(e) = edges {
                        match e.bin(v) {
                            Some(i) => counts[i] += 1,
                            None if v < e.lo => *below += 1,
                            None => *above += 1,
                        }
                    }
                    *min = min.min(v);
                    *max = max.max(v);
                    *sum += v;
                    *sum_sq += v * v;
                    *all_int &= int;
                    if let Some(x) = exact {
                        *x.entry((v + 0.0).to_bits()).or_insert(0) += 1;
                        if x.len() > MAX_VALUES {
                            *exact = None;
                        }
                    }
                }
                Cell::Text => {
                    let value = String::from_utf8_lossy(cell);
                    if *seen || matches!(plan, Plan::Numeric(_)) {
                        return Err(format!(
                            "`{value}` is not a number (column `{}` holds numbers{})",
                            self.names[k],
                            if matches!(plan, Plan::Numeric(_)) {
                                " by declaration"
                            } else {
                                ""
                            }
                        ));
                    }
                    let mut m = BTreeMap::new();
                    m.insert(cell.to_vec(), 1);
                    *acc = Acc::Texts(m);
                }
            },
        }
        Ok(())
    }

    /// Returns what a first pass learned: per column, the plan for a second
    /// pass (kind decided, edges from the column's range).
    pub fn second_pass_plans(&self) -> Vec<(String, Plan)> {
        self.names
            .iter()
            .zip(&self.accs)
            .enumerate()
            .map(|(k, (name, acc))| {
                let plan = match (acc, self.plans[k]) {
                    (Acc::Texts(_), _) | (_, Plan::Categorical) => Plan::Categorical,
                    (
                        Acc::Numbers {
                            min,
                            max,
                            all_int,
                            exact,
                            ..
                        },
                        p,
                    ) => {
                        let few = exact.as_ref().is_some_and(|x| x.len() <= 10);
                        let given = match p {
                            Plan::Infer(e) | Plan::Numeric(e) => e,
                            Plan::Categorical => None,
                        };
                        if matches!(p, Plan::Infer(None))
                            && *all_int
                            && self.missing[k] == 0
                            && few
                            && min.is_finite()
                        {
                            Plan::Categorical
                        } else if let Some(e) = given {
                            Plan::Numeric(Some(e))
                        } else {
                            let edges = if !min.is_finite() {
                                Edges {
                                    lo: 0.0,
                                    hi: 1.0,
                                    bins: 1,
                                }
                            } else if min == max {
                                Edges {
                                    lo: min - 0.5,
                                    hi: max + 0.5,
                                    bins: 1,
                                }
                            } else {
                                Edges {
                                    lo: *min,
                                    hi: *max,
                                    bins: self.bins.max(1),
                                }
                            };
                            Plan::Numeric(Some(edges))
                        }
                    }
                };
                (name.clone(), plan)
            })
            .collect()
    }

    /// Returns true when every numeric column has its edges.
    pub fn has_edges(&self) -> bool {
        self.plans.iter().all(|p| match p {
            Plan::Infer(e) | Plan::Numeric(e) => e.is_some(),
            Plan::Categorical => true,
        })
    }

    /// Returns the profile (call after a pass whose plans all had edges).
    pub fn finish(self, rows: u64) -> Profile {
        let mut features = Vec::new();
        for ((name, acc), missing) in self.names.into_iter().zip(self.accs).zip(self.missing) {
            let f = match acc {
                Acc::Texts(raw) => {
                    let mut counts: Vec<(String, u64)> = Vec::new();
                    for (k, n) in raw {
                        let k = String::from_utf8_lossy(&k).into_owned();
                        match counts.iter_mut().find(|(c, _)| *c == k) {
                            Some(slot) => slot.1 += n,
                            None => counts.push((k, n)),
                        }
                    }
                    cap_categories(&mut counts);
                    FeatureProfile::Categorical(CategoricalProfile { missing, counts })
                }
                Acc::Numbers {
                    edges,
                    counts,
                    below,
                    above,
                    min,
                    max,
                    sum,
                    sum_sq,
                    all_int,
                    exact,
                    seen,
                } => {
                    let edges = edges.unwrap_or(Edges {
                        lo: 0.0,
                        hi: 1.0,
                        bins: 1,
                    });
                    let counts = if counts.len() == edges.bins {
                        counts
                    } else {
                        vec![0; edges.bins]
                    };
                    let values = exact.map(|x| {
                        let mut v: Vec<(f64, u64)> =
                            x.into_iter().map(|(b, n)| (f64::from_bits(b), n)).collect();
                        v.sort_by(|a, b| a.0.total_cmp(&b.0));
                        v
                    });
                    FeatureProfile::Numeric(NumericProfile {
                        edges,
                        counts,
                        below,
                        above,
                        missing,
                        min,
                        max,
                        sum,
                        sum_sq,
                        integer: all_int && missing == 0 && seen,
                        values,
                    })
                }
            };
            features.push((name, f));
        }
        Profile { rows, features }
    }
}

/// Keeps the `MAX_CATEGORIES - 1` most frequent categories and puts the
/// rest in the guard category; sorts by category.
fn cap_categories(counts: &mut Vec<(String, u64)>) {
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if counts.len() > MAX_CATEGORIES {
        let rest: u64 = counts[MAX_CATEGORIES - 1..].iter().map(|(_, n)| n).sum();
        counts.truncate(MAX_CATEGORIES - 1);
        counts.push((OTHER.to_owned(), rest));
    }
    counts.sort_by(|a, b| a.0.cmp(&b.0));
}
