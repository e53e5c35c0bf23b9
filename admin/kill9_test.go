package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

// kill9ChildEnv, when set to a database path, makes TestKill9AdminEdits
// the child: it serves the admin API on that database until killed.
const kill9ChildEnv = "OUTPOST_TEST_KILL9_DB"

// runKill9Child runs a real store, a running monitor and the admin API on
// dbPath, prints "ADDR host:port" and serves until it is killed (or a
// minute passes, should the parent have died).
func runKill9Child(t *testing.T, dbPath string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(dbPath, store.Options{LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tg, _ := probe.ParseTarget("tcp://127.0.0.1:1")
	spec := monitor.Spec{
		Checks: []monitor.Check{{Key: "web/home", ID: "home", Component: "web", Target: tg,
			Interval: 50 * time.Millisecond, Timeout: 10 * time.Millisecond, RetryInterval: 50 * time.Millisecond,
			Thresholds: monitor.Thresholds{FailAfter: 3, RecoverAfter: 2}}},
		Components: []monitor.Component{{ID: "web", Name: "Website", Checks: []string{"web/home"}}},
	}
	incidents := incident.New(db, incident.Options{Settings: incident.Settings{Language: "en", GroupWindow: 5 * time.Minute}})
	up := probe.ProberFunc(func(context.Context, probe.Target) probe.Result {
		return probe.Result{Start: time.Now(), Outcome: probe.Up}
	})
	mon := monitor.New(spec, monitor.Options{Prober: up, History: db, Incidents: incidents, MaintenanceStore: db,
		TickInterval: 20 * time.Millisecond})
	go func() { _ = mon.Run(ctx) }() // probes and ticks write to the store while edits are saved
	s := mountAdmin(db, mon, incidents, testToken)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	srv := s.HTTPServer()
	go func() { <-ctx.Done(); srv.Close() }()
	_ = srv.Serve(ln)
}

// kill9Incident is what the parent knows about one incident.
type kill9Incident struct {
	names     []string // every name sent in a create or edit, in order
	acked     int      // index in names of the last acknowledged one
	published bool     // a publish was acknowledged
}

// TestKill9AdminEdits saves admin edits in a child process and kills it
// with SIGKILL at random moments: every edit that got a 2xx answer is in
// the database when it is opened again.
func TestKill9AdminEdits(t *testing.T) {
	if path := os.Getenv(kill9ChildEnv); path != "" {
		runKill9Child(t, path)
		return
	}
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dbPath := filepath.Join(t.TempDir(), store.FileName)
	rng := rand.New(rand.NewPCG(11, 9))
	incidents := map[uint64]*kill9Incident{}
	const rounds = 15
	var acked, sent int
	for round := range rounds {
		addr, child := startKill9Child(t, dbPath)
		client := &http.Client{Timeout: 5 * time.Second}
		killAt := time.Duration(20+rng.IntN(200)) * time.Millisecond
		killed := time.AfterFunc(killAt, func() { _ = child.Process.Kill() })
		for i := 0; ; i++ {
			a, s, err := kill9Step(client, addr, rng, incidents, fmt.Sprintf("r%d-%d", round, i))
			acked, sent = acked+a, sent+s
			if err != nil {
				break // the child is gone
			}
		}
		killed.Stop()
		_ = child.Process.Kill()
		_ = child.Wait()
	}
	t.Logf("%d kills, %d requests sent, %d acknowledged, %d incidents", rounds, sent, acked, len(incidents))
	if acked < rounds {
		t.Fatalf("only %d edits acknowledged in %d rounds: the child barely ran", acked, rounds)
	}
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatalf("reopening after %d kills: %v", rounds, err)
	}
	defer db.Close()
	for id, want := range incidents {
		got, err := db.Incident(id)
		if err != nil {
			t.Errorf("incident %d (acknowledged %q): %v", id, want.names[want.acked], err)
			continue
		}
		// A later edit may have been saved without its answer arriving.
		if i := lastIndex(want.names, got.Name); i < want.acked {
			t.Errorf("incident %d: name %q, want %q or a later edit %q", id, got.Name, want.names[want.acked], want.names[want.acked:])
		}
		// The engine may resolve an incident whose components are
		// operational; it must never fall back to a draft.
		if want.published && got.State != store.IncidentPublished && got.State != store.IncidentResolved {
			t.Errorf("incident %d: state %s, want published (acknowledged)", id, got.State)
		}
	}
}

func lastIndex(s []string, v string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == v {
			return i
		}
	}
	return -1
}

// startKill9Child starts the test binary as the child on dbPath and waits
// for its address.
func startKill9Child(t *testing.T, dbPath string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9AdminEdits$")
	cmd.Env = append(os.Environ(), kill9ChildEnv+"="+dbPath)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
				addrc <- a
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
		close(addrc)
	}()
	select {
	case a, ok := <-addrc:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("child exited without serving (database %s after a kill)", dbPath)
		}
		return a, cmd
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatal("child did not start within 30 s")
	}
	return "", nil
}

// kill9Step sends one create, edit or publish and records what was sent
// and acknowledged (a 4xx, e.g. editing an incident the engine resolved,
// is neither). err is set once the child no longer answers.
func kill9Step(c *http.Client, addr string, rng *rand.Rand, incs map[uint64]*kill9Incident, name string) (acked, sent int, err error) {
	var drafts, all []uint64
	for id, inc := range incs {
		all = append(all, id)
		if !inc.published {
			drafts = append(drafts, id)
		}
	}
	base := "http://" + addr + "/api/admin/incidents"
	switch n := rng.IntN(10); {
	case n < 3 || len(all) == 0:
		status, body, err := kill9Do(c, http.MethodPost, base,
			`{"name":"`+name+`","body":"b","impact":"minor","components":["web"]}`)
		if err != nil || status != http.StatusCreated {
			return 0, 1, err
		}
		id, _ := strconv.ParseUint(body["id"].(string), 10, 64)
		incs[id] = &kill9Incident{names: []string{name}}
		return 1, 1, nil
	case n < 8:
		id := all[rng.IntN(len(all))]
		inc := incs[id]
		inc.names = append(inc.names, name)
		status, _, err := kill9Do(c, http.MethodPatch, base+"/"+strconv.FormatUint(id, 10), `{"name":"`+name+`"}`)
		if err != nil || status != http.StatusOK {
			return 0, 1, err
		}
		inc.acked = len(inc.names) - 1
		return 1, 1, nil
	default:
		if len(drafts) == 0 {
			return 0, 0, nil
		}
		id := drafts[rng.IntN(len(drafts))]
		status, _, err := kill9Do(c, http.MethodPost, base+"/"+strconv.FormatUint(id, 10)+"/publish", `{"status":"investigating"}`)
		if err != nil || status != http.StatusOK {
			return 0, 1, err
		}
		incs[id].published = true
		return 1, 1, nil
	}
}

func kill9Do(c *http.Client, method, url, body string) (int, map[string]any, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err // the answer did not arrive whole: not acknowledged
	}
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out, nil
}
