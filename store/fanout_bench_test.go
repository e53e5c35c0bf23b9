package store

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkFanOut enqueues the fan-out of one event to 10,000 confirmed
// subscribers as the subscriptions channel's worker does: one
// transaction for the job (the event's own change), then FanOutStep
// with 500 subscribers a step (notify.FanOutChunk) until the job ends,
// fsync on. It reports the cost per subscriber and the transactions an
// event takes, the figures of issue 18's benchmark.
func BenchmarkFanOut(b *testing.B) {
	const subscribers, chunk = 10000, 500
	db := openBench(b, nil)
	confirmed := outboxT0.Add(-3 * time.Hour)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucketSubscribers)
		if err != nil {
			return err
		}
		for id := uint64(1); id <= subscribers; id++ {
			s := Subscriber{ID: id, Email: fmt.Sprintf("sub%05d@example.com", id), Confirmed: confirmed}
			if err := putJSON(bk, idKey(id), s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	event, txs := 0, 0
	for b.Loop() {
		event++
		job := msg("mail", fmt.Sprintf("ev%d-subscribers", event))
		job.FanOut, job.Incident = true, &MessageIncident{ID: uint64(event), Components: []string{"web"}}
		if err := db.Enqueue([]OutboxMessage{job}); err != nil {
			b.Fatal(err)
		}
		txs++
		queued := 0
		for more := true; more; {
			n, m, err := db.FanOutStep("mail", chunk, copyFor, outboxT0)
			if err != nil {
				b.Fatal(err)
			}
			queued, more = queued+n, m
			txs++
		}
		if queued != subscribers {
			b.Fatalf("queued %d copies, want %d", queued, subscribers)
		}
	}
	runtime.ReadMemStats(&ms1)
	per := float64(b.N * subscribers)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/subscriber")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/per, "allocs/subscriber")
	b.ReportMetric(float64(txs)/float64(b.N), "transactions/event")
}
