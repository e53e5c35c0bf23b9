// Package store keeps outpost's data in one bbolt file, <data_dir>/outpost.db.
//
// # Layout (schema version 3)
//
//	meta/schema                       uint32 big-endian schema version
//	meta/location                     page time zone of the rollups (IANA name)
//	meta/heartbeat                    last time the monitor was alive
//	results-by-time/<time><check key> one probe result (time first: see
//	                                  WriteResults)
//	intervals/<subject>/<start>       one state interval
//	rollups/<subject>/<day>           one calendar day of a subject
//	probe-days/<subject>              probe counts of the subject's latest
//	                                  day: 8-byte day key, then a rollup
//	incidents/<id>                    one incident (JSON) with its updates
//	maintenance/<id>, audit/<id>      windows added at run time; audit entries
//	outbox/<channel>/<seq>            one pending notification (JSON), in
//	                                  channel order (NextSequence)
//	sent/<channel>/<key>              idempotency mark of a notification key:
//	                                  written at enqueue, completed when the
//	                                  message leaves the outbox, pruned 30
//	                                  days later (PruneSent)
//	held/<channel>/<not before><seq>  an escalation waiting for its time
//	                                  (8-byte Unix ns, then NextSequence);
//	                                  Release moves it to the outbox or
//	                                  drops it, with its sent mark
//	fanout/<channel>/<seq>            a subscriber fan-out in progress: the
//	                                  message and a cursor (the highest
//	                                  subscriber id with its copy queued);
//	                                  FanOutStep moves it with the copies
//	subscribers/<id>                  one email subscriber (JSON)
//	subscriber-email/<address>        its id, by normalised address
//	meta/subscriber-key               32 random bytes: the HMAC key of
//	                                  subscriber link tokens
//	updates                           created empty
//
// A subject is "check:<component>/<check>" or "component:<id>". Keys are
// 8-byte big-endian Unix nanoseconds, so a time range is a cursor seek;
// result keys add the check key after the time, so every batch of results
// is appended at the end of one tree. A
// rollup's day key is the UTC midnight of its calendar date in the page
// time zone (so days sort and are found by date in any zone). Buckets of
// appended keys split pages at 90 % (FillPercent 0.9).
//
// # Values
//
// Every value starts with a format version byte; a decoder rejects
// formats it does not know, so a new format can be added beside the old.
//
//	result    1, outcome byte (1 up, 2 degraded, 3 down), uvarint duration
//	          ns, varint status code, varint cert expiry (Unix s, 0 none),
//	          uvarint length + class, uvarint length + message
//	interval  1, state byte (0 unknown, 1 up, 2 degraded, 3 partial,
//	          4 down, 5 maintenance), then for a closed interval its length
//	          in ns as a uvarint (> 0); the open interval has none
//	rollup    1, then uvarints: ns per state in the order above; probes up,
//	          degraded, down; latency histogram counts for ≤25 ms, ≤50 ms,
//	          ≤100 ms, ≤250 ms, ≤500 ms, ≤1 s, ≤2.5 s, ≤5 s, ≤10 s, slower
//	heartbeat 1, 8-byte big-endian Unix ns
//	incident, audit entry, maintenance, outbox message, sent mark
//	          1, JSON
//
// # Outbox
//
// A notification is enqueued in the transaction of the change that causes
// it (CreateIncidentWith, UpdateIncidentWith, AddMaintenanceWith), so a
// change is never stored without its messages nor a message without its
// change. A key already marked on the channel is skipped: the same event
// is never enqueued twice. MarkSent and MarkFailed delete the message and
// complete its mark in one transaction. Adding the sent bucket needs no
// schema change: Open creates missing buckets.
//
// # Subscribers and their link tokens
//
// Every subscriber mail carries a manage and an unsubscribe link, long
// after the sign-up, yet no token is stored, not even hashed: links are
// signed. A token is base64url(1, id as 8 bytes, [request time,] MAC),
// the MAC being HMAC-SHA256 under meta/subscriber-key over a fixed label,
// the purpose ("confirm", "manage", "unsubscribe") and the bytes before
// it, checked in constant time (hmac.Equal). So a token works for one
// subscriber and one purpose only; a removed subscriber's tokens find
// nobody (ids come from NextSequence and are never reused); deleting the
// key ends every link at once. Manage and unsubscribe tokens never change
// (the links in old mails keep working). A confirmation token also binds
// the time of the sign-up request it answers (Consent.Time, 8-byte Unix
// ns): it is refused once the subscriber is confirmed (single use), when
// a newer request replaced that time, and after confirm_ttl
// (ConfirmSubscriber). Unconfirmed subscribers are deleted confirm_ttl
// after their last request, in bounded transactions (Prune with
// Retention.Unconfirmed). SubscriberLink builds the public URLs of the
// tokens; publish serves them and notify writes them into mails, so the
// helper lives here, below both.
//
// # Intervals, rollups and availability
//
// RecordTransitions keeps, per subject, contiguous state intervals; the
// last one is open. Closing an interval adds its time, split at the
// calendar days of the page time zone, to the subject's rollups;
// WriteResults adds each result to its check's probe counts of that day
// (by outcome, and a latency histogram). The latest day's counts are kept
// in probe-days, one record per subject in one tree, so that a batch of
// thousands of checks rewrites a few pages rather than a page per check;
// when a later day arrives they move to rollups/<subject>/<day>. Days adds
// the probe-days record to the day it belongs to. Availability, Windows and Days
// never scan raw results: whole days come from rollups, the partial days
// at the edges of a range from the closed intervals there, and the open
// interval is added up to now. Time no interval covers is unknown. When
// the page time zone changes, Open moves the state time of all rollups to
// the new calendar days (from the intervals); probe counts stay where
// they were counted.
//
// # Schema versions
//
// Open refuses a database from a newer outpost (ErrNewerSchema) and
// migrates an older one in its opening transaction, one version at a time
// through the migrations table (keyed by the version it starts from).
// Schema 1 had results only; its migration builds their probe rollups.
// Schemas 1 and 2 kept results per check (results/<check>/<time>); the
// move to schema 3 can be large, so it runs after Open's transaction in
// transactions of 50,000 results, deleting what it moved as it goes, and
// records schema 3 when the old bucket is empty. A crash part-way leaves
// schema 2 and the next Open carries on.
//
// # Retention and file size
//
// Prune deletes raw results, closed intervals and rollups past retention
// in transactions of a bounded number of keys (keys are collected, then
// deleted), so the flusher is never held up long; expired results are
// all at the start of their bucket; RunRetention calls it
// periodically. bbolt reuses freed pages but never shrinks its file: the
// file stays at its high-water mark. `outpost backup` (CopyFile) writes a
// compacted copy holding only live pages; restoring it shrinks the file.
// DB.Backup is the hot copy for the admin API: consistent (one read
// transaction) but not compacted.
//
// # Transactions
//
// Callers never see a bbolt transaction: each method runs one transaction
// and copies bytes out before it ends. Results are written in batches by
// Writer; RecordTransitions, Heartbeat and later admin writes commit
// before they return.
package store
