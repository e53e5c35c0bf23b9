package store

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestMigrateTable(t *testing.T) {
	step := func(name string, log *[]string) migration {
		return func(*bolt.Tx, *time.Location) error { *log = append(*log, name); return nil }
	}
	tests := []struct {
		name     string
		from, to uint32
		table    func(log *[]string) map[uint32]migration
		want     string
		wantErr  string
		wantVers uint32
	}{
		{"one step", 1, 2, func(l *[]string) map[uint32]migration { return map[uint32]migration{1: step("1", l)} }, "1", "", 2},
		{"chain in order", 1, 4, func(l *[]string) map[uint32]migration {
			return map[uint32]migration{3: step("3", l), 1: step("1", l), 2: step("2", l)}
		}, "1,2,3", "", 4},
		{"gap", 1, 3, func(l *[]string) map[uint32]migration { return map[uint32]migration{1: step("1", l)} },
			"1", "schema 2 has no migration to 3", 1},
		{"failing step", 1, 2, func(*[]string) map[uint32]migration {
			return map[uint32]migration{1: func(*bolt.Tx, *time.Location) error { return errors.New("boom") }}
		}, "", "migrate schema 1 to 2: boom", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t)
			setSchema(t, db, 1)
			var log []string
			err := db.bolt.Update(func(tx *bolt.Tx) error { return migrate(tx, tc.from, tc.to, tc.table(&log), time.UTC) })
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Fatalf("error = %v, want %q", err, tc.wantErr)
			}
			if got := strings.Join(log, ","); got != tc.want {
				t.Errorf("ran %q, want %q", got, tc.want)
			}
			if v := schemaOf(t, db); v != tc.wantVers {
				t.Errorf("schema = %d, want %d", v, tc.wantVers)
			}
			setSchema(t, db, SchemaVersion)
		})
	}
}

func setSchema(t *testing.T, db *DB, v uint32) {
	t.Helper()
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint32(nil, v))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func schemaOf(t *testing.T, db *DB) uint32 {
	t.Helper()
	var v uint32
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		v = binary.BigEndian.Uint32(tx.Bucket(bucketMeta).Get(keySchema))
		return nil
	})
	return v
}

// TestOpenMigratesSchema1 turns a database back into schema 1 (results,
// no rollups, no updates bucket) and opens it: the migration builds the
// probe rollups.
func TestOpenMigratesSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	var rs []Result
	for i := range 100 {
		o := OutcomeUp
		if i%10 == 0 {
			o = OutcomeDown
		}
		rs = append(rs, Result{Check: "web/home", Time: day.Add(time.Duration(i) * 30 * time.Minute), Outcome: o,
			Duration: time.Duration(i) * 10 * time.Millisecond})
	}
	writeLegacyResults(t, db, rs)
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		return errors.Join(tx.DeleteBucket(bucketRollups), tx.DeleteBucket(bucketUpdates), tx.DeleteBucket(bucketResultsByTime),
			meta.Delete(keyLocation), meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, 1)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "must be migrated") {
		t.Errorf("read-only open of schema 1: %v", err)
	}
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkAndClose(t, db) })
	if v := schemaOf(t, db); v != SchemaVersion {
		t.Errorf("schema after migration = %d", v)
	}
	days, err := db.Days(CheckSubject("web/home"), 4, day.Add(3*24*time.Hour), 0.3)
	if err != nil {
		t.Fatal(err)
	}
	want := []int{48, 48, 4, 0}
	for i, d := range days {
		if d.Probes != want[i] {
			t.Errorf("%s: %d probes, want %d", d.Date, d.Probes, want[i])
		}
	}
	// 480 ms to 950 ms in steps of 10 ms
	if days[1].Latency != [LatencyBuckets]uint64{4: 3, 5: 45} {
		t.Errorf("latency of %s = %v", days[1].Date, days[1].Latency)
	}
	if got, _ := db.Results("web/home", day, day.Add(4*24*time.Hour), 0); len(got) != 100 {
		t.Errorf("%d results after migration, want 100", len(got))
	}
}

// writeLegacyResults writes rs in the layout of schemas 1 and 2,
// results/<check>/<time>.
func writeLegacyResults(t *testing.T, db *DB, rs []Result) {
	t.Helper()
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		root, err := tx.CreateBucketIfNotExists(bucketResults)
		if err != nil {
			return err
		}
		for _, r := range rs {
			b, err := root.CreateBucketIfNotExists([]byte(r.Check))
			if err != nil {
				return err
			}
			if err := b.Put(binary.BigEndian.AppendUint64(nil, uint64(r.Time.UnixNano())), encodeResult(r)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOpenMovesSchema2Results moves a schema 2 file's results to the
// time-first layout in small transactions: every result arrives once,
// the old bucket goes, the schema becomes 3, and a read-only open refuses
// the file until then.
func TestOpenMovesSchema2Results(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var rs []Result
	for i := range 40 {
		for _, c := range []string{"web/home", "web/api", "sip/edge"} {
			rs = append(rs, Result{Check: c, Time: t0.Add(time.Duration(i) * time.Minute), Outcome: OutcomeUp, Code: i})
		}
	}
	writeLegacyResults(t, db, rs)
	setSchema(t, db, 2)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "must be migrated") {
		t.Errorf("read-only open of schema 2: %v", err)
	}
	raw, err := openBolt(path, time.Second, false)
	if err != nil {
		t.Fatal(err)
	}
	db = &DB{bolt: raw, path: path, loc: time.UTC}
	if err := db.moveResults(7); err != nil { // 18 transactions
		t.Fatal(err)
	}
	t.Cleanup(func() { checkAndClose(t, db) })
	if v := schemaOf(t, db); v != SchemaVersion {
		t.Errorf("schema = %d", v)
	}
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketResults) != nil {
			t.Error("schema 2 results bucket left behind")
		}
		return nil
	})
	for _, c := range []string{"web/home", "web/api", "sip/edge"} {
		got, err := db.Results(c, t0, t0.Add(time.Hour), 0)
		if err != nil || len(got) != 40 || got[39].Code != 39 || !got[39].Time.Equal(t0.Add(39*time.Minute)) {
			t.Errorf("%s: %d results (%v)", c, len(got), err)
		}
	}
	if checks, _ := db.Checks(); strings.Join(checks, ",") != "sip/edge,web/api,web/home" {
		t.Errorf("Checks() = %v", checks)
	}
}
