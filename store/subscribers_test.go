package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

var subT0 = time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)

// signUp adds email at t and returns the subscriber and the confirmation
// token its mail carried ("" when no mail was enqueued).
func signUp(t *testing.T, db *DB, email string, at time.Time, components ...string) (Subscriber, string) {
	t.Helper()
	var token string
	s, mailed, err := db.AddSubscriber(SignUp{
		Email: email, Components: components, ResendAfter: 10 * time.Minute,
		Consent: Consent{Time: at, ClientAddr: "192.0.2.7", Text: "I agree."},
	}, func(s Subscriber, tok string) []OutboxMessage {
		token = tok
		return []OutboxMessage{{Channel: "mail", Key: fmt.Sprintf("subscribe/%d/%d", s.ID, s.Consent.Time.UnixNano()),
			Subject: "confirm", Text: SubscriberLink("https://status.example.com", PurposeConfirm, tok)}}
	})
	if err != nil {
		t.Fatal(err)
	}
	if mailed != (token != "") {
		t.Fatalf("mailed = %v but token %q", mailed, token)
	}
	return s, token
}

func TestSubscriberConfirmationLinkIsSingleUseAndExpires(t *testing.T) {
	db := openTest(t)
	s, tok := signUp(t, db, " Ada@Example.COM ", subT0, "web", "api", "web")
	if s.Email != "ada@example.com" || !slices.Equal(s.Components, []string{"api", "web"}) || s.IsConfirmed() {
		t.Fatalf("stored %+v", s)
	}
	if msgs, _ := db.Outbox("mail", 0); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "/subscribe/confirm?token="+tok) {
		t.Fatalf("outbox = %+v", msgs)
	}
	ttl := 48 * time.Hour
	if _, err := db.ConfirmSubscriber(tok, subT0.Add(ttl), ttl); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("confirm at ttl: err = %v, want ErrTokenExpired", err)
	}
	got, err := db.ConfirmSubscriber(tok, subT0.Add(time.Hour), ttl)
	if err != nil || !got.Confirmed.Equal(subT0.Add(time.Hour)) {
		t.Fatalf("confirm = %+v, %v", got, err)
	}
	if _, err := db.ConfirmSubscriber(tok, subT0.Add(2*time.Hour), ttl); !errors.Is(err, ErrBadToken) {
		t.Errorf("second use: err = %v, want ErrBadToken", err)
	}
	if _, err := db.SubscriberByToken(tok, PurposeConfirm); !errors.Is(err, ErrBadToken) {
		t.Errorf("used token by SubscriberByToken: err = %v, want ErrBadToken", err)
	}
}

