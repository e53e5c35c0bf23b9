package store

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Retention says how long data is kept; zero keeps it forever.
type Retention struct {
	Results time.Duration // raw probe results
	History time.Duration // closed state intervals and daily rollups
	// Unconfirmed is subscriptions.confirm_ttl: subscribers who did not
	// confirm within it of their last sign-up request are deleted.
	Unconfirmed time.Duration
}

// PruneStats counts what a Prune deleted.
type PruneStats struct {
	Results, Intervals, Rollups int // keys deleted
	Buckets                     int // emptied subject buckets removed
	Subscribers                 int // unconfirmed subscribers expired
	Transactions                int
}

func (p PruneStats) deleted() int {
	return p.Results + p.Intervals + p.Rollups + p.Buckets + p.Subscribers
}

// expiredFunc reports whether a key of a subject bucket is past retention.
// Keys are visited oldest first; the first false ends the subject.
type expiredFunc func(k, v []byte) (bool, error)

// Prune deletes raw results older than now−r.Results, closed intervals that
// ended before now−r.History and rollups of days before that, in
// transactions of at most maxKeysPerTx deletions each, so that writers
// are never held up long. It stops early when ctx ends.
func (db *DB) Prune(ctx context.Context, now time.Time, r Retention, maxKeysPerTx int) (PruneStats, error) {
	var st PruneStats
	if maxKeysPerTx <= 0 {
		return st, fmt.Errorf("store: prune: %w: maxKeysPerTx %d", ErrInvalid, maxKeysPerTx)
	}
	type job struct {
		root    []byte
		keep    time.Duration
		expired expiredFunc
		count   *int
	}
	resultCut := seekKey(now.Add(-r.Results))
	historyCut := now.Add(-r.History)
	dayCut := dateOf(historyCut, db.loc).key()
	if r.Results > 0 {
		if err := db.pruneResults(ctx, resultCut, maxKeysPerTx, &st); err != nil {
			return st, fmt.Errorf("store: prune %s: %w", bucketResultsByTime, err)
		}
	}
	jobs := []job{
		{bucketIntervals, r.History, func(k, v []byte) (bool, error) {
			iv, err := decodeInterval(keyTime(k), v)
			return err == nil && !iv.Open() && !iv.End.After(historyCut), err
		}, &st.Intervals},
		{bucketRollups, r.History, func(k, _ []byte) (bool, error) { return bytes.Compare(k, dayCut) < 0, nil }, &st.Rollups},
	}
	if r.History > 0 {
		if err := db.pruneProbeDays(dayCut, &st); err != nil {
			return st, fmt.Errorf("store: prune %s: %w", bucketProbeDays, err)
		}
	}
	for _, j := range jobs {
		if j.keep <= 0 {
			continue
		}
		if err := db.pruneRoot(ctx, j.root, j.expired, maxKeysPerTx, j.count, &st); err != nil {
			return st, fmt.Errorf("store: prune %s: %w", j.root, err)
		}
	}
	for r.Unconfirmed > 0 && ctx.Err() == nil {
		n, err := db.PruneUnconfirmed(now, r.Unconfirmed, maxKeysPerTx)
		st.Subscribers += n
		st.Transactions++
		if err != nil {
			return st, err
		}
		if n < maxKeysPerTx {
			break
		}
	}
	return st, nil
}

// pruneResults deletes results keyed before cut, oldest first, at most
// budget keys per transaction. They are at the start of the bucket.
func (db *DB) pruneResults(ctx context.Context, cut []byte, budget int, st *PruneStats) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := 0
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketResultsByTime)
			keys, err := collectExpired(b, func(k, _ []byte) (bool, error) { return bytes.Compare(k[:min(8, len(k))], cut) < 0, nil }, budget)
			if err != nil {
				return err
			}
			for _, k := range keys {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			n = len(keys)
			return nil
		})
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		st.Transactions++
		st.Results += n
		if n < budget {
			return nil
		}
	}
}

