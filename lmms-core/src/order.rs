//! Stable sorting of the runtime's cold lists (introspection, heat profiles, the names in
//! error messages) through one non-generic sort of indices. Each list type then costs a
//! small permutation loop instead of its own copy of the standard library's sort (a few
//! thousand lines of LLVM IR per element type and comparator), which every release build
//! of the runtime would otherwise compile again.

use std::cmp::Ordering;

/// Sorts `items` stably by `compare`, like `slice::sort_by`.
pub(crate) fn sort_by<T>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    let mut order = sorted_indices(items.len(), &|a, b| compare(&items[a], &items[b]));
    permute(items, &mut order);
}

/// The distinct names of `names`, in order.
pub(crate) fn sorted_unique(mut names: Vec<&str>) -> Vec<&str> {
    sort_by(&mut names, |a, b| a.cmp(b));
    names.dedup();
    names
}

/// The indices `0..len` in the order `compare` sorts them, equal ones as they came.
#[inline(never)]
fn sorted_indices(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

/// Moves the item at `order[k]` to position `k`, for every `k`, following each cycle of
/// the permutation once (`order` is used up: a visited entry is set to `usize::MAX`).
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        // Along a cycle, `items[at]` holds the value that was at `start`, until its place.
        let mut at = start;
        while order[at] != usize::MAX {
            let next = std::mem::replace(&mut order[at], usize::MAX);
            if next == start {
                break;
            }
            items.swap(at, next);
            at = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        // Pairs sorted by their first half only: equal keys must keep their order.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in [0, 1, 2, 3, 7, 31, 200] {
            let items: Vec<(u8, usize)> = (0..len)
                .map(|i| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    ((seed % 5) as u8, i)
                })
                .collect();
            let mut expected = items.clone();
            expected.sort_by_key(|a| a.0);
            let mut got = items.clone();
            sort_by(&mut got, |a, b| a.0.cmp(&b.0));
            assert_eq!(got, expected, "{items:?}");
            let mut reversed = items;
            sort_by(&mut reversed, |a, b| b.cmp(a));
            assert!(reversed.windows(2).all(|w| w[0] > w[1]), "{reversed:?}");
        }
    }

    #[test]
    fn unique_names_are_sorted_once_each() {
        assert_eq!(
            sorted_unique(vec!["b", "a", "b", "c", "a"]),
            ["a", "b", "c"]
        );
        assert!(sorted_unique(Vec::new()).is_empty());
    }
}
