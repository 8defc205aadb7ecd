//! The verified-token cache: session tokens that verified, kept with what a repeat must
//! re-check, so a repeat skips decoding and the RSA signature.
//!
//! Safety of a hit (why decisions are the same with the cache on and off):
//! - only successes are stored, and a hit needs the whole token text to be equal (the
//!   hash only picks the slot), so a different or altered token never hits;
//! - the cache belongs to one verifier, whose claim rules (authorized parties, audience,
//!   issuer, skew) never change; the rule checks are pure functions of the token and the
//!   rules, so they pass again;
//! - what depends on time is checked again on every hit, in the pipeline's order: the key
//!   (still in the current key set, and the very key that verified the signature; an
//!   expired JWKS TTL takes the normal refresh path, so a key that left the JWKS refuses
//!   its tokens at once), then `exp`, `nbf` and `iat` against the clock and skew.
//!
//! Bounds: at most `capacity` entries, each holding a token of at most
//! [`MAX_CACHED_TOKEN_BYTES`]; eviction is CLOCK (second chance) per shard, O(1)
//! amortised; entries are sharded by hash so threads verifying different tokens rarely
//! share a lock.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};

use super::checks::Dates;
use super::claims::SessionClaims;
use super::jwks::CachedKey;

/// The longest token the cache stores (4 KiB, the size of a cookie): longer tokens are
/// verified as usual but not cached, so that each entry's memory stays bounded.
pub const MAX_CACHED_TOKEN_BYTES: usize = 4096;

/// How many bytes of the token's end (the signature: random for tokens Clerk signed) are
/// hashed to pick a slot. The lookup compares the whole token, so a collision can only
/// cost a miss, never a wrong hit.
const HASHED_TAIL: usize = 48;

/// The most shards; fewer when the capacity is small, so each holds a few entries.
const MAX_SHARDS: usize = 16;

/// The cache's counters and size, for monitoring and tests
/// ([`Verifier::token_cache_stats`](super::Verifier::token_cache_stats)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TokenCacheStats {
    /// The most entries the cache holds (0: the cache is off).
    pub capacity: usize,
    /// Entries held now.
    pub entries: usize,
    /// Verifications answered from the cache (the signature was not checked again).
    pub hits: u64,
    /// Verifications that looked in the cache and went the full way.
    pub misses: u64,
}

/// What a hit re-checks: the key, the dates; and the claims it returns.
pub(super) struct Entry {
    pub(super) token: Box<str>,
    /// The `kid` the key was selected by (`None`: absent or not a string).
    pub(super) kid: Option<Box<str>>,
    /// The key that verified the signature. Weak, so an evicted-from-JWKS key is not kept
    /// alive; a live `Weak` also keeps the allocation, so the pointer cannot be reused by
    /// another key and compare equal.
    pub(super) key: Weak<Result<super::keys::RsaKey, String>>,
    /// The key set generation the key was last confirmed in (see `KeySource::confirm`).
    pub(super) key_generation: AtomicU64,
    pub(super) dates: Dates,
    pub(super) claims: SessionClaims,
    /// CLOCK's "used since the hand last passed" bit.
    referenced: AtomicBool,
}

impl Entry {
    /// A new entry (not yet referenced: a token seen once is the first to go).
    pub(super) fn new(
        token: &str,
        kid: Option<&str>,
        key: &CachedKey,
        key_generation: u64,
        dates: Dates,
        claims: SessionClaims,
    ) -> Entry {
        Entry {
            token: token.into(),
            kid: kid.map(Into::into),
            key: std::sync::Arc::downgrade(key),
            key_generation: AtomicU64::new(key_generation),
            dates,
            claims,
            referenced: AtomicBool::new(false),
        }
    }

    /// Whether `key` is the key that verified this token.
    pub(super) fn same_key(&self, key: &CachedKey) -> bool {
        std::ptr::eq(self.key.as_ptr(), std::sync::Arc::as_ptr(key))
    }
}

/// Keys are already keyed-SipHash values: the map passes them through.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[derive(Default)]
struct Shard {
    /// token hash -> index in `slots`. One slot per hash: on the (keyed, 64-bit, hence
    /// vanishingly rare) collision the newer token replaces the older.
    index: HashMap<u64, usize, BuildHasherDefault<PassThrough>>,
    slots: Vec<(u64, Entry)>,
    /// CLOCK hand: the next slot considered for eviction.
    hand: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// A bounded, sharded cache of verified tokens.
pub(super) struct TokenCache {
    shards: Box<[RwLock<Shard>]>,
    per_shard: usize,
    hasher: RandomState,
}

impl TokenCache {
    /// A cache of at most `capacity` entries (at least 1).
    pub(super) fn new(capacity: usize) -> TokenCache {
        let capacity = capacity.max(1);
        // A few entries per shard at least, else small caches would evict too eagerly.
        let shards = (capacity / 4).clamp(1, MAX_SHARDS);
        TokenCache {
            shards: (0..shards).map(|_| RwLock::default()).collect(),
            per_shard: capacity / shards,
            hasher: RandomState::new(),
        }
    }

