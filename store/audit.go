package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// AuditBefore returns up to limit audit entries with an id below before,
// newest first (before 0: from the newest). A page of the review console's
// audit log is one call; the next page starts before the last id it got.
func (db *DB) AuditBefore(before uint64, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		var k, v []byte
		if before == 0 {
			k, v = c.Last()
		} else {
			k, v = c.Seek(idKey(before))
			if k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev() // Seek lands on before itself or the first id after it
			}
		}
		for ; k != nil && len(out) < limit; k, v = c.Prev() {
			var e AuditEntry
			if err := getJSON(v, &e); err != nil {
				return fmt.Errorf("audit %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read audit: %w", err)
	}
	return out, nil
}
