//! Shard selection for `--partition hash:K/N`: a case belongs to shard K (1-based) of N when
//! `fnv1a64(case id) mod N == K - 1`, where `fnv1a64` is the 64-bit FNV-1a hash of the id's
//! UTF-8 bytes (offset basis `0xcbf29ce484222325`, prime `0x100000001b3`).
//!
//! The hash depends only on the case id, never on the order, number or content of the cases,
//! so every machine of a CI job computes the same split, each case runs in exactly one shard,
//! and adding a case moves no other case between shards.

use std::fmt;
use std::str::FromStr;

/// One shard of a partitioned run: shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// K, from 1 to `count`.
    pub index: u64,
    /// N, at least 1.
    pub count: u64,
}

/// A `--partition` value that is not `hash:K/N` with 1 <= K <= N.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid partition `{value}`: {problem} (expected `hash:K/N` with 1 <= K <= N, e.g. `hash:1/4`)"
)]
pub struct PartitionError {
    /// The value as given.
    pub value: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

/// 64-bit FNV-1a of `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
    })
}

impl Partition {
    /// True when the case `id` belongs to this shard.
    pub fn contains(&self, id: &str) -> bool {
        self.count > 0 && fnv1a64(id.as_bytes()) % self.count == self.index - 1
    }
}

impl FromStr for Partition {
    type Err = PartitionError;

    fn from_str(value: &str) -> Result<Partition, PartitionError> {
        let error = |problem| PartitionError {
            value: value.to_owned(),
            problem,
        };
        let spec = value
            .strip_prefix("hash:")
            .ok_or_else(|| error("only the `hash:` strategy exists"))?;
        let (k, n) = spec
            .split_once('/')
            .ok_or_else(|| error("missing `/` between K and N"))?;
        let index: u64 = k.trim().parse().map_err(|_| error("K is not a number"))?;
        let count: u64 = n.trim().parse().map_err(|_| error("N is not a number"))?;
        if count == 0 {
            return Err(error("N must be at least 1"));
        }
        if index == 0 || index > count {
            return Err(error("K must be between 1 and N"));
        }
        Ok(Partition { index, count })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hash:{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_the_published_fnv1a_test_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn every_case_is_in_exactly_one_shard() {
        let shards: Vec<Partition> = (1..=4)
            .map(|k| format!("hash:{k}/4").parse().unwrap())
            .collect();
        for i in 0..500 {
            let id = format!("im/case_{i}");
            assert_eq!(shards.iter().filter(|p| p.contains(&id)).count(), 1, "{id}");
        }
    }

    #[test]
    fn parses_and_displays_the_cli_form() {
        let p: Partition = "hash:2/3".parse().unwrap();
        assert_eq!(p, Partition { index: 2, count: 3 });
        assert_eq!(p.to_string(), "hash:2/3");
        for bad in [
            "2/3", "hash:0/3", "hash:4/3", "hash:1/0", "hash:x/2", "hash:1",
        ] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }
}
