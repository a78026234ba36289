//! Notification subscriptions and the event journal they read (the `notifications` operations:
//! Subscribe, GetEvents, GetStreamingEvents, Unsubscribe).
//!
//! One [`Subscriptions`] registry per server, shared by every mailbox (a subscription id is
//! looked up before its mailbox is known: another user's id is `ErrorSubscriptionAccessDenied`).
//! Each watched mailbox has a journal: the [`Change`]s dispatch computed for it
//! (`mailbox/events.rs`), each at a position, stamped with the time it was recorded. A
//! **watermark** is a position in a mailbox's journal (base64 of a marker byte, the mailbox
//! number, the journal's epoch and the position), so it stays valid across the subscriptions of
//! that mailbox, as Exchange lets a new subscription resume from another one's watermark. The
//! journal records only while the mailbox has subscriptions; when recording starts again after a
//! time without any, a new epoch begins and the older watermarks are `ErrorInvalidWatermark`
//! (what happened in between was never recorded).
//!
//! A **pull** subscription is read with GetEvents: the events after the watermark given that
//! match its folders and event types, at most [`EVENTS_PER_GET`] (then `MoreEvents` is true), or a
//! `StatusEvent` when there are none. Reading does not consume: the same watermark reads the same
//! events again. It expires when no GetEvents came for `Timeout` minutes (the length of a minute
//! is the server's `notification_minute`, so tests need not wait minutes); the next request for it
//! is `ErrorExpiredSubscription`. A **streaming** subscription has a cursor instead: each open
//! GetStreamingEvents connection takes the events after it and moves it on. Every change to the
//! registry (events recorded, a subscription ended) bumps a `watch` counter that open streams
//! wait on.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::sync::watch;

use super::Mailbox;
use super::events::{Change, EventKind, Snapshot, diff};
use crate::faults::ResponseCode;

/// Most events one GetEvents answers (`MoreEvents` is true when more are waiting).
pub const EVENTS_PER_GET: usize = 50;

/// First byte of every watermark.
const WATERMARK_MARKER: u8 = 0x57;

/// What a new subscription watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The folders watched; `None`: every folder (`SubscribeToAllFolders`).
    pub folders: Option<BTreeSet<u32>>,
    /// The event types delivered (`StatusEvent` always is).
    pub event_types: BTreeSet<EventKind>,
}

impl Filter {
    fn matches(&self, change: &Change) -> bool {
        self.event_types.contains(&change.kind)
            && self
                .folders
                .as_ref()
                .is_none_or(|watched| change.folders().any(|f| watched.contains(&f)))
    }
}

/// How a subscription is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// GetEvents; expires after `timeout` minutes without one.
    Pull { timeout: u32 },
    /// GetStreamingEvents.
    Streaming,
}

/// A journal entry: a change at a position, with the time it was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub position: u64,
    pub time_stamp: String,
    pub change: Change,
}

#[derive(Debug)]
struct Subscription {
    mailbox: usize,
    kind: Kind,
    filter: Filter,
    /// The position it started from.
    start: u64,
    /// Streaming: the position delivered up to.
    cursor: u64,
    last_used: Instant,
}

#[derive(Debug, Default)]
struct Journal {
    /// Grows each time recording starts again after the mailbox had no subscription: the
    /// watermarks of an earlier epoch are invalid (what happened in between was not recorded).
    epoch: u32,
    /// Where the current epoch started.
    valid_from: u64,
    entries: Vec<Recorded>,
}

impl Journal {
    fn end(&self) -> u64 {
        self.entries.len() as u64
    }

    /// The entries after `position`.
    fn after(&self, position: u64) -> &[Recorded] {
        let from = usize::try_from(position).unwrap_or(usize::MAX);
        self.entries.get(from..).unwrap_or_default()
    }
}

#[derive(Debug, Default)]
struct Registry {
    next_serial: u64,
    subscriptions: HashMap<String, Subscription>,
    expired: HashSet<String>,
    journals: HashMap<usize, Journal>,
}

impl Registry {
    fn watched(&self, mailbox: usize) -> bool {
        self.subscriptions.values().any(|s| s.mailbox == mailbox)
    }

