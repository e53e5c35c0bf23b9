package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Pos is a place in the configuration file.
type Pos struct{ Line, Col int }

// decoder walks a yaml.Node tree into Go values by reflection, so that
// every error keeps its position and every key's presence is recorded
// (explicit values are validated; absent ones get defaults).
type decoder struct {
	errs *Errors
	// seen maps a path such as "components[0].checks[1].interval" to the
	// position of its value.
	seen map[string]Pos
	// bad holds the paths whose values failed to decode, so validation
	// does not report them a second time.
	bad map[string]bool
	// nodes counts decoded nodes; aliases could otherwise expand a small
	// file exponentially ("billion laughs") or loop.
	nodes int
}

// Limits on the shape of a configuration file.
const (
	maxNodes = 200_000
	maxDepth = 64
)

// nodeError is returned by a nodeDecoder to point at a node inside the one
// it was given (an item of a list, say).
type nodeError struct {
	node *yaml.Node
	msg  string
}

func (e *nodeError) Error() string { return e.msg }

// inlineSecretHints turns an unknown key that looks like an inline secret
// into advice.
var inlineSecretHints = map[string]string{
	"secret":       "inline secrets are not allowed; use secret_env or secret_file",
	"password":     "inline passwords are not allowed; use password_env or password_file",
	"app_password": "inline app passwords are not allowed; use app_password_file or app_password_env",
	"token":        "inline tokens are not allowed; use token_file or token_env (the admin token: admin.token_file or OUTPOST_ADMIN_TOKEN)",
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	d.nodes++
	if d.nodes > maxNodes || strings.Count(path, ".")+strings.Count(path, "[") > maxDepth {
		if d.nodes == maxNodes+1 || !d.bad[""] {
			d.bad[""] = true
			d.errs.add(Pos{n.Line, n.Column}, path, "the document is too large or nested too deeply (do aliases refer to themselves?)")
		}
		d.nodes = maxNodes + 2
		return
	}
	d.seen[path] = Pos{n.Line, n.Column}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "key:" with no value keeps the zero value, and so the default
	}
	if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
		if err := nd.decodeNode(n); err != nil {
			at := n
			if ne, ok := err.(*nodeError); ok && ne.node != nil {
				at = ne.node
			}
			d.errorf(at, path, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.errorf(n, path, "expected a string, found a %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		i, err := strconv.Atoi(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil {
			d.errorf(n, path, "expected a whole number, found %s", describe(n))
			return
		}
		v.SetInt(int64(i))
	case reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || err != nil {
			d.errorf(n, path, "expected a number, found %s", describe(n))
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
			d.errorf(n, path, "expected true or false, found %s", describe(n))
			return
		}
		v.SetBool(b)
	default:
		d.errorf(n, path, "internal error: cannot decode into %s", v.Type())
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping of keys, found %s", describe(n))
		return
	}
	fields := map[string]int{}
	var known []string
	for i := 0; i < v.NumField(); i++ {
		tag := v.Type().Field(i).Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		known = append(known, tag)
	}
	sort.Strings(known)
	seenKeys := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		sub := join(path, key.Value)
		idx, ok := fields[key.Value]
		switch {
		case !ok:
			if hint, isSecret := inlineSecretHints[key.Value]; isSecret {
				d.errorf(key, sub, "%s", hint)
			} else {
				d.errorf(key, sub, "unknown key %q (known keys: %s)", key.Value, strings.Join(known, ", "))
			}
			continue
		case seenKeys[key.Value]:
			d.errorf(key, sub, "key %q appears twice", key.Value)
			continue
		}
		seenKeys[key.Value] = true
		d.decode(val, v.Field(idx), sub)
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a list, found %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, found %s", describe(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		sub := join(path, key.Value)
		if m.MapIndex(reflect.ValueOf(key.Value)).IsValid() {
			d.errorf(key, sub, "key %q appears twice", key.Value)
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, elem, sub)
		m.SetMapIndex(reflect.ValueOf(key.Value), elem)
	}
	v.Set(m)
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.bad[path] = true
	d.errs.add(Pos{n.Line, n.Column}, path, fmt.Sprintf(format, args...))
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	default:
		return "value"
	}
}

func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return strconv.Quote(n.Value)
	}
	return "a " + kindName(n)
}
