package replay

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Masked is how a "param" header shows a secret's value.
const Masked = "***"

// ParamMeta returns one "param" header per param set for the run (the -D
// values, by name), so that a replay can set them again:
//
//	# param: qos="1"
//	# param: topic="atrun/replay"
//	# param: password=***
//
// The value is Go-quoted; a secret (secret reports which names are) is
// written as *** unquoted, never its value: a recording's header is read
// by people who should not learn it. An empty secret means none and is
// kept. The chunk lines still hold whatever bytes the flow sent.
func ParamMeta(params map[string]string, secret func(name string) bool) []Meta {
	out := make([]Meta, 0, len(params))
	for _, k := range slices.Sorted(maps.Keys(params)) {
		v := strconv.Quote(params[k])
		if secret != nil && secret(k) && params[k] != "" {
			v = Masked
		}
		out = append(out, Meta{Key: "param", Value: k + "=" + v})
	}
	return out
}

// Params reads the "param" headers back: the values by name, and the names
// of secrets that were masked (their values are not in the header).
func (r *Recording) Params() (values map[string]string, masked []string, err error) {
	values = map[string]string{}
	for _, m := range r.Meta {
		if m.Key != "param" {
			continue
		}
		name, v, ok := strings.Cut(m.Value, "=")
		if !ok || name == "" {
			return nil, nil, fmt.Errorf("bad param header %q: want name=\"value\"", clip(m.Value, 40))
		}
		if v == Masked {
			masked = append(masked, name)
			continue
		}
		s, err := strconv.Unquote(v)
		if err != nil {
			return nil, nil, fmt.Errorf("bad param header %q: the value is not a Go-quoted string", clip(m.Value, 40))
		}
		values[name] = s
	}
	return values, masked, nil
}
