package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"
)

const incidentUsage = `usage: outpost incident COMMAND [flags] [ID]

commands:
  list    [-state draft|published|resolved|discarded|all]
  show    ID
  new     [-template NAME] [-title T] [-body B] [-impact I] [-components a,b] [-status S] [-publish]
                                      a draft (published with -publish); flags override the
                                      template's fields; without -template, -title is needed
  edit    ID [-title T] [-body B]     without -title/-body: opens $EDITOR
  publish ID [-status S] [-body B]    status defaults to investigating
  update  ID -status S -body B
  resolve ID [-body B]                without -body: the proposed resolution
  discard ID

The admin API is reached at $OUTPOST_SERVER (default http://127.0.0.1:8080)
with the bearer token in $OUTPOST_TOKEN.
`

// adminClient talks to the admin API.
type adminClient struct {
	server, token string
	http          *http.Client
}

func (c adminClient) do(ctx context.Context, method, path string, body any) (map[string]any, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.server, "/")+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	if u := os.Getenv("USER"); u != "" {
		req.Header.Set("X-Outpost-User", u)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach %s: %w (set OUTPOST_SERVER)", c.server, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			return nil, fmt.Errorf("%s %s: HTTP %d, not JSON: %.200s", method, path, resp.StatusCode, data)
		}
	}
	if resp.StatusCode >= 300 {
		msg, _ := out["error"].(string)
		return nil, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, msg)
	}
	return out, nil
}

// adminClientFromEnv is the admin API client of the CLI's commands:
// OUTPOST_SERVER (default http://127.0.0.1:8080) and OUTPOST_TOKEN. Without
// a token it says so on stderr and reports false.
func adminClientFromEnv(env func(string) string, command string, stderr io.Writer) (adminClient, bool) {
	server := env("OUTPOST_SERVER")
	if server == "" {
		server = "http://127.0.0.1:8080"
	}
	token := env("OUTPOST_TOKEN")
	if token == "" {
		fmt.Fprintf(stderr, "outpost %s: set OUTPOST_TOKEN to the admin token\n", command)
		return adminClient{}, false
	}
	return adminClient{server: server, token: token, http: &http.Client{Timeout: 30 * time.Second}}, true
}

func cmdIncident(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, incidentUsage)
		return exitUsage
	}
	c, ok := adminClientFromEnv(env, "incident", stderr)
	if !ok {
		return exitUsage
	}
	fs := flag.NewFlagSet("incident "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	state := fs.String("state", "", "list: which incidents (default: open ones)")
	status := fs.String("status", "", "new/publish/update: Statuspage status")
	body := fs.String("body", "", "edit/publish/update/resolve: text")
	title := fs.String("title", "", "new/edit: title")
	fs.String("template", "", "new: start from this template of the config (templates:)")
	fs.String("impact", "", "new: none, minor, major or critical")
	fs.String("components", "", "new: comma-separated component ids")
	fs.Bool("publish", false, "new: publish at once instead of opening a draft")
	// Flags may come before or after the ID.
	rest := args[1:]
	var id string
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		id, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return exitUsage
	}
	if id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
	}
	needID := args[0] != "list" && args[0] != "new"
	if needID && id == "" {
		fmt.Fprintf(stderr, "outpost incident %s: missing incident ID\n\n%s", args[0], incidentUsage)
		return exitUsage
	}
	path := "/api/admin/incidents/" + id
	var (
		out map[string]any
		err error
	)
	switch args[0] {
	case "list":
		out, err = c.do(ctx, "GET", "/api/admin/incidents?state="+*state, nil)
		if err == nil {
			printIncidentList(stdout, out)
			return exitOK
		}
	case "show":
		out, err = c.do(ctx, "GET", path, nil)
	case "new":
		in, usageErr := newIncidentFromFlags(fs, id)
		if usageErr != nil {
			fmt.Fprintf(stderr, "outpost incident new: %v\n\n%s", usageErr, incidentUsage)
			return exitUsage
		}
		out, err = c.do(ctx, "POST", "/api/admin/incidents", in)
	case "edit":
		out, err = editIncident(ctx, c, path, *title, *body, setFlags(fs), env)
	case "publish":
		out, err = c.do(ctx, "POST", path+"/publish", map[string]string{"status": *status, "body": *body})
	case "update":
		out, err = c.do(ctx, "POST", path+"/updates", map[string]string{"status": *status, "body": *body})
	case "resolve":
		out, err = c.do(ctx, "POST", path+"/resolve", map[string]string{"body": *body})
	case "discard":
		out, err = c.do(ctx, "POST", path+"/discard", nil)
	default:
		fmt.Fprintf(stderr, "outpost incident: unknown command %q\n\n%s", args[0], incidentUsage)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "outpost incident %s: %v\n", args[0], err)
		return exitFail
	}
	printIncident(stdout, out)
	return exitOK
}

