// Package config reads, defaults and validates outpost's YAML configuration
// (config.example.yaml documents every key). Of outpost it imports only
// text, for the languages a page may be in.
//
// The file is parsed into a yaml.Node tree and walked by hand, so that every
// problem keeps its position and all of them are reported at once as
// FILE:LINE:COL: path: problem. Unknown keys are errors. Keys that are
// absent take their defaults from one place (applyDefaults); keys that are
// present are validated as written, so "fail_after: 0" is an error rather
// than silently becoming 3.
package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Options are hooks for checks config cannot do itself without importing
// other packages.
type Options struct {
	// ValidateTarget checks a target URI (probe.ParseTarget in main).
	// Nil skips target validation.
	ValidateTarget func(raw string) error
	// Getenv reads environment variables; nil means os.Getenv.
	Getenv func(string) string
}

// Load reads and validates the file at path.
func Load(path string, opts Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w (pass -config FILE or set OUTPOST_CONFIG)", err)
	}
	return Parse(path, data, opts)
}

// Parse decodes and validates data; name is used in error positions. On
// error the returned error lists every problem (see List).
func Parse(name string, data []byte, opts Options) (*Config, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	errs := &Errors{file: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		errs.add(syntaxPos(err), "", fmt.Sprintf("YAML syntax: %s", trimYAMLPrefix(err.Error())))
		return nil, errs.err()
	}
	if len(doc.Content) == 0 {
		errs.add(Pos{1, 1}, "", "the file is empty; start from config.example.yaml")
		return nil, errs.err()
	}
	cfg := &Config{File: name}
	d := &decoder{errs: errs, seen: map[string]Pos{}, bad: map[string]bool{}}
	d.decode(doc.Content[0], reflect.ValueOf(cfg).Elem(), "")
	// Validate even after decode errors, so one run reports every problem;
	// paths that failed to decode are not reported again.
	v := &validator{cfg: cfg, seen: d.seen, bad: d.bad, errs: errs, opts: opts}
	v.applyDefaults()
	v.validate()
	if err := errs.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// syntaxPos extracts the line yaml.v3 reports; it gives no column.
func syntaxPos(err error) Pos {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			return Pos{n, 1}
		}
	}
	return Pos{1, 1}
}

func trimYAMLPrefix(s string) string {
	const prefix = "yaml: "
	for len(s) > len(prefix) && s[:len(prefix)] == prefix {
		s = s[len(prefix):]
	}
	return s
}

// ErrNotFound is returned by ReadSecret for a missing source.
var ErrNotFound = errors.New("not found")

// AdminToken returns the admin API token: OUTPOST_ADMIN_TOKEN if set,
// else the content of admin.token_file. An empty token (no variable, no
// file configured, or the file missing) turns the admin API off; the
// reason is returned so the daemon can say why.
func AdminToken(c *Config, getenv func(string) string) (Secret, string) {
	if t := strings.TrimSpace(getenv("OUTPOST_ADMIN_TOKEN")); t != "" {
		if len(t) < 16 {
			return "", "OUTPOST_ADMIN_TOKEN holds fewer than 16 characters; use a long random token (openssl rand -hex 32)"
		}
		return Secret(t), "token from OUTPOST_ADMIN_TOKEN"
	}
	if c.Admin.TokenFile == "" {
		return "", "no admin.token_file and no OUTPOST_ADMIN_TOKEN"
	}
	data, err := os.ReadFile(c.Admin.TokenFile)
	if err != nil {
		return "", fmt.Sprintf("cannot read admin.token_file: %v", err)
	}
	t := strings.TrimSpace(string(data))
	if len(t) < 16 {
		return "", fmt.Sprintf("admin.token_file %s holds fewer than 16 characters; use a long random token (openssl rand -hex 32)", c.Admin.TokenFile)
	}
	return Secret(t), "token from " + c.Admin.TokenFile
}
