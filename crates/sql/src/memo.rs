//! A small per-thread memo for pure text-to-value work done through libpg_query (a type name read, a
//! statement normalised by the deparser): a long history asks the same question many times, and each
//! answer costs a parse. Bounded: when full it starts again.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;

/// How many answers one memo keeps.
const CAPACITY: usize = 4096;

pub struct Memo<K, V>(RefCell<HashMap<K, V>>);

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    pub fn new() -> Self {
        Memo(RefCell::new(HashMap::new()))
    }

    /// The answer for `key`, worked out by `compute` the first time it is asked.
    pub fn get_or(&self, key: K, compute: impl FnOnce() -> V) -> V {
        if let Some(v) = self.0.borrow().get(&key) {
            return v.clone();
        }
        let v = compute();
        let mut map = self.0.borrow_mut();
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(key, v.clone());
        v
    }
}

impl<K: Eq + Hash, V: Clone> Default for Memo<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_once_and_stays_bounded() {
        let m: Memo<usize, usize> = Memo::new();
        let mut calls = 0;
        assert_eq!(
            m.get_or(1, || {
                calls += 1;
                10
            }),
            10
        );
        assert_eq!(
            m.get_or(1, || {
                calls += 1;
                11
            }),
            10
        );
        assert_eq!(calls, 1);
        for i in 0..CAPACITY * 2 {
            m.get_or(i, || i);
        }
        assert!(m.0.borrow().len() <= CAPACITY);
    }
}
