package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The result log keeps the results of a quiet daemon between commits.
//
// Every bbolt commit costs two fdatasyncs, and on an idle daemon (ten
// checks at 30 s) one commit per result was a third of its CPU: more than
// the probes. So results that come slowly are appended to a log beside
// the database within flush_interval, as before, but with write(2) alone,
// and committed to bbolt (with the log's results since the last commit)
// at most every logCommitEvery. A process that is killed loses nothing
// the log holds: the kernel has it, and Open commits it. What a power
// cut can take is the log's unsynced tail, at most logCommitEvery of raw
// results (intervals, incidents and everything acknowledged to a user are
// committed as before). A torn or corrupt tail is cut at the first record
// that does not check out. Under load (more than logMaxResults waiting)
// the writer commits every flush as before and the log stays empty.
//
// Records: 4-byte little-endian payload length, 4-byte CRC-32C of the
// payload, payload. Payload: uvarint sequence number, uvarint result
// count, per result (uvarint-length check, varint Unix nanoseconds,
// uvarint-length encoded value as in the results bucket), then varint
// heartbeat Unix nanoseconds (0: none). A commit stores the sequence
// number of the last record it covers in meta/resultlog, so a record
// already committed is never applied twice (the log is truncated after
// the commit, but a kill may come in between).

const (
	// logCommitEvery is how long results may wait in the log.
	logCommitEvery = 30 * time.Second
	// logMaxResults: with more results waiting the writer commits.
	logMaxResults = 256
	// maxLogRecord bounds a record read back; a longer length is corrupt.
	maxLogRecord = 1 << 20
)

var (
	keyResultLog = []byte("resultlog")
	crcTable     = crc32.MakeTable(crc32.Castagnoli)
)

// LogSuffix names the result log: the database's path plus this.
const LogSuffix = ".results.log"

// resultLog is the log file of a DB. It is created at the first append
// and removed by the next Open, so a database that never logged has no
// log beside it.
type resultLog struct {
	path string
	f    *os.File // nil until the first append
	next uint64   // sequence number of the next record
}

// openResultLog commits to b, in one transaction, every record of the log
// of the database at dbPath not yet committed and removes the log; it
// returns the log to append to and how many results it committed.
func openResultLog(b *bolt.DB, dbPath string, apply func(*bolt.Tx, Batch) error) (*resultLog, int, error) {
	path := dbPath + LogSuffix
	var committed uint64
	if err := b.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyResultLog); len(v) == 8 {
			committed = binary.BigEndian.Uint64(v)
		}
		return nil
	}); err != nil {
		return nil, 0, fmt.Errorf("store: read result log position: %w", err)
	}
	l := &resultLog{path: path, next: committed + 1}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return l, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("store: read result log: %w (check data_dir and its permissions)", err)
	}
	var pending Batch
	last := committed
	for len(data) > 0 {
		seq, batch, rest, ok := decodeLogRecord(data)
		if !ok {
			break // a torn or corrupt tail: what follows cannot be trusted
		}
		data = rest
		last = max(last, seq)
		if seq <= committed {
			continue
		}
		pending.Results = append(pending.Results, batch.Results...)
		if batch.Heartbeat.After(pending.Heartbeat) {
			pending.Heartbeat = batch.Heartbeat
		}
	}
	l.next = last + 1
	if !pending.empty() {
		err := b.Update(func(tx *bolt.Tx) error {
			if v := tx.Bucket(bucketMeta).Get(keyHeartbeat); v != nil && !pending.Heartbeat.IsZero() {
				if old, err := decodeHeartbeat(v); err == nil && old.After(pending.Heartbeat) {
					pending.Heartbeat = time.Time{} // keep the later one
				}
			}
			if err := apply(tx, pending); err != nil {
				return err
			}
			return putLogPosition(tx, last)
		})
		if err != nil {
			return nil, 0, fmt.Errorf("store: commit %d results from the result log %s: %w", len(pending.Results), path, err)
		}
	}
	if err := os.Remove(path); err != nil {
		return nil, 0, fmt.Errorf("store: remove the committed result log: %w", err)
	}
	return l, len(pending.Results), nil
}

