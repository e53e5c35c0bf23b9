package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

const subscribersUsage = `usage: outpost subscribers COMMAND [flags]

commands:
  list    [-q TEXT] [-state all|confirmed|unconfirmed]
                                      subscribers whose address contains TEXT, oldest first
  remove  ID                          delete a subscriber (audited; the address is gone)
  export  [-q TEXT] [-state ...]      CSV on stdout: id, email, components (space-separated
                                      ids, empty for all), created, confirmed, consent_time,
                                      consent_client_addr, consent_text; times in RFC 3339

The admin API is reached at $OUTPOST_SERVER (default http://127.0.0.1:8080)
with the bearer token in $OUTPOST_TOKEN.
`

// subscriberRow is a subscriber as GET /api/admin/subscribers shows it.
type subscriberRow struct {
	ID         uint64     `json:"id"`
	Email      string     `json:"email"`
	Components []string   `json:"components"`
	Created    time.Time  `json:"created"`
	Confirmed  *time.Time `json:"confirmed"`
	Consent    struct {
		Time       time.Time `json:"time"`
		ClientAddr string    `json:"client_addr"`
		Text       string    `json:"text"`
	} `json:"consent"`
}

// subscriberPage is one answer of GET /api/admin/subscribers.
type subscriberPage struct {
	Subscribers []subscriberRow `json:"subscribers"`
	Confirmed   int             `json:"confirmed"`
	Unconfirmed int             `json:"unconfirmed"`
	Next        uint64          `json:"next"`
}

func cmdSubscribers(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, subscribersUsage)
		return exitUsage
	}
	c, ok := adminClientFromEnv(env, "subscribers", stderr)
	if !ok {
		return exitUsage
	}
	fs := flag.NewFlagSet("subscribers "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	q := fs.String("q", "", "list/export: only addresses containing this text")
	state := fs.String("state", "all", "list/export: all, confirmed or unconfirmed")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	var err error
	switch args[0] {
	case "list", "export":
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "outpost subscribers %s: unexpected argument %q\n\n%s", args[0], fs.Arg(0), subscribersUsage)
			return exitUsage
		}
		var all []subscriberRow
		var last subscriberPage
		all, last, err = fetchSubscribers(ctx, c, *q, *state)
		if err == nil && args[0] == "list" {
			printSubscribers(stdout, all, last)
		} else if err == nil {
			err = exportSubscribers(stdout, all)
		}
	case "remove":
		if fs.NArg() != 1 {
			fmt.Fprintf(stderr, "outpost subscribers remove: give one subscriber ID\n\n%s", subscribersUsage)
			return exitUsage
		}
		id, perr := strconv.ParseUint(fs.Arg(0), 10, 64)
		if perr != nil || id == 0 {
			fmt.Fprintf(stderr, "outpost subscribers remove: %q is not a subscriber ID (a positive number; see outpost subscribers list)\n", fs.Arg(0))
			return exitUsage
		}
		if _, err = c.do(ctx, "DELETE", "/api/admin/subscribers/"+strconv.FormatUint(id, 10), nil); err == nil {
			fmt.Fprintf(stdout, "removed subscriber %d\n", id)
		}
	default:
		fmt.Fprintf(stderr, "outpost subscribers: unknown command %q\n\n%s", args[0], subscribersUsage)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "outpost subscribers %s: %v\n", args[0], err)
		return exitFail
	}
	return exitOK
}

// fetchSubscribers pages through GET /api/admin/subscribers and returns
// every match and the last page (for the counts).
func fetchSubscribers(ctx context.Context, c adminClient, q, state string) ([]subscriberRow, subscriberPage, error) {
	var all []subscriberRow
	var page subscriberPage
	for after := uint64(0); ; after = page.Next {
		v := url.Values{"q": {q}, "state": {state}, "after": {strconv.FormatUint(after, 10)}, "limit": {"1000"}}
		out, err := c.do(ctx, "GET", "/api/admin/subscribers?"+v.Encode(), nil)
		if err != nil {
			return nil, page, err
		}
		data, err := json.Marshal(out)
		if err != nil {
			return nil, page, err
		}
		page = subscriberPage{}
		if err := json.Unmarshal(data, &page); err != nil {
			return nil, page, fmt.Errorf("unexpected answer from the admin API: %w", err)
		}
		all = append(all, page.Subscribers...)
		if page.Next == 0 || page.Next <= after {
			return all, page, nil
		}
	}
}

func printSubscribers(w io.Writer, subs []subscriberRow, page subscriberPage) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tSTATE\tCOMPONENTS\tCREATED")
	for _, s := range subs {
		state := "unconfirmed"
		if s.Confirmed != nil {
			state = "confirmed"
		}
		comps := strings.Join(s.Components, ",")
		if comps == "" {
			comps = "all"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", s.ID, s.Email, state, comps, s.Created.Format(time.RFC3339))
	}
	tw.Flush()
	fmt.Fprintf(w, "%d shown; %d confirmed and %d unconfirmed in all\n", len(subs), page.Confirmed, page.Unconfirmed)
}

// exportSubscribers writes the CSV of export. Values are written as
// stored (an address may begin with = or +: open the file in a
// spreadsheet with care).
func exportSubscribers(w io.Writer, subs []subscriberRow) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "email", "components", "created", "confirmed", "consent_time", "consent_client_addr", "consent_text"})
	for _, s := range subs {
		confirmed := ""
		if s.Confirmed != nil {
			confirmed = s.Confirmed.Format(time.RFC3339)
		}
		_ = cw.Write([]string{strconv.FormatUint(s.ID, 10), s.Email, strings.Join(s.Components, " "),
			s.Created.Format(time.RFC3339), confirmed, s.Consent.Time.Format(time.RFC3339),
			s.Consent.ClientAddr, s.Consent.Text})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}