    /// The subscription `id` of `mailbox` (expired ones are reported and forgotten).
    fn find(
        &mut self,
        mailbox: usize,
        id: &str,
        minute: Duration,
    ) -> Result<&mut Subscription, ResponseCode> {
        let id = id.trim();
        if self.expired.remove(id) {
            return Err(ResponseCode::ErrorExpiredSubscription);
        }
        let expired = match self.subscriptions.get(id) {
            None => return Err(ResponseCode::ErrorSubscriptionNotFound),
            Some(s) if s.mailbox != mailbox => {
                return Err(ResponseCode::ErrorSubscriptionAccessDenied);
            }
            Some(s) => match s.kind {
                Kind::Pull { timeout } => {
                    s.last_used.elapsed() > minute.saturating_mul(timeout.max(1))
                }
                Kind::Streaming => false,
            },
        };
        if expired {
            self.subscriptions.remove(id);
            return Err(ResponseCode::ErrorExpiredSubscription);
        }
        self.subscriptions
            .get_mut(id)
            .ok_or(ResponseCode::ErrorSubscriptionNotFound)
    }
}

/// One GetEvents answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullBatch {
    /// The watermark the request gave (`PreviousWatermark`).
    pub previous: String,
    /// The events, each with its watermark; empty: answer a `StatusEvent` at `watermark`.
    pub events: Vec<(String, Recorded)>,
    /// The watermark after this batch (the last event's, or the journal's end).
    pub watermark: String,
    pub more: bool,
}

/// What an open stream gets on one read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRead {
    /// Per subscription (in the order the stream named them), the new events, if any.
    pub events: Vec<(String, Vec<Recorded>)>,
    /// Whether one of the stream's subscriptions has ended (the stream then closes).
    pub ended: bool,
}

/// The subscriptions of a server.
#[derive(Debug)]
pub struct Subscriptions {
    registry: Mutex<Registry>,
    changed: watch::Sender<u64>,
    /// How long a subscription `Timeout` minute lasts.
    minute: Duration,
}

impl Subscriptions {
    pub fn new(minute: Duration) -> Subscriptions {
        Subscriptions {
            registry: Mutex::new(Registry::default()),
            changed: watch::Sender::new(0),
            minute,
        }
    }

