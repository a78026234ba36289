//! Shards: `--partition hash:K/N` selects the cases whose id hashes to shard K of N.
//!
//! The hash is 64-bit FNV-1a over the UTF-8 bytes of the case id; a case belongs to shard
//! `(hash % N) + 1`. It depends only on the id, so every machine of a sharded nightly job agrees
//! on the split and the union of the N shards is the whole suite, each case exactly once.

use std::fmt;

/// A parsed `hash:K/N` partition (K is 1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub shard: u64,
    pub shards: u64,
}

impl Partition {
    /// Parses `hash:K/N` with 1 <= K <= N.
    pub fn parse(text: &str) -> Result<Partition, String> {
        let spec = text.strip_prefix("hash:").ok_or_else(|| {
            format!("partition `{text}` must look like `hash:K/N` (e.g. hash:1/4)")
        })?;
        let (k, n) = spec
            .split_once('/')
            .ok_or_else(|| format!("partition `{text}`: expected K/N after `hash:`"))?;
        let shard: u64 = k
            .trim()
            .parse()
            .map_err(|_| format!("partition `{text}`: K must be a whole number"))?;
        let shards: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("partition `{text}`: N must be a whole number"))?;
        if shards == 0 || shard == 0 || shard > shards {
            return Err(format!("partition `{text}`: need 1 <= K <= N"));
        }
        Ok(Partition { shard, shards })
    }

    /// True when the case with this id belongs to this shard.
    pub fn contains(&self, case_id: &str) -> bool {
        fnv1a64(case_id.as_bytes()) % self.shards + 1 == self.shard
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hash:{}/{}", self.shard, self.shards)
    }
}

/// 64-bit FNV-1a.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            Partition::parse("hash:2/4"),
            Ok(Partition {
                shard: 2,
                shards: 4
            })
        );
        assert!(Partition::parse("hash:0/4").is_err());
        assert!(Partition::parse("hash:5/4").is_err());
        assert!(Partition::parse("2/4").is_err());
        assert!(Partition::parse("hash:a/4").is_err());
    }

    #[test]
    fn fnv_matches_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn shards_cover_every_id_exactly_once() {
        let ids: Vec<String> = (0..200).map(|i| format!("im/case_{i}")).collect();
        for id in &ids {
            let owners = (1..=4)
                .filter(|k| {
                    Partition {
                        shard: *k,
                        shards: 4,
                    }
                    .contains(id)
                })
                .count();
            assert_eq!(owners, 1, "{id}");
        }
    }
}