// append writes b's results and heartbeat as one record and returns its
// sequence number. It does not sync (see the comment at the top).
func (l *resultLog) append(b Batch) (uint64, error) {
	if l.f == nil {
		f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return 0, fmt.Errorf("store: create result log: %w", err)
		}
		l.f = f
	}
	seq := l.next
	if _, err := l.f.Write(encodeLogRecord(seq, b)); err != nil {
		return 0, fmt.Errorf("store: append to result log: %w", err)
	}
	l.next++
	return seq, nil
}

// truncate empties the log after a commit covered it. A failure leaves
// records that Open skips by their sequence numbers.
func (l *resultLog) truncate() error {
	if l.f == nil {
		return nil
	}
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("store: empty result log: %w", err)
	}
	return nil
}

// close closes the log and removes it when every record in it was
// committed (it was emptied), so a cleanly stopped daemon leaves only
// outpost.db.
func (l *resultLog) close() error {
	if l.f == nil {
		return nil
	}
	fi, err := l.f.Stat()
	if cerr := l.f.Close(); cerr != nil {
		return cerr
	}
	if err == nil && fi.Size() == 0 {
		return os.Remove(l.path)
	}
	return err
}

func putLogPosition(tx *bolt.Tx, seq uint64) error {
	return tx.Bucket(bucketMeta).Put(keyResultLog, binary.BigEndian.AppendUint64(nil, seq))
}

func encodeLogRecord(seq uint64, b Batch) []byte {
	p := make([]byte, 0, 64*len(b.Results)+24)
	p = binary.AppendUvarint(p, seq)
	p = binary.AppendUvarint(p, uint64(len(b.Results)))
	for _, r := range b.Results {
		p = binary.AppendUvarint(p, uint64(len(r.Check)))
		p = append(p, r.Check...)
		p = binary.AppendVarint(p, r.Time.UnixNano())
		v := encodeResult(r)
		p = binary.AppendUvarint(p, uint64(len(v)))
		p = append(p, v...)
	}
	var hb int64
	if !b.Heartbeat.IsZero() {
		hb = b.Heartbeat.UnixNano()
	}
	p = binary.AppendVarint(p, hb)
	rec := make([]byte, 8, 8+len(p))
	binary.LittleEndian.PutUint32(rec, uint32(len(p)))
	binary.LittleEndian.PutUint32(rec[4:], crc32.Checksum(p, crcTable))
	return append(rec, p...)
}

// decodeLogRecord reads the record at the start of data; ok is false for
// a short, oversized, corrupt or malformed one.
func decodeLogRecord(data []byte) (seq uint64, b Batch, rest []byte, ok bool) {
	if len(data) < 8 {
		return 0, b, nil, false
	}
	n := binary.LittleEndian.Uint32(data)
	if n > maxLogRecord || uint64(len(data)-8) < uint64(n) {
		return 0, b, nil, false
	}
	p := data[8 : 8+n]
	if crc32.Checksum(p, crcTable) != binary.LittleEndian.Uint32(data[4:]) {
		return 0, b, nil, false
	}
	b, seq, err := decodeLogPayload(p)
	if err != nil {
		return 0, Batch{}, nil, false
	}
	return seq, b, data[8+n:], true
}

var errBadLog = errors.New("malformed result log record")

func decodeLogPayload(p []byte) (Batch, uint64, error) {
	var b Batch
	rd := bytes.NewReader(p)
	seq, err := binary.ReadUvarint(rd)
	if err != nil {
		return b, 0, errBadLog
	}
	count, err := binary.ReadUvarint(rd)
	if err != nil || count > uint64(rd.Len()) {
		return b, 0, errBadLog
	}
	for range count {
		check, err := readString(rd)
		if err != nil {
			return b, 0, errBadLog
		}
		ns, err := binary.ReadVarint(rd)
		if err != nil {
			return b, 0, errBadLog
		}
		v, err := readString(rd)
		if err != nil {
			return b, 0, errBadLog
		}
		r, err := decodeResult([]byte(v))
		if err != nil {
			return b, 0, errBadLog
		}
		r.Check, r.Time = check, time.Unix(0, ns).UTC()
		if !validResult(r) {
			return b, 0, errBadLog
		}
		b.Results = append(b.Results, r)
	}
	hb, err := binary.ReadVarint(rd)
	if err != nil || rd.Len() != 0 {
		return b, 0, errBadLog
	}
	if hb > 0 {
		b.Heartbeat = time.Unix(0, hb).UTC()
	}
	return b, seq, nil
}