    /// How long one minute of `Timeout` and `ConnectionTimeout` lasts on this server.
    pub fn minute(&self) -> Duration {
        self.minute
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees every later change of the registry.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Whether mailbox `mailbox` has a subscription (dispatch computes events only then).
    pub fn is_watched(&self, mailbox: usize) -> bool {
        self.lock().watched(mailbox)
    }

    /// Appends the changes of one request to mailbox `mailbox`'s journal.
    pub fn record(&self, mailbox: usize, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        let time_stamp = super::now_utc();
        {
            let mut registry = self.lock();
            let journal = registry.journals.entry(mailbox).or_default();
            for change in changes {
                let position = journal.end() + 1;
                journal.entries.push(Recorded {
                    position,
                    time_stamp: time_stamp.clone(),
                    change,
                });
            }
        }
        self.bump();
    }

    /// Runs `change` on mailbox number `index` (`mailbox`, locked by the caller) and records the
    /// events it caused, when the mailbox has subscriptions (otherwise no snapshot is taken).
    /// Dispatch runs every request through it; the move and copy provenance recorded meanwhile is
    /// drained either way.
    pub fn observe<R>(
        &self,
        index: usize,
        mailbox: &mut Mailbox,
        change: impl FnOnce(&mut Mailbox) -> R,
    ) -> R {
        let before = self.is_watched(index).then(|| Snapshot::of(mailbox));
        let result = change(mailbox);
        let origins = mailbox.provenance.take();
        if let Some(before) = before {
            self.record(index, diff(&before, &Snapshot::of(mailbox), &origins));
        }
        result
    }

    /// Creates a subscription on mailbox `mailbox`, starting at `watermark` when given (one of
    /// this mailbox's watermarks) or now; its id and its first watermark.
    pub fn subscribe(
        &self,
        mailbox: usize,
        kind: Kind,
        filter: Filter,
        watermark: Option<&str>,
    ) -> Result<(String, String), ResponseCode> {
        let mut registry = self.lock();
        let was_watched = registry.watched(mailbox);
        let journal = registry.journals.entry(mailbox).or_default();
        let start = match watermark {
            Some(w) if was_watched => position_in(journal, mailbox, w, journal.valid_from)?,
            // Nothing was recorded while nobody watched: no earlier watermark can resume.
            Some(_) => return Err(ResponseCode::ErrorInvalidWatermark),
            None => journal.end(),
        };
        if !was_watched {
            journal.epoch = journal.epoch.wrapping_add(1);
            journal.valid_from = journal.end();
        }
        let epoch = journal.epoch;
        registry.next_serial += 1;
        let id = subscription_id(registry.next_serial, mailbox);
        registry.subscriptions.insert(
            id.clone(),
            Subscription {
                mailbox,
                kind,
                filter,
                start,
                cursor: start,
                last_used: Instant::now(),
            },
        );
        Ok((id, encode_watermark(mailbox, epoch, start)))
    }

    /// GetEvents: the events of pull subscription `id` after `watermark`. With `redeliver` (the
    /// `duplicated-event` quirk) the event at the watermark itself comes again.
    pub fn get_events(
        &self,
        mailbox: usize,
        id: &str,
        watermark: &str,
        redeliver: bool,
    ) -> Result<PullBatch, ResponseCode> {
        let mut registry = self.lock();
        let subscription = registry.find(mailbox, id, self.minute)?;
        if subscription.kind == Kind::Streaming {
            return Err(ResponseCode::ErrorInvalidSubscription);
        }
        subscription.last_used = Instant::now();
        let (start, filter) = (subscription.start, subscription.filter.clone());
        let journal = registry.journals.entry(mailbox).or_default();
        let epoch = journal.epoch;
        let position = position_in(journal, mailbox, watermark, start.max(journal.valid_from))?;
        let from = if redeliver {
            position.saturating_sub(1).max(start)
        } else {
            position
        };
        let matching: Vec<&Recorded> = journal
            .after(from)
            .iter()
            .filter(|r| filter.matches(&r.change))
            .collect();
        let more = matching.len() > EVENTS_PER_GET;
        let events: Vec<(String, Recorded)> = matching
            .into_iter()
            .take(EVENTS_PER_GET)
            .map(|r| (encode_watermark(mailbox, epoch, r.position), r.clone()))
            .collect();
        let next = match events.last() {
            Some((_, r)) if more => r.position,
            _ => journal.end(),
        };
        Ok(PullBatch {
            previous: watermark.trim().to_string(),
            events,
            watermark: encode_watermark(mailbox, epoch, next),
            more,
        })
    }

    /// Unsubscribe: ends subscription `id` (open streams on it close).
    pub fn unsubscribe(&self, mailbox: usize, id: &str) -> Result<(), ResponseCode> {
        {
            let mut registry = self.lock();
            registry.find(mailbox, id, self.minute)?;
            registry.subscriptions.remove(id.trim());
        }
        self.bump();
        Ok(())
    }

    /// GetStreamingEvents: checks that every id is a streaming subscription of `mailbox`; the
    /// code of the first that is not, with every id that is not.
    pub fn open_stream(
        &self,
        mailbox: usize,
        ids: &[String],
    ) -> Result<(), (ResponseCode, Vec<String>)> {
        let mut registry = self.lock();
        let mut first = None;
        let mut bad = Vec::new();
        for id in ids {
            let code = match registry.find(mailbox, id, self.minute) {
                Ok(s) if s.kind == Kind::Streaming => continue,
                Ok(_) => ResponseCode::ErrorInvalidSubscription,
                Err(code) => code,
            };
            first.get_or_insert(code);
            bad.push(id.trim().to_string());
        }
        match first {
            None => Ok(()),
            Some(code) => Err((code, bad)),
        }
    }

    /// The events of streaming subscriptions `ids` since the last read, moving their cursors.
    pub fn read_stream(&self, ids: &[String]) -> StreamRead {
        let mut registry = self.lock();
        let Registry {
            subscriptions,
            journals,
            ..
        } = &mut *registry;
        let mut read = StreamRead {
            events: Vec::new(),
            ended: false,
        };
        for id in ids {
            let Some(subscription) = subscriptions.get_mut(id.trim()) else {
                read.ended = true;
                continue;
            };
            let Some(journal) = journals.get(&subscription.mailbox) else {
                continue;
            };
            let new: Vec<Recorded> = journal
                .after(subscription.cursor)
                .iter()
                .filter(|r| subscription.filter.matches(&r.change))
                .cloned()
                .collect();
            subscription.cursor = journal.end();
            subscription.last_used = Instant::now();
            if !new.is_empty() {
                read.events.push((id.trim().to_string(), new));
            }
        }
        read
    }
}

/// A GUID-shaped subscription id, unique on this server (serial and mailbox number, mixed with
/// the process's start so that ids of an earlier run are unknown to a later one).
fn subscription_id(serial: u64, mailbox: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(serial);
    let mix = hasher.finish();
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        serial & 0xffff_ffff,
        mailbox & 0xffff,
        (mix >> 52) & 0xfff,
        (mix >> 40) & 0xfff,
        mix & 0xffff_ffff_ffff
    )
}

