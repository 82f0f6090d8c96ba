package report

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/atrun/atrun/lang"
	"github.com/atrun/atrun/runtime"
)

// Status is the outcome of a run.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
)

// Record is one run of one script on one port. See the package doc for
// the JSON form.
type Record struct {
	// ID names the run uniquely (NewID), so that a record sent twice,
	// after a retry, is stored once. Empty in records from before IDs.
	ID           string            `json:"id,omitempty"`
	Script       string            `json:"script"`
	ScriptSHA256 string            `json:"script_sha256"`
	Params       map[string]string `json:"params,omitempty"`
	Port         string            `json:"port"`
	USB          USB               `json:"usb,omitzero"`
	Run          int               `json:"run"`
	Start        time.Time         `json:"start"`
	End          time.Time         `json:"end"`
	DurationMS   float64           `json:"duration_ms"`
	Status       Status            `json:"status"`
	Failure      *Failure          `json:"failure,omitempty"`
	Emitted      []Value           `json:"emitted"`
	Steps        []Step            `json:"steps"`
	// Warnings are what the run survived, such as lines dropped unread.
	Warnings []string `json:"warnings,omitempty"`
}

// USB identifies the device behind a port, as the port enumerator reports
// it.
type USB struct {
	VID     string `json:"vid,omitempty"`
	PID     string `json:"pid,omitempty"`
	Serial  string `json:"serial,omitempty"`
	Product string `json:"product,omitempty"`
}

// Failure says why a run failed.
type Failure struct {
	Pos     string   `json:"pos,omitempty"` // file:line:col
	Step    string   `json:"step,omitempty"`
	Kind    string   `json:"kind"` // a runtime.ErrKind
	Message string   `json:"message"`
	Last    []string `json:"last_received,omitempty"`
}

// String is the failure on one line: "pos: step: message".
func (f *Failure) String() string {
	var parts []string
	for _, s := range []string{f.Pos, f.Step, f.Message} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ": ")
}

// Value is one emitted value.
type Value struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// Encoding is "hex" when the value was bytes that are not UTF-8 text
	// and Value holds them as lowercase hex; otherwise empty.
	Encoding string `json:"encoding,omitempty"`
}

// String is "name=value", or "name=hex:value" for hex values.
func (v Value) String() string {
	if v.Encoding != "" {
		return v.Name + "=" + v.Encoding + ":" + v.Value
	}
	return v.Name + "=" + v.Value
}

// Step is how long one finished step took.
type Step struct {
	Pos  string  `json:"pos"`
	Step string  `json:"step"`
	MS   float64 `json:"ms"`
}

// Duration is the step's time as a time.Duration.
func (s Step) Duration() time.Duration { return time.Duration(math.Round(s.MS * 1e6)) }

// Info is what a record needs beyond the run's result.
type Info struct {
	Script string
	// Sources are the bytes of the script and of each file it includes,
	// script first, in load order; only their hash is kept.
	Sources [][]byte
	// Params are the param values to record (see ResolvedParams).
	Params map[string]string
	// Secrets are the names of secret params: their values are masked.
	Secrets []string
	Port    string
	USB     USB
	Run     int // 1-based; 0 means 1
}

// ScriptInfo fills in Script, Sources and Secrets from a loaded program.
func ScriptInfo(p *runtime.Program) Info {
	info := Info{Script: p.File.Path, Sources: Sources(p.File)}
	for _, prm := range p.Params {
		if prm.Secret && !slices.Contains(info.Secrets, prm.Name) {
			info.Secrets = append(info.Secrets, prm.Name)
		}
	}
	return info
}

// ResolvedParams returns every param's value as recorded: the given -D
// values converted to the param's type, and the defaults of the others.
func ResolvedParams(p *runtime.Program, given map[string]string) (map[string]string, error) {
	vars, err := p.ResolveParams(given)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		s, enc := Render(v)
		if enc != "" {
			s = enc + ":" + s
		}
		out[k] = s
	}
	return out, nil
}

// Sources returns the bytes of f and of every file it includes,
// recursively, in load order, each file once.
func Sources(f *lang.File) [][]byte {
	var out [][]byte
	seen := map[string]bool{}
	for _, f := range lang.Files(f) {
		// The same file included by two paths is hashed once.
		if key := filepath.Clean(f.Path); !seen[key] {
			seen[key] = true
			out = append(out, []byte(f.Source))
		}
	}
	return out
}

// Hash is the hex SHA-256 of the sources, concatenated.
func Hash(sources ...[]byte) string {
	h := sha256.New()
	for _, s := range sources {
		h.Write(s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// FromResult builds the record of one run.
func FromResult(info Info, res *runtime.Result) Record {
	rec := Record{
		Script:       info.Script,
		ScriptSHA256: Hash(info.Sources...),
		Port:         info.Port,
		USB:          info.USB,
		Run:          max(info.Run, 1),
		Status:       Pass,
		Emitted:      []Value{},
		Steps:        []Step{},
	}
	mask := newMasker(info.Params, info.Secrets)
	if len(info.Params) > 0 {
		rec.Params = make(map[string]string, len(info.Params))
		for k, v := range info.Params {
			if slices.Contains(info.Secrets, k) {
				v = "***"
			}
			rec.Params[k] = v
		}
	}
	if res == nil {
		rec.Status = Fail
		rec.Failure = &Failure{Kind: string(runtime.KindScript), Message: "no result"}
		return rec
	}
	rec.Start, rec.End = res.Start, res.End
	rec.DurationMS = ms(res.End.Sub(res.Start))
	for _, e := range res.Emitted {
		s, enc := Render(e.Value)
		if enc == "" {
			s = mask(s)
		}
		rec.Emitted = append(rec.Emitted, Value{Name: e.Name, Value: s, Encoding: enc})
	}
	for _, w := range res.Warnings {
		rec.Warnings = append(rec.Warnings, mask(w))
	}
	for _, st := range res.Steps {
		rec.Steps = append(rec.Steps, Step{Pos: posString(st.Pos), Step: mask(st.Step), MS: ms(st.Elapsed)})
	}
	if res.Err != nil {
		rec.Status = Fail
		rec.Failure = failure(res.Err, mask)
	}
	return rec
}

func failure(err error, mask func(string) string) *Failure {
	var re *runtime.Error
	if !errors.As(err, &re) {
		// Not a run error: bad params or an internal error.
		return &Failure{Kind: string(runtime.KindScript), Message: mask(err.Error())}
	}
	f := &Failure{Pos: posString(re.Pos), Step: mask(re.Step), Kind: string(re.Kind), Message: re.Msg}
	if f.Kind == "" {
		f.Kind = string(runtime.KindScript)
	}
	if f.Message == "" && re.Err != nil {
		f.Message = re.Err.Error()
	}
	f.Message = mask(f.Message)
	for _, l := range re.Last {
		f.Last = append(f.Last, runtime.EscapeInvalid(mask(l)))
	}
	return f
}

func posString(p lang.Pos) string {
	if p.Line == 0 {
		return p.Filename
	}
	return p.String()
}

// ms is d in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }

// newMasker returns a function masking every form of the secret params'
// values, as the run itself does.
func newMasker(params map[string]string, secrets []string) func(string) string {
	var vals []string
	for _, name := range secrets {
		vals = append(vals, params[name])
	}
	return runtime.NewRedactor(vals...).String
}

// Render turns an emitted value into text: runtime.Show's text, as
// lowercase hex with encoding "hex" when it is not valid UTF-8.
func Render(v any) (text, encoding string) { return runtime.TextOrHex(runtime.Show(v)) }
