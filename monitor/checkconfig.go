package monitor

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/probe"
)

// probeOptions converts a validated check's settings for its prober. It
// lives here, not in probe, so that probers know nothing of the
// configuration file.
func probeOptions(c config.Check) probe.Options {
	o := probe.Options{
		Method:             c.Method,
		Body:               c.Body,
		MaxRedirects:       c.MaxRedirects,
		InsecureSkipVerify: c.InsecureSkipVerify,
		ServerName:         c.ServerName,
		Send:               c.Send,
		Username:           c.Username,
		Password:           probe.Secret(c.Password.Reveal()),
		DegradedLatency:    c.DegradedLatency.D(),
		CertMinDays:        c.CertMinDays,
		Expect: probe.Expect{
			BodyContains: c.Expect.BodyContains,
			BodyRegex:    c.Expect.BodyRegex.Regexp,
			Rcodes:       c.Expect.Rcodes,
			MinAnswers:   c.Expect.MinAnswers,
			Answer:       c.Expect.Answer.Regexp,
		},
	}
	for _, r := range c.Expect.Status {
		o.Expect.Status = append(o.Expect.Status, probe.StatusRange{Min: r.Min, Max: r.Max})
	}
	if len(c.Headers)+len(c.SecretHeaders) > 0 {
		o.Headers = http.Header{}
		for k, v := range c.Headers {
			o.Headers.Set(k, v)
		}
		for k, s := range c.SecretHeaders {
			o.Headers.Set(k, s.Value.Reveal())
		}
	}
	return o
}

// fingerprint hashes every field of c, read by reflection, so that a
// setting added to config.Check later restarts its check on a reload
// without anyone remembering to list it here (a hand-kept list of 22
// fields was how a forgotten option would have kept stale state). Secret
// values go into the hash only; the fingerprint is never shown. A push
// check's token is left out: a new token (a reload) is no new check, and
// its state and deadline stay.
func fingerprint(c config.Check) string {
	c.Token, c.TokenFile, c.TokenEnv = "", "", ""
	h := sha256.New()
	writeValue(h, reflect.ValueOf(c))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// writeValue writes an unambiguous encoding of v.
func writeValue(w io.Writer, v reflect.Value) {
	if v.CanInterface() {
		if re, ok := v.Interface().(config.Regexp); ok { // its compiled form is opaque
			if re.Regexp == nil {
				_, _ = io.WriteString(w, "re(nil)")
			} else {
				fmt.Fprintf(w, "re(%q)", re.String())
			}
			return
		}
	}
	switch v.Kind() {
	case reflect.Struct:
		fmt.Fprintf(w, "%s{", v.Type().Name())
		for i := range v.NumField() {
			fmt.Fprintf(w, "%s:", v.Type().Field(i).Name)
			writeValue(w, v.Field(i))
			_, _ = io.WriteString(w, ";")
		}
		_, _ = io.WriteString(w, "}")
	case reflect.Slice, reflect.Array:
		fmt.Fprintf(w, "[%d:", v.Len())
		for i := range v.Len() {
			writeValue(w, v.Index(i))
			_, _ = io.WriteString(w, ",")
		}
		_, _ = io.WriteString(w, "]")
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return compareKeys(a, b) })
		fmt.Fprintf(w, "map[%d:", v.Len())
		for _, k := range keys {
			writeValue(w, k)
			_, _ = io.WriteString(w, "=")
			writeValue(w, v.MapIndex(k))
			_, _ = io.WriteString(w, ",")
		}
		_, _ = io.WriteString(w, "]")
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			_, _ = io.WriteString(w, "nil")
			return
		}
		writeValue(w, v.Elem())
	case reflect.String:
		fmt.Fprintf(w, "%q", v.String())
	case reflect.Bool:
		fmt.Fprintf(w, "%t", v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		fmt.Fprintf(w, "%d", v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		fmt.Fprintf(w, "%d", v.Uint())
	case reflect.Float32, reflect.Float64:
		fmt.Fprintf(w, "%g", v.Float())
	default:
		// A kind config never uses (func, chan): its type at least.
		fmt.Fprintf(w, "<%s>", v.Type())
	}
}

// compareKeys orders map keys by their printed form (config's maps have
// string keys).
func compareKeys(a, b reflect.Value) int { return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
