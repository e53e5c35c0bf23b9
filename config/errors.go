package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/go-multierror"
)

// Error is one problem in a configuration file.
type Error struct {
	File string
	Pos  Pos
	Path string // e.g. components[1].checks[0].target; empty for file-level problems
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: ", e.File, e.Pos.Line, e.Pos.Col)
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors collects every problem found in one file.
type Errors struct {
	file string
	list []*Error
}

func (e *Errors) add(p Pos, path, msg string) {
	e.list = append(e.list, &Error{File: e.file, Pos: p, Path: path, Msg: msg})
}

// err returns nil without problems, else a *multierror.Error whose Errors
// are *Error values sorted by position, printed one per line.
func (e *Errors) err() error {
	if len(e.list) == 0 {
		return nil
	}
	sort.SliceStable(e.list, func(i, j int) bool {
		a, b := e.list[i].Pos, e.list[j].Pos
		return a.Line < b.Line || (a.Line == b.Line && a.Col < b.Col)
	})
	m := &multierror.Error{ErrorFormat: func(es []error) string {
		lines := make([]string, len(es))
		for i, err := range es {
			lines[i] = err.Error()
		}
		return strings.Join(lines, "\n")
	}}
	for _, err := range e.list {
		m.Errors = append(m.Errors, err)
	}
	return m
}

// List returns the individual problems in err (as returned by Load or
// Parse), or nil when err holds none.
func List(err error) []*Error {
	var m *multierror.Error
	if !errors.As(err, &m) {
		var one *Error
		if errors.As(err, &one) {
			return []*Error{one}
		}
		return nil
	}
	var out []*Error
	for _, e := range m.Errors {
		var ce *Error
		if errors.As(e, &ce) {
			out = append(out, ce)
		}
	}
	return out
}
