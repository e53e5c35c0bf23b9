package notify

import "time"

// bucket is a token bucket: burst tokens, refilled at rate per second.
// It is used by one channel goroutine only.
type bucket struct {
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(perMinute, burst int, now time.Time) *bucket {
	if perMinute <= 0 {
		perMinute = 30
	}
	if burst <= 0 {
		burst = 10
	}
	return &bucket{rate: float64(perMinute) / 60, burst: float64(burst), tokens: float64(burst), last: now}
}

func (b *bucket) refill(now time.Time) {
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
}

// wait returns how long until a token is available (0: now).
func (b *bucket) wait(now time.Time) time.Duration {
	b.refill(now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// take spends a token; call it after wait returned 0.
func (b *bucket) take(now time.Time) {
	b.refill(now)
	b.tokens--
}

// backoff is the wait after the attempts-th failed attempt: first doubling
// from first, capped at max, then spread by ±20 % with jitter in [0, 1),
// and capped at max again.
func backoff(attempts int, first, max time.Duration, jitter float64) time.Duration {
	d := first
	for i := 1; i < attempts && d < max; i++ {
		d *= 2
	}
	d = time.Duration(float64(min(d, max)) * (0.8 + 0.4*jitter))
	return min(d, max)
}