// pruneProbeDays deletes latest-day probe counts of days before dayCut:
// subjects that stopped having results (a check removed long ago). There
// is one record per subject, so one transaction does.
func (db *DB) pruneProbeDays(dayCut []byte, st *PruneStats) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketProbeDays)
		var old [][]byte
		err := b.ForEach(func(k, v []byte) error {
			if len(v) >= 8 && bytes.Compare(v[:8], dayCut) < 0 {
				old = append(old, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		st.Rollups += len(old)
		if len(old) > 0 {
			st.Transactions++
		}
		return nil
	})
}

// pruneRoot prunes every subject bucket of root, chunk by chunk.
func (db *DB) pruneRoot(ctx context.Context, root []byte, expired expiredFunc, budget int, count *int, st *PruneStats) error {
	var from []byte // first subject the next chunk looks at
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var c pruneChunk
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			c = pruneChunk{budget: budget}
			return c.run(tx.Bucket(root), from, expired)
		})
		if err != nil {
			return err
		}
		st.Transactions++
		*count += c.keys
		st.Buckets += c.buckets
		if c.next == nil {
			return nil
		}
		from = c.next
	}
}

// pruneChunk is the work of one transaction.
type pruneChunk struct {
	budget  int
	keys    int    // keys deleted
	buckets int    // empty subject buckets removed
	next    []byte // subject to resume at; nil when all are done
}

func (c *pruneChunk) run(root *bolt.Bucket, from []byte, expired expiredFunc) error {
	var names [][]byte
	cur := root.Cursor()
	for k, v := cur.Seek(from); k != nil; k, v = cur.Next() {
		if v == nil { // nested bucket
			names = append(names, bytes.Clone(k))
		}
	}
	for _, name := range names {
		b := root.Bucket(name)
		keys, err := collectExpired(b, expired, c.budget-c.keys)
		if err != nil {
			return fmt.Errorf("%q: %w", name, err)
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		c.keys += len(keys)
		if k, _ := b.Cursor().First(); k == nil {
			if err := root.DeleteBucket(name); err != nil {
				return err
			}
			c.buckets++
		}
		if c.keys >= c.budget {
			c.next = name
			return nil
		}
	}
	return nil
}

// collectExpired copies up to limit expired keys of b, oldest first.
func collectExpired(b *bolt.Bucket, expired expiredFunc, limit int) ([][]byte, error) {
	var keys [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil && len(keys) < limit; k, v = c.Next() {
		if v == nil {
			return nil, fmt.Errorf("unexpected nested bucket %q", k)
		}
		ok, err := expired(k, v)
		if err != nil {
			return nil, fmt.Errorf("key %x: %w", k, err)
		}
		if !ok {
			break
		}
		keys = append(keys, bytes.Clone(k))
	}
	return keys, nil
}

// RetentionOptions configure RunRetention.
type RetentionOptions struct {
	Retention
	Every        time.Duration // default 1 h
	MaxKeysPerTx int           // default 5,000
	Logger       *slog.Logger
	Now          func() time.Time // default time.Now
}

// RunRetention prunes at once and then every o.Every until ctx ends.
// Errors are logged (when they change) and retried at the next run.
func (db *DB) RunRetention(ctx context.Context, o RetentionOptions) {
	if o.Every <= 0 {
		o.Every = time.Hour
	}
	if o.MaxKeysPerTx <= 0 {
		o.MaxKeysPerTx = 5000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	t := time.NewTicker(o.Every)
	defer t.Stop()
	var lastErr string
	for {
		st, err := db.Prune(ctx, o.Now(), o.Retention, o.MaxKeysPerTx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && err.Error() != lastErr:
			o.Logger.Warn("store retention failed; retrying at the next run", "err", err)
		case err == nil && st.deleted() > 0:
			o.Logger.Info("store retention pruned", "results", st.Results, "intervals", st.Intervals,
				"rollups", st.Rollups, "buckets", st.Buckets, "subscribers", st.Subscribers, "transactions", st.Transactions)
		}
		if err == nil {
			lastErr = ""
		} else {
			lastErr = err.Error()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
