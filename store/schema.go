package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A migration moves the database from its schema version to the next one
// inside Open's transaction; buckets of the current schema already exist.
type migration func(tx *bolt.Tx, loc *time.Location) error

// migrations is keyed by the version a migration starts from. They run
// in Open's transaction up to schema inTxSchema; the move to schema 3
// (moveResults) can be too large for one transaction and runs after it.
var migrations = map[uint32]migration{
	1: migrateV1,
}

// inTxSchema is the last version Open's transaction migrates to.
const inTxSchema = 2

// moveResults moves schema 2's results/<check>/<time> into
// results-by-time/<time><check> in transactions of at most maxKeys keys,
// deleting what it moved in the same transaction, and then records schema
// 3. A crash part-way loses nothing: the schema stays 2 and the next Open
// moves the rest.
func (db *DB) moveResults(maxKeys int) error {
	for {
		done := false
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			if binary.BigEndian.Uint32(meta.Get(keySchema)) >= 3 {
				done = true
				return nil
			}
			old := tx.Bucket(bucketResults)
			if old == nil {
				done = true
				return meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, 3))
			}
			dst := tx.Bucket(bucketResultsByTime)
			dst.FillPercent = appendFill
			names, err := bucketNames(old)
			if err != nil {
				return err
			}
			moved := 0
			for _, name := range names {
				b := old.Bucket(name)
				var keys [][]byte
				c := b.Cursor()
				for k, v := c.First(); k != nil && moved < maxKeys; k, v = c.Next() {
					if len(k) != 8 || v == nil {
						return fmt.Errorf("%w: results/%s has a key %x that is not a time", ErrCorrupt, name, k)
					}
					key := appendResultKey(nil, int64(binary.BigEndian.Uint64(k)), string(name))
					if err := dst.Put(key, bytes.Clone(v)); err != nil {
						return err
					}
					keys = append(keys, bytes.Clone(k))
					moved++
				}
				for _, k := range keys {
					if err := b.Delete(k); err != nil {
						return err
					}
				}
				if k, _ := b.Cursor().First(); k == nil {
					if err := old.DeleteBucket(name); err != nil {
						return err
					}
				}
				if moved >= maxKeys {
					return nil
				}
			}
			done = true
			if err := tx.DeleteBucket(bucketResults); err != nil {
				return err
			}
			return meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, 3))
		})
		if err != nil {
			return fmt.Errorf("store: %s: migrate schema 2 to 3 (results by time): %w", db.path, err)
		}
		if done {
			return nil
		}
	}
}

// migrate runs the migrations from version from up to to and records the
// new version.
func migrate(tx *bolt.Tx, from, to uint32, table map[uint32]migration, loc *time.Location) error {
	for v := from; v < to; v++ {
		m, ok := table[v]
		if !ok {
			return fmt.Errorf("schema %d has no migration to %d", v, v+1)
		}
		if err := m(tx, loc); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
	}
	return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint32(nil, to))
}

// migrateV1 adds to a schema 1 database (results only; intervals and
// rollups empty) the daily probe rollups of its stored results.
func migrateV1(tx *bolt.Tx, loc *time.Location) error {
	root := tx.Bucket(bucketResults)
	if root == nil {
		return tx.Bucket(bucketMeta).Put(keyLocation, []byte(loc.String()))
	}
	checks, err := bucketNames(root)
	if err != nil {
		return err
	}
	for _, check := range checks {
		days := probeDays{loc: loc}
		err := root.Bucket(check).ForEach(func(k, v []byte) error {
			r, err := decodeResult(v)
			if err != nil {
				return fmt.Errorf("result of %q at %s: %w", check, keyTime(k).Format(time.RFC3339Nano), err)
			}
			r.Time = keyTime(k)
			days.add(r)
			return nil
		})
		if err != nil {
			return err
		}
		if err := days.apply(tx, CheckSubject(string(check)).bucket()); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketMeta).Put(keyLocation, []byte(loc.String()))
}

// followLocation records the page time zone. When it changed, the state
// time of every rollup is recomputed from the intervals on the new
// calendar days; probe counts stay on the days they were counted on.
func followLocation(tx *bolt.Tx, loc *time.Location) error {
	meta := tx.Bucket(bucketMeta)
	stored := meta.Get(keyLocation)
	if string(stored) == loc.String() {
		return nil
	}
	if stored != nil {
		if err := rebuildStateTime(tx, loc); err != nil {
			return fmt.Errorf("move rollups to time zone %s: %w", loc, err)
		}
	}
	return meta.Put(keyLocation, []byte(loc.String()))
}

func rebuildStateTime(tx *bolt.Tx, loc *time.Location) error {
	if err := clearStateTime(tx.Bucket(bucketRollups)); err != nil {
		return err
	}
	ivRoot := tx.Bucket(bucketIntervals)
	names, err := bucketNames(ivRoot)
	if err != nil {
		return err
	}
	for _, name := range names {
		var closed []Interval
		err := ivRoot.Bucket(name).ForEach(func(k, v []byte) error {
			iv, err := decodeInterval(keyTime(k), v)
			if err == nil && !iv.Open() {
				closed = append(closed, iv)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		rb, err := rollupBucket(tx, name)
		if err != nil {
			return err
		}
		for _, iv := range closed {
			if err := addStateTime(rb, iv.State, iv.Start, iv.End, loc); err != nil {
				return err
			}
		}
	}
	return nil
}

// clearStateTime zeroes the state time of every rollup; collects first,
// then writes (never under a cursor).
func clearStateTime(root *bolt.Bucket) error {
	names, err := bucketNames(root)
	if err != nil {
		return err
	}
	for _, name := range names {
		b := root.Bucket(name)
		var keys, vals [][]byte
		err := b.ForEach(func(k, v []byte) error {
			r, err := decodeRollup(v)
			if err != nil {
				return fmt.Errorf("%s: rollup %s: %w", name, keyDate(k), err)
			}
			r.ns = [numStates]uint64{}
			keys, vals = append(keys, bytes.Clone(k)), append(vals, encodeRollup(&r))
			return nil
		})
		if err != nil {
			return err
		}
		for i := range keys {
			if err := b.Put(keys[i], vals[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// bucketNames copies the names of the nested buckets of root.
func bucketNames(root *bolt.Bucket) ([][]byte, error) {
	var names [][]byte
	err := root.ForEachBucket(func(k []byte) error {
		names = append(names, bytes.Clone(k))
		return nil
	})
	return names, err
}