fn encode_watermark(mailbox: usize, epoch: u32, position: u64) -> String {
    let mut bytes = vec![WATERMARK_MARKER];
    bytes.extend_from_slice(&u16::try_from(mailbox).unwrap_or(u16::MAX).to_be_bytes());
    bytes.extend_from_slice(&epoch.to_be_bytes());
    bytes.extend_from_slice(&position.to_be_bytes());
    STANDARD.encode(bytes)
}

/// The journal position watermark `text` stands for, if it is one of `mailbox`'s between
/// `earliest` and the journal's end; otherwise `ErrorInvalidWatermark`.
fn position_in(
    journal: &Journal,
    mailbox: usize,
    text: &str,
    earliest: u64,
) -> Result<u64, ResponseCode> {
    let invalid = ResponseCode::ErrorInvalidWatermark;
    let bytes = STANDARD.decode(text.trim()).map_err(|_| invalid)?;
    let [marker, m0, m1, e0, e1, e2, e3, rest @ ..] = bytes.as_slice() else {
        return Err(invalid);
    };
    let position: [u8; 8] = rest.try_into().map_err(|_| invalid)?;
    let position = u64::from_be_bytes(position);
    let ours = *marker == WATERMARK_MARKER
        && usize::from(u16::from_be_bytes([*m0, *m1])) == mailbox
        && u32::from_be_bytes([*e0, *e1, *e2, *e3]) == journal.epoch
        && (earliest..=journal.end()).contains(&position);
    if ours { Ok(position) } else { Err(invalid) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailbox::events::{Object, Placed};

    fn created(item: u32, parent: u32) -> Change {
        Change {
            kind: EventKind::Created,
            now: Placed {
                object: Object::Item(item),
                version: 1,
                parent,
                parent_version: 1,
            },
            old: None,
            unread_count: None,
        }
    }

    fn all() -> Filter {
        Filter {
            folders: None,
            event_types: EventKind::SUBSCRIBABLE.iter().copied().collect(),
        }
    }

    #[test]
    fn pull_reads_each_event_once_and_rereads_from_an_old_watermark() {
        let subs = Subscriptions::new(Duration::from_secs(60));
        let (id, w0) = subs
            .subscribe(0, Kind::Pull { timeout: 10 }, all(), None)
            .expect("subscribes");
        assert!(subs.is_watched(0));
        subs.record(0, vec![created(1, 4), created(2, 4)]);
        let first = subs.get_events(0, &id, &w0, false).expect("reads");
        assert_eq!(first.events.len(), 2);
        assert_eq!(first.previous, w0);
        let second = subs
            .get_events(0, &id, &first.watermark, false)
            .expect("reads");
        assert!(second.events.is_empty(), "nothing new: a StatusEvent");
        subs.record(0, vec![created(3, 4)]);
        let third = subs
            .get_events(0, &id, &first.watermark, false)
            .expect("reads");
        assert_eq!(third.events.len(), 1);
        assert_eq!(third.events[0].1.change, created(3, 4));
        let again = subs.get_events(0, &id, &w0, false).expect("rereads");
        assert_eq!(again.events.len(), 3);
        let duplicated = subs
            .get_events(0, &id, &first.watermark, true)
            .expect("reads");
        assert_eq!(
            duplicated.events.len(),
            2,
            "the quirk delivers event 2 again"
        );
    }

    #[test]
    fn a_watermark_from_before_a_time_without_subscriptions_is_invalid() {
        let subs = Subscriptions::new(Duration::from_secs(60));
        let pull = Kind::Pull { timeout: 10 };
        let (first, w0) = subs.subscribe(0, pull, all(), None).expect("subscribes");
        let (second, _) = subs
            .subscribe(0, pull, all(), Some(&w0))
            .expect("resumes while the first is live");
        subs.unsubscribe(0, &first).expect("unsubscribes");
        subs.unsubscribe(0, &second).expect("unsubscribes");
        assert_eq!(
            subs.subscribe(0, pull, all(), Some(&w0)).err(),
            Some(ResponseCode::ErrorInvalidWatermark),
            "nothing was recorded while nobody watched"
        );
        let (third, w1) = subs.subscribe(0, pull, all(), None).expect("subscribes");
        assert_ne!(w0, w1, "a new epoch");
        assert_eq!(
            subs.get_events(0, &third, &w0, false).err(),
            Some(ResponseCode::ErrorInvalidWatermark)
        );
    }

    #[test]
    fn more_events_pages_a_long_journal() {
        let subs = Subscriptions::new(Duration::from_secs(60));
        let (id, w0) = subs
            .subscribe(0, Kind::Pull { timeout: 10 }, all(), None)
            .expect("subscribes");
        subs.record(0, (1..=60).map(|i| created(i, 4)).collect());
        let first = subs.get_events(0, &id, &w0, false).expect("reads");
        assert!(first.more);
        assert_eq!(first.events.len(), EVENTS_PER_GET);
        let rest = subs
            .get_events(0, &id, &first.watermark, false)
            .expect("reads");
        assert!(!rest.more);
        assert_eq!(rest.events.len(), 10);
        assert_eq!(rest.events[0].1.change, created(51, 4));
    }

    #[test]
    fn errors_name_what_is_wrong_with_the_id_or_watermark() {
        let subs = Subscriptions::new(Duration::from_millis(20));
        let (id, w0) = subs
            .subscribe(0, Kind::Pull { timeout: 1 }, all(), None)
            .expect("subscribes");
        let code = |r: Result<PullBatch, ResponseCode>| r.err();
        assert_eq!(
            code(subs.get_events(1, &id, &w0, false)),
            Some(ResponseCode::ErrorSubscriptionAccessDenied)
        );
        assert_eq!(
            code(subs.get_events(0, "nope", &w0, false)),
            Some(ResponseCode::ErrorSubscriptionNotFound)
        );
        assert_eq!(
            code(subs.get_events(0, &id, "AAAA", false)),
            Some(ResponseCode::ErrorInvalidWatermark)
        );
        assert_eq!(
            code(subs.get_events(0, &id, &encode_watermark(0, 1, 99), false)),
            Some(ResponseCode::ErrorInvalidWatermark)
        );
        let (streaming, _) = subs
            .subscribe(0, Kind::Streaming, all(), None)
            .expect("subscribes");
        assert_eq!(
            code(subs.get_events(0, &streaming, &w0, false)),
            Some(ResponseCode::ErrorInvalidSubscription)
        );
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            code(subs.get_events(0, &id, &w0, false)),
            Some(ResponseCode::ErrorExpiredSubscription)
        );
        assert_eq!(
            code(subs.get_events(0, &id, &w0, false)),
            Some(ResponseCode::ErrorSubscriptionNotFound)
        );
    }

    #[test]
    fn streams_take_new_events_and_see_unsubscribe() {
        let subs = Subscriptions::new(Duration::from_secs(60));
        let (id, _) = subs
            .subscribe(2, Kind::Streaming, all(), None)
            .expect("subscribes");
        let ids = vec![id.clone()];
        assert_eq!(subs.open_stream(2, &ids), Ok(()));
        assert!(subs.read_stream(&ids).events.is_empty());
        subs.record(2, vec![created(7, 4)]);
        let read = subs.read_stream(&ids);
        assert_eq!(read.events.len(), 1);
        assert!(subs.read_stream(&ids).events.is_empty(), "moved on");
        subs.unsubscribe(2, &id).expect("unsubscribes");
        assert!(subs.read_stream(&ids).ended);
        assert_eq!(
            subs.open_stream(2, &ids),
            Err((ResponseCode::ErrorSubscriptionNotFound, ids.clone()))
        );
    }

    #[test]
    fn folder_filters_and_event_types_select_events() {
        let subs = Subscriptions::new(Duration::from_secs(60));
        let filter = Filter {
            folders: Some([4].into_iter().collect()),
            event_types: [EventKind::Created].into_iter().collect(),
        };
        let (id, w0) = subs
            .subscribe(0, Kind::Pull { timeout: 10 }, filter, None)
            .expect("subscribes");
        let mut deleted = created(3, 4);
        deleted.kind = EventKind::Deleted;
        subs.record(0, vec![created(1, 4), created(2, 5), deleted]);
        let batch = subs.get_events(0, &id, &w0, false).expect("reads");
        assert_eq!(batch.events.len(), 1);
        assert_eq!(batch.events[0].1.change, created(1, 4));
    }
}
