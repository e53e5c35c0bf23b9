package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/outpost-status/outpost/store"
)

// outpostBinary returns bin, or builds ./cmd/outpost into a temp dir when
// bin is empty; cleanup removes what was built.
func outpostBinary(bin string) (path string, cleanup func(), err error) {
	if bin != "" {
		return bin, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "outpost-bench-bin-")
	if err != nil {
		return "", nil, err
	}
	path = filepath.Join(dir, "outpost")
	if out, err := exec.Command("go", "build", "-o", path, "./cmd/outpost").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("build outpost (run from the repository root or pass -outpost): %w\n%s", err, out)
	}
	return path, func() { os.RemoveAll(dir) }, nil
}

// start writes r's configuration for f into dir, seeds the store if asked
// and starts the daemon; the caller stops it.
func (r daemonRun) start(ctx context.Context, f *targetFarm, dir string) (d *daemonProc, seeded int, err error) {
	cfgPath, err := r.writeConfig(f, dir)
	if err != nil {
		return nil, 0, err
	}
	if r.seedDays > 0 {
		if seeded, err = r.seed(filepath.Join(dir, "data", store.FileName)); err != nil {
			return nil, 0, fmt.Errorf("seed the store: %w", err)
		}
	}
	args := []string{"run", "-config", cfgPath}
	if r.cpuProfile != "" {
		args = append(args, "-cpuprofile", r.cpuProfile, "-memprofile", r.cpuProfile+".heap")
	}
	d, err = startDaemon(ctx, r.bin, args, r.onLog)
	return d, seeded, err
}

// launched is the daemon running on a temp dir against its own farm.
type launched struct {
	*daemonProc
	farm   *targetFarm
	dir    string
	seeded int
}

// launch starts a farm and, on a new temp dir, the daemon; close stops
// both and removes the dir.
func (r daemonRun) launch(ctx context.Context) (*launched, error) {
	farm, err := newFarm()
	if err != nil {
		return nil, err
	}
	if r.arrivals {
		farm.keepArrivals()
	}
	dir, err := os.MkdirTemp("", "outpost-bench-daemon-")
	if err != nil {
		farm.Close()
		return nil, err
	}
	d, seeded, err := r.start(ctx, farm, dir)
	if err != nil {
		farm.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	return &launched{daemonProc: d, farm: farm, dir: dir, seeded: seeded}, nil
}

// launchSteady launches and waits until every check has been probed once;
// it returns how long that took in seconds.
func (r daemonRun) launchSteady(ctx context.Context) (*launched, float64, error) {
	d, err := r.launch(ctx)
	if err != nil {
		return nil, 0, err
	}
	coverage := waitCoverage(d.farm, r.checks, time.Now(), 3*r.interval)
	if coverage < 0 {
		d.close()
		return nil, 0, fmt.Errorf("not every check was probed within %s", 3*r.interval)
	}
	return d, coverage, nil
}

func (d *launched) close() {
	d.stop()
	d.farm.Close()
	os.RemoveAll(d.dir)
}

// childAttr kills a child when this process dies, even by SIGKILL, so
// that no daemon or load process outlives the bench.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// daemonProc is a running outpost daemon whose stderr is read to the end.
type daemonProc struct {
	cmd     *exec.Cmd
	pid     int
	base    string // http://ADDR
	logDone chan struct{}
	once    sync.Once
}

// startDaemon runs bin with args and waits until it listens. Every log
// line after that goes to onLog (nil: discarded), read as it comes so
// that a full pipe never blocks the daemon. The caller must call stop.
func startDaemon(ctx context.Context, bin string, args []string, onLog func([]byte)) (*daemonProc, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = childAttr()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d := &daemonProc{cmd: cmd, pid: cmd.Process.Pid, logDone: make(chan struct{})}
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	addr, err := waitListening(sc)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	d.base = "http://" + addr
	go func() {
		defer close(d.logDone)
		for sc.Scan() {
			if onLog != nil {
				onLog(sc.Bytes())
			}
		}
		_, _ = io.Copy(io.Discard, stderr) // after an overlong line
	}()
	return d, nil
}

// stop sends SIGTERM, so that profiles are written and the store closed,
// and kills the daemon if it has not exited 15 s later. Safe to repeat.
func (d *daemonProc) stop() {
	d.once.Do(func() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		timer := time.NewTimer(15 * time.Second)
		defer timer.Stop()
		select {
		case <-d.logDone: // stderr closed: the daemon has exited
		case <-timer.C:
			_ = d.cmd.Process.Kill()
		}
		_ = d.cmd.Wait()
	})
}

func waitListening(sc *bufio.Scanner) (string, error) {
	for sc.Scan() {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "http server listening" {
			return rec.Addr, nil
		}
	}
	return "", fmt.Errorf("outpost exited before listening")
}

// procCPU returns user+system CPU seconds of pid from /proc, at the
// resolution of USER_HZ (10 ms).
func procCPU(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// procSchedCPU returns the CPU time of pid's live threads in seconds, from
// /proc/PID/task/*/schedstat (nanoseconds). utime+stime count in 10 ms
// ticks, which over a minute of an idle daemon is a few ticks: too coarse
// to compare two figures of 0.02-0.05 CPU-seconds a minute. Threads that
// exited are missing (a Go daemon keeps its threads).
func procSchedCPU(pid int) float64 {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var ns float64
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		if f := strings.Fields(string(data)); len(f) > 0 {
			v, _ := strconv.ParseFloat(f[0], 64)
			ns += v
		}
	}
	return ns / 1e9
}

// procPeakRSS returns VmHWM of pid in bytes.
func procPeakRSS(pid int) int64 { return procStatus(pid, "VmHWM:") }

// procRSS returns VmRSS of pid in bytes.
func procRSS(pid int) int64 { return procStatus(pid, "VmRSS:") }

// procStatus returns a kB field of /proc/pid/status in bytes.
func procStatus(pid int, field string) int64 {
	return statusField(fmt.Sprintf("/proc/%d/status", pid), field) * 1024
}

// statusField returns the number after field in a /proc status file
// (without a "kB" unit).
func statusField(path, field string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// procCtxSwitches sums the voluntary and involuntary context switches of
// every thread of pid (/proc/pid/status counts the main thread only).
// Threads that have exited are no longer counted.
func procCtxSwitches(pid int) (voluntary, involuntary, threads int64) {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	for _, t := range tasks {
		voluntary += statusField(t, "voluntary_ctxt_switches:")
		involuntary += statusField(t, "nonvoluntary_ctxt_switches:")
	}
	return voluntary, involuntary, int64(len(tasks))
}