    /// Whether a token may be stored: short enough, and without `=` padding (Clerk never
    /// pads; padded variants of one token would otherwise take many slots).
    pub(super) fn admits(token: &str) -> bool {
        token.len() <= MAX_CACHED_TOKEN_BYTES && !token.as_bytes().contains(&b'=')
    }

    fn hash(&self, token: &str) -> u64 {
        let bytes = token.as_bytes();
        let mut hasher = self.hasher.build_hasher();
        hasher.write_usize(bytes.len());
        hasher.write(&bytes[bytes.len().saturating_sub(HASHED_TAIL)..]);
        hasher.finish()
    }

    fn shard(&self, hash: u64) -> &RwLock<Shard> {
        // The high bits pick the shard (the map uses all of them; fine, they are random).
        &self.shards[(hash >> 32) as usize % self.shards.len()]
    }

    /// Runs `use_entry` on the entry for exactly `token`, under the shard's read lock;
    /// `None` (a miss, counted) when there is none.
    pub(super) fn with_entry<R>(
        &self,
        token: &str,
        use_entry: impl FnOnce(&Entry) -> R,
    ) -> Option<R> {
        let hash = self.hash(token);
        let shard = read(self.shard(hash));
        let found = shard
            .index
            .get(&hash)
            .map(|slot| &shard.slots[*slot].1)
            .filter(|entry| *entry.token == *token);
        match found {
            Some(entry) => {
                // Load first: a hot entry is already marked, and a plain load keeps the
                // cache line shared between threads.
                if !entry.referenced.load(Ordering::Relaxed) {
                    entry.referenced.store(true, Ordering::Relaxed);
                }
                shard.hits.fetch_add(1, Ordering::Relaxed);
                Some(use_entry(entry))
            }
            None => {
                shard.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Stores a verified token (replacing an entry for the same hash), evicting by CLOCK
    /// when the shard is full.
    pub(super) fn insert(&self, entry: Entry) {
        let hash = self.hash(&entry.token);
        let mut shard = write(self.shard(hash));
        if let Some(&slot) = shard.index.get(&hash) {
            shard.slots[slot] = (hash, entry);
            return;
        }
        if shard.slots.len() < self.per_shard {
            let slot = shard.slots.len();
            shard.slots.push((hash, entry));
            shard.index.insert(hash, slot);
            return;
        }
        // Second chance: skip (and clear) referenced entries; at most one full turn.
        let slot = loop {
            let hand = shard.hand;
            shard.hand = (hand + 1) % shard.slots.len();
            let referenced = &shard.slots[hand].1.referenced;
            if referenced.load(Ordering::Relaxed) {
                referenced.store(false, Ordering::Relaxed);
            } else {
                break hand;
            }
        };
        let (old_hash, _) = std::mem::replace(&mut shard.slots[slot], (hash, entry));
        shard.index.remove(&old_hash);
        shard.index.insert(hash, slot);
    }

    /// Drops the entry for exactly `token`, if any (a hit that no longer verifies).
    pub(super) fn remove(&self, token: &str) {
        let hash = self.hash(token);
        let mut shard = write(self.shard(hash));
        let Some(&slot) = shard.index.get(&hash) else {
            return;
        };
        if *shard.slots[slot].1.token != *token {
            return;
        }
        shard.index.remove(&hash);
        let last = shard.slots.len() - 1;
        shard.slots.swap_remove(slot);
        if slot != last {
            let moved = shard.slots[slot].0;
            shard.index.insert(moved, slot);
        }
        if shard.hand >= shard.slots.len() {
            shard.hand = 0;
        }
    }

    pub(super) fn stats(&self) -> TokenCacheStats {
        let mut stats = TokenCacheStats {
            capacity: self.per_shard * self.shards.len(),
            ..TokenCacheStats::default()
        };
        for shard in &self.shards {
            let shard = read(shard);
            stats.entries += shard.slots.len();
            stats.hits += shard.hits.load(Ordering::Relaxed);
            stats.misses += shard.misses.load(Ordering::Relaxed);
        }
        stats
    }
}

fn read(lock: &RwLock<Shard>) -> RwLockReadGuard<'_, Shard> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write(lock: &RwLock<Shard>) -> RwLockWriteGuard<'_, Shard> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