// newIncidentInput is the body of POST /api/admin/incidents: fields not
// given stay out, so the template's (or the server's default) apply.
type newIncidentInput struct {
	Template   string    `json:"template,omitempty"`
	Name       *string   `json:"name,omitempty"`
	Body       *string   `json:"body,omitempty"`
	Impact     *string   `json:"impact,omitempty"`
	Components *[]string `json:"components,omitempty"`
	Status     *string   `json:"status,omitempty"`
	Publish    bool      `json:"publish,omitempty"`
}

// newIncidentFromFlags reads the flags of incident new that were given;
// the error is a usage error.
func newIncidentFromFlags(fs *flag.FlagSet, arg string) (newIncidentInput, error) {
	var in newIncidentInput
	if arg != "" {
		return in, fmt.Errorf("unexpected argument %q", arg)
	}
	fs.Visit(func(f *flag.Flag) {
		v := f.Value.String()
		switch f.Name {
		case "template":
			in.Template = v
		case "title":
			in.Name = &v
		case "body":
			in.Body = &v
		case "impact":
			in.Impact = &v
		case "status":
			in.Status = &v
		case "components":
			in.Components = splitList(v)
		case "publish":
			in.Publish = v == "true"
		}
	})
	if in.Template == "" && (in.Name == nil || strings.TrimSpace(*in.Name) == "") {
		return in, errors.New("give -title or -template NAME")
	}
	return in, nil
}

// splitList reads "a, b,c" as [a b c]; "" is the empty list.
func splitList(s string) *[]string {
	out := []string{}
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return &out
}

func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// editIncident patches name and body from flags, or from $EDITOR: the
// first line is the title, the rest after a blank line the body.
func editIncident(ctx context.Context, c adminClient, path, title, body string, set map[string]bool, env func(string) string) (map[string]any, error) {
	patch := map[string]string{}
	if set["title"] {
		patch["name"] = title
	}
	if set["body"] {
		patch["body"] = body
	}
	if len(patch) == 0 {
		cur, err := c.do(ctx, "GET", path, nil)
		if err != nil {
			return nil, err
		}
		name, _ := cur["name"].(string)
		text, _ := cur["body"].(string)
		edited, err := runEditor(env, name+"\n\n"+text+"\n")
		if err != nil {
			return nil, err
		}
		first, rest, _ := strings.Cut(edited, "\n")
		patch["name"], patch["body"] = strings.TrimSpace(first), strings.TrimSpace(rest)
		if patch["name"] == "" {
			return nil, errors.New("edit aborted: the first line (the title) is empty")
		}
	}
	return c.do(ctx, "PATCH", path, patch)
}

func runEditor(env func(string) string, text string) (string, error) {
	editor := env("EDITOR")
	if editor == "" {
		editor = "vi"
	}
	f, err := os.CreateTemp("", "outpost-incident-*.txt")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return "", err
	}
	f.Close()
	cmd := exec.Command("sh", "-c", editor+` "$1"`, "editor", f.Name())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("editor %q: %w", editor, err)
	}
	data, err := os.ReadFile(f.Name())
	return string(data), err
}

func printIncidentList(w io.Writer, out map[string]any) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tSTATUS\tIMPACT\tCOMPONENTS\tNAME")
	list, _ := out["incidents"].([]any)
	for _, item := range list {
		inc, _ := item.(map[string]any)
		var comps []string
		for _, c := range asList(inc["components"]) {
			if m, ok := c.(map[string]any); ok {
				comps = append(comps, fmt.Sprint(m["id"]))
			}
		}
		fmt.Fprintf(tw, "%v\t%v\t%v\t%v\t%s\t%v\n", inc["id"], inc["state"], inc["status"], inc["impact"], strings.Join(comps, ","), inc["name"])
	}
	tw.Flush()
}

func asList(v any) []any { l, _ := v.([]any); return l }

func printIncident(w io.Writer, inc map[string]any) {
	fmt.Fprintf(w, "#%v  %v  [%v, %v, impact %v]\n", inc["id"], inc["name"], inc["state"], inc["status"], inc["impact"])
	if b, _ := inc["body"].(string); b != "" {
		fmt.Fprintf(w, "\n%s\n", b)
	}
	for _, key := range []string{"incident_updates", "draft_updates"} {
		for _, item := range asList(inc[key]) {
			u, _ := item.(map[string]any)
			label := ""
			if key == "draft_updates" {
				label = " (draft)"
			}
			fmt.Fprintf(w, "\n%v  %v%s\n  %v\n", u["created_at"], u["status"], label, u["body"])
		}
	}
	if inc["state"] == "draft" {
		fmt.Fprintf(w, "\npublish with: outpost incident publish %v\n", inc["id"])
	}
}