func TestSubscriberSignUpAgain(t *testing.T) {
	db := openTest(t)
	s, first := signUp(t, db, "bo@example.org", subT0)
	if _, again := signUp(t, db, "BO@example.org", subT0.Add(time.Minute), "web"); again != "" {
		t.Error("a second request within ResendAfter was mailed")
	}
	s2, second := signUp(t, db, "bo@example.org", subT0.Add(time.Hour), "web")
	if second == "" || s2.ID != s.ID || !slices.Equal(s2.Components, []string{"web"}) || !s2.Created.Equal(subT0) {
		t.Fatalf("request after ResendAfter: %+v, token %q", s2, second)
	}
	if _, err := db.ConfirmSubscriber(first, subT0.Add(2*time.Hour), 48*time.Hour); !errors.Is(err, ErrBadToken) {
		t.Errorf("replaced link: err = %v, want ErrBadToken", err)
	}
	if _, err := db.ConfirmSubscriber(second, subT0.Add(2*time.Hour), 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	s3, tok := signUp(t, db, "bo@example.org", subT0.Add(5*time.Hour), "api")
	if tok != "" || !slices.Equal(s3.Components, []string{"web"}) || !s3.Consent.Time.Equal(subT0.Add(time.Hour)) {
		t.Errorf("a confirmed address signed up again: %+v, token %q; want unchanged and no mail", s3, tok)
	}
	if msgs, _ := db.Outbox("mail", 0); len(msgs) != 2 {
		t.Errorf("%d mails, want 2", len(msgs))
	}
}

func TestSubscriberTokensRefuseForgeries(t *testing.T) {
	db := openTest(t)
	if _, err := db.SubscriberByToken("AQAAAAAAAAAB", PurposeManage); !errors.Is(err, ErrBadToken) {
		t.Errorf("before any key: err = %v", err)
	}
	s, _ := signUp(t, db, "cy@example.net", subT0)
	other, _ := signUp(t, db, "dee@example.net", subT0)
	manage, err := db.SubscriberToken(s.ID, PurposeManage)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.SubscriberByToken(manage, PurposeManage); err != nil || got.ID != s.ID {
		t.Fatalf("manage token: %+v, %v", got, err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(manage)
	flipped := slices.Clone(raw)
	flipped[len(flipped)-1] ^= 1
	otherID := slices.Clone(raw)
	otherID[8] = byte(other.ID)
	for name, tok := range map[string]string{
		"empty": "", "garbage": "not a token", "padding": manage + "==", "truncated": manage[:20],
		"flipped mac": base64.RawURLEncoding.EncodeToString(flipped),
		"other id":    base64.RawURLEncoding.EncodeToString(otherID),
		"long":        strings.Repeat("A", 10000),
	} {
		if _, err := db.SubscriberByToken(tok, PurposeManage); !errors.Is(err, ErrBadToken) {
			t.Errorf("%s: err = %v, want ErrBadToken", name, err)
		}
	}
	if _, err := db.SubscriberByToken(manage, PurposeUnsubscribe); !errors.Is(err, ErrBadToken) {
		t.Errorf("manage token as unsubscribe: err = %v", err)
	}
	if _, err := db.ConfirmSubscriber(manage, subT0, time.Hour); !errors.Is(err, ErrBadToken) {
		t.Errorf("manage token as confirm: err = %v", err)
	}
	if _, err := db.SubscriberToken(s.ID, "delete"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown purpose: err = %v", err)
	}
	if err := db.DeleteSubscriber(s.ID, AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SubscriberByToken(manage, PurposeManage); !errors.Is(err, ErrBadToken) {
		t.Errorf("token of a removed subscriber: err = %v", err)
	}
	_ = db.bolt.Sync()
	data, _ := os.ReadFile(db.Path())
	if bytes.Contains(data, []byte(manage)) {
		t.Error("the database file holds a token")
	}
}

func TestSubscriberManageAndDelete(t *testing.T) {
	db := openTest(t)
	s, tok := signUp(t, db, "eve@example.com", subT0)
	if _, err := db.ConfirmSubscriber(tok, subT0, time.Hour); err != nil {
		t.Fatal(err)
	}
	got, err := db.SetSubscriberComponents(s.ID, []string{"web"})
	if err != nil || !slices.Equal(got.Components, []string{"web"}) || !got.IsConfirmed() {
		t.Fatalf("SetSubscriberComponents = %+v, %v", got, err)
	}
	audit := AuditEntry{At: subT0, Actor: "admin", Action: "subscriber-remove", Detail: "subscriber 1"}
	if err := db.DeleteSubscriber(s.ID, audit); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSubscriber(s.ID, audit); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: err = %v, want ErrNotFound", err)
	}
	if _, err := db.Subscriber(s.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Subscriber after delete: err = %v", err)
	}
	if a, _ := db.Audit(0); len(a) != 1 || a[0].Action != "subscriber-remove" {
		t.Errorf("audit = %+v", a)
	}
	s2, tok2 := signUp(t, db, "eve@example.com", subT0.Add(time.Hour))
	if s2.ID == s.ID || tok2 == "" {
		t.Errorf("signing up after removal: id %d (old %d), token %q; want a new id and a mail", s2.ID, s.ID, tok2)
	}
}

func TestConfirmedSubscribersByComponent(t *testing.T) {
	db := openTest(t)
	confirm := func(email string, components ...string) Subscriber {
		s, tok := signUp(t, db, email, subT0, components...)
		if _, err := db.ConfirmSubscriber(tok, subT0, time.Hour); err != nil {
			t.Fatal(err)
		}
		return s
	}
	all := confirm("all@example.com")
	web := confirm("web@example.com", "web")
	sip := confirm("sip@example.com", "sip", "api")
	signUp(t, db, "pending@example.com", subT0) // unconfirmed: never
	ids := func(subs []Subscriber) []uint64 {
		var out []uint64
		for _, s := range subs {
			out = append(out, s.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name       string
		components []string
		want       []uint64
	}{
		{"web", []string{"web"}, []uint64{all.ID, web.ID}},
		{"api or dns", []string{"dns", "api"}, []uint64{all.ID, sip.ID}},
		{"no component", nil, []uint64{all.ID, web.ID, sip.ID}},
		{"unknown", []string{"x"}, []uint64{all.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.ConfirmedSubscribers(tc.components...)
			if err != nil || !slices.Equal(ids(got), tc.want) {
				t.Errorf("ConfirmedSubscribers(%v) = %v, %v; want %v", tc.components, ids(got), err, tc.want)
			}
		})
	}
	if c, u, err := db.SubscriberCounts(); c != 3 || u != 1 || err != nil {
		t.Errorf("SubscriberCounts = %d, %d, %v; want 3, 1", c, u, err)
	}
}

func TestUnconfirmedSubscribersExpire(t *testing.T) {
	db := openTest(t)
	for i := range 7 {
		signUp(t, db, fmt.Sprintf("p%d@example.com", i), subT0)
	}
	kept, tok := signUp(t, db, "kept@example.com", subT0)
	if _, err := db.ConfirmSubscriber(tok, subT0, time.Hour); err != nil {
		t.Fatal(err)
	}
	late, _ := signUp(t, db, "late@example.com", subT0.Add(90*time.Minute))
	if n, err := db.PruneUnconfirmed(subT0.Add(2*time.Hour), time.Hour, 3); n != 3 || err != nil {
		t.Fatalf("bounded prune = %d, %v; want 3", n, err)
	}
	st, err := db.Prune(context.Background(), subT0.Add(2*time.Hour), Retention{Unconfirmed: time.Hour}, 2)
	if err != nil || st.Subscribers != 4 {
		t.Fatalf("Prune = %+v, %v; want 4 subscribers", st, err)
	}
	left, _ := db.Subscribers(nil)
	if len(left) != 2 || left[0].ID != kept.ID || left[1].ID != late.ID {
		t.Errorf("left %+v; want the confirmed one and the recent one", left)
	}
	if _, tok := signUp(t, db, "p0@example.com", subT0.Add(3*time.Hour)); tok == "" {
		t.Error("an expired address can not sign up again")
	}
}

func TestNormaliseEmail(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{"a@example.com", "a@example.com", nil},
		{"  First.Last+tag@Sub.Example.COM\t", "first.last+tag@sub.example.com", nil},
		{"o'brien@xn--bcher-kva.example", "o'brien@xn--bcher-kva.example", nil},
		{"", "", ErrEmailInvalid},
		{"plain", "", ErrEmailInvalid},
		{"@example.com", "", ErrEmailInvalid},
		{"a@", "", ErrEmailInvalid},
		{"a@localhost", "", ErrEmailInvalid},
		{"a@@example.com", "", ErrEmailInvalid},
		{"a@b@example.com", "", ErrEmailInvalid},
		{".a@example.com", "", ErrEmailInvalid},
		{"a..b@example.com", "", ErrEmailInvalid},
		{"a@-example.com", "", ErrEmailInvalid},
		{"a@example..com", "", ErrEmailInvalid},
		{"a b@example.com", "", ErrEmailInvalid},
		{`"a"@example.com`, "", ErrEmailInvalid},
		{"Ada <a@example.com>", "", ErrEmailInvalid},
		{"a@example.com\r\nBcc: victim@example.org", "", ErrEmailInvalid},
		{"a@example.com\nBcc:x@example.org", "", ErrEmailInvalid},
		{"a\x00@example.com", "", ErrEmailInvalid},
		{"ä@example.com", "", ErrEmailInvalid},
		{"a@bücher.example", "", ErrEmailInvalid},
		{strings.Repeat("a", 65) + "@example.com", "", ErrEmailInvalid},
		{"a@" + strings.Repeat("b", 64) + ".com", "", ErrEmailInvalid},
		{strings.Repeat("a", 60) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "com", "", ErrEmailTooLong},
		{strings.Repeat("a", 64) + "@" + strings.Repeat(strings.Repeat("b", 62)+".", 3) + "com", "", ErrEmailTooLong},
		{strings.Repeat("a", 100000), "", ErrEmailTooLong},
	} {
		t.Run(fmt.Sprintf("%.40q", tc.in), func(t *testing.T) {
			got, err := NormaliseEmail(tc.in)
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Errorf("NormaliseEmail(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestSubscriberLink(t *testing.T) {
	for _, tc := range []struct{ page, purpose, want string }{
		{"https://status.example.com", PurposeConfirm, "https://status.example.com/subscribe/confirm?token=t-_1"},
		{"https://status.example.com/", PurposeManage, "https://status.example.com/subscribe/manage?token=t-_1"},
		{"https://example.com/status", PurposeUnsubscribe, "https://example.com/status/unsubscribe?token=t-_1"},
	} {
		if got := SubscriberLink(tc.page, tc.purpose, "t-_1"); got != tc.want {
			t.Errorf("SubscriberLink(%q, %q) = %q, want %q", tc.page, tc.purpose, got, tc.want)
		}
	}
}

// FuzzNormaliseEmail: whatever is accepted is short, has nothing that
// could change a mail header, and normalises to itself.
func FuzzNormaliseEmail(f *testing.F) {
	for _, s := range []string{"a@example.com", "A.B+c@Example.org", "a@example.com\r\nBcc: x@y.z", " x@y.z "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := NormaliseEmail(in)
		if err != nil {
			return
		}
		if len(got) > 254 || strings.ContainsAny(got, " \t\r\n\x00<>,;:\"") || strings.Count(got, "@") != 1 {
			t.Errorf("NormaliseEmail(%q) accepted %q", in, got)
		}
		if again, err := NormaliseEmail(got); again != got || err != nil {
			t.Errorf("not idempotent: %q -> %q, %v", got, again, err)
		}
	})
}
