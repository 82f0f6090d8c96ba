package lang

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MaxRead bounds a literal read count: a counted binary read larger than
// this is surely a mistake in the script.
const MaxRead = 16 << 20

// Check runs the static checks that need no expression compiler: layout,
// durations, regexes, declarations and flows. It returns every problem
// found, sorted. Expressions and variable scopes are checked by the
// runtime's compiler.
func Check(f *File) ErrorList {
	c := &checker{params: map[string]*Param{}, flows: map[string]*Flow{}}
	c.collect(f, true)
	c.files(f)
	c.errs.Sort()
	return c.errs
}

type checker struct {
	lineEnding *DialectItem // the first line_ending declared
	errs       ErrorList
	params     map[string]*Param
	flows      map[string]*Flow
	finallyAt  *Finally
}

// collect records params and flows of f and its includes, reporting
// duplicates.
func (c *checker) collect(f *File, top bool) {
	for _, s := range f.Stmts {
		switch s := s.(type) {
		case *Param:
			if prev, ok := c.params[s.Name]; ok {
				c.errs.add(s.Pos, "duplicate param %q (first declared at %s)", s.Name, shortPos(prev.Pos, s.Pos))
			} else {
				c.params[s.Name] = s
			}
		case *Flow:
			if prev, ok := c.flows[s.Name]; ok {
				c.errs.add(s.Pos, "duplicate flow %q (first declared at %s)", s.Name, shortPos(prev.Pos, s.Pos))
			} else {
				c.flows[s.Name] = s
			}
		case *Include:
			if s.File != nil {
				c.collect(s.File, top)
			}
		}
	}
}

// shortPos prints p relative to the file of from: "12:3" in the same file.
func shortPos(p, from Pos) string {
	if p.Filename == from.Filename {
		return fmt.Sprintf("line %d", p.Line)
	}
	return p.String()
}

func (c *checker) files(f *File) {
	for _, f := range Files(f) {
		c.stmts(f.Stmts, ctx{top: true})
	}
}

type ctx struct {
	top     bool // at the top level of a file
	inFlow  bool
	inRetry bool // inside a retry block: "=> retry" may restart it
	inOn    bool
}

func (c *checker) stmts(list []Stmt, x ctx) {
	var prev Stmt
	for _, s := range list {
		if prev != nil {
			pe := StmtEnd(prev)
			if StmtPos(s).Line == pe.Line {
				c.errs.add(StmtPos(s), "expected end of line before %s", stmtName(s))
			}
			if _, ok := prev.(*Fail); ok {
				c.errs.add(StmtPos(s), "unreachable code after fail")
			}
		}
		prev = s
		c.stmt(s, x)
	}
}

func (c *checker) stmt(s Stmt, x ctx) {
	topOnly := func(what string) {
		if !x.top {
			c.errs.add(StmtPos(s), "%s must be at the top level of a file", what)
		}
	}
	switch s := s.(type) {
	case *Param:
		topOnly("param")
	case *TimeoutStmt:
		c.duration(s.Duration)
	case *Abort:
		topOnly("abort")
		for _, p := range s.Patterns {
			c.pattern(p, "abort")
		}
	case *Include:
		if !x.top {
			c.errs.add(s.Pos, "include must be at the top level of a file")
		}
	case *Send:
		c.body(s.Expect, x, s.Mods.Retry != nil)
		c.mods(&s.Mods)
	case *Expect:
		c.body(s.Body, x, s.Mods.Retry != nil)
		c.mods(&s.Mods)
	case *Write:
	case *RetryBlock:
		c.retry(s.Retry)
		x.inRetry = true
		c.block(s.Body, x)
	case *Read:
		c.mods(&s.Mods)
		if s.Mods.Retry != nil {
			c.errs.add(s.Mods.Retry.Pos, "read cannot retry: the bytes are gone once read")
		}
		if n, err := strconv.Atoi(strings.TrimSpace(s.Count.Source)); err == nil && (n <= 0 || n > MaxRead) {
			c.errs.add(s.Count.Pos, "read count must be between 1 and %d bytes, got %d", MaxRead, n)
		}
		c.notParam(s.Pos, s.Into, "read into")
	case *On:
		topOnly("on")
		c.pattern(s.Pattern, "on")
		x.inOn = true
		c.block(s.Body, x)
	case *Let:
		c.notParam(s.Pos, s.Name, "let")
	case *If:
		c.ifStmt(s, x)
	case *Repeat:
		c.block(s.Body, x)
	case *Flow:
		topOnly("flow")
		x.inFlow = true
		seen := map[string]bool{}
		for _, p := range s.Params {
			if seen[p] {
				c.errs.add(s.Pos, "flow %q has two params named %q", s.Name, p)
			}
			seen[p] = true
		}
		c.block(s.Body, x)
	case *Call:
		f, ok := c.flows[s.Name]
		switch {
		case !ok:
			c.errs.add(s.Pos, "call of unknown flow %q%s", s.Name, didYouMean(s.Name, keys(c.flows)))
		case len(f.Params) != len(s.Args):
			c.errs.add(s.Pos, "flow %q takes %d argument(s), got %d", s.Name, len(f.Params), len(s.Args))
		}
	case *Sleep:
		c.duration(s.Duration)
	case *Dialect:
		topOnly("dialect")
		c.dialect(s)
	case *Finally:
		topOnly("finally")
		if c.finallyAt != nil {
			c.errs.add(s.Pos, "only one finally per script (another at %s)", shortPos(c.finallyAt.Pos, s.Pos))
		} else {
			c.finallyAt = s
		}
		c.block(s.Body, ctx{})
	}
}

func (c *checker) ifStmt(s *If, x ctx) {
	c.block(s.Then, x)
	if s.Else != nil {
		if s.Else.If != nil {
			c.ifStmt(s.Else.If, x)
		} else {
			c.block(s.Else.Block, x)
		}
	}
}

func (c *checker) block(b *Block, x ctx) {
	x.top = false
	c.stmts(b.Stmts, x)
}

func (c *checker) notParam(pos Pos, name, what string) {
	if _, ok := c.params[name]; ok {
		c.errs.add(pos, "%s %q: cannot change a param (params are set with -D)", what, name)
	}
}

func (c *checker) body(b *ExpectBody, x ctx, stepRetries bool) {
	if b == nil {
		return
	}
	if b.Pattern != nil {
		c.pattern(b.Pattern, "expect")
	}
	for _, p := range b.All {
		c.pattern(p, "expect all")
		if p.Any {
			c.errs.add(p.Pos, "any cannot be part of expect all")
		}
	}
	for _, a := range b.Alts {
		c.pattern(a.Pattern, "expect")
		switch {
		case a.Action.Retry && !stepRetries && !x.inRetry:
			c.errs.add(a.Action.Pos, "retry needs a retry modifier on this step (retry 3 every 1s) or an enclosing retry block")
		case a.Action.Block != nil:
			c.block(a.Action.Block, x)
		}
	}
}

func (c *checker) pattern(p *Pattern, where string) {
	switch {
	case p.Regex != "":
		if _, err := CompileRegex(p.Regex); err != nil {
			c.errs.add(p.Pos, "%s", err)
		}
	case p.IsPrompt && where != "expect":
		c.errs.add(p.Pos, "prompt can only be expected, not used in %s", where)
	case p.Any && where != "expect" && where != "expect all": // body reports expect all
		c.errs.add(p.Pos, "any can only be expected, not used in %s", where)
	case p.Text != nil && !p.Text.HasExpr() && strings.TrimSpace(p.Text.Value()) == "":
		c.errs.add(p.Pos, "empty pattern: lines are never empty (blank lines are skipped)")
	}
}

func (c *checker) mods(m *Mods) {
	if m.Timeout != nil {
		c.duration(m.Timeout)
	}
	c.retry(m.Retry)
}

func (c *checker) retry(r *Retry) {
	if r == nil {
		return
	}
	if r.Count.Literal != "" {
		if n, err := strconv.Atoi(r.Count.Literal); err != nil || n < 1 {
			c.errs.add(r.Count.Pos, "retry count must be at least 1, got %s", r.Count.Literal)
		}
	}
	if r.Every != nil {
		c.duration(r.Every)
	}
}

func (c *checker) duration(d *Duration) {
	if d.Literal == "" {
		return
	}
	v, err := time.ParseDuration(strings.ReplaceAll(d.Literal, "µ", "u"))
	if err != nil {
		c.errs.add(d.Pos, "invalid duration %q", d.Literal)
		return
	}
	if v <= 0 {
		c.errs.add(d.Pos, "duration must be positive, got %s", d.Literal)
	}
}

// CompileRegex compiles a /.../ regex token. "\/" stands for "/".
func CompileRegex(tok string) (*regexp.Regexp, error) {
	src := strings.ReplaceAll(tok[1:len(tok)-1], `\/`, `/`)
	re, err := regexp.Compile(src)
	if err != nil {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "error parsing regexp: ")
		return nil, fmt.Errorf("invalid regex: %s", msg)
	}
	return re, nil
}

func stmtName(s Stmt) string {
	name := fmt.Sprintf("%T", s)
	name = strings.ToLower(strings.TrimPrefix(name, "*lang."))
	switch name {
	case "timeoutstmt":
		return "timeout"
	case "retryblock":
		return "retry"
	}
	return name
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// didYouMean returns ` (did you mean "x"?)` for the closest candidate
// within a small edit distance, or "".
func didYouMean(name string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > len(name)/2+1 {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// DidYouMean is didYouMean for other packages.
func DidYouMean(name string, candidates []string) string { return didYouMean(name, candidates) }

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func (c *checker) dialect(d *Dialect) {
	for _, it := range d.Items {
		c.dialectItem(it)
	}
}

func (c *checker) dialectItem(it *DialectItem) {
	for _, v := range it.Values {
		if v.Text != nil && v.Text.HasExpr() {
			c.errs.add(v.Pos, "a dialect is fixed when the script is written: no ${...} in %s", it.Key)
		}
		if v.Regex != "" {
			if _, err := CompileRegex(v.Regex); err != nil {
				c.errs.add(v.Pos, "%s", err)
				continue
			}
		}
		if v.Text != nil && !v.Text.HasExpr() && strings.TrimSpace(v.Text.Value()) == "" && it.Key != "line_ending" {
			c.errs.add(v.Pos, "empty %s: a line or command is never empty", it.Key)
		}
	}
	if it.Key != "data" {
		if it.Inline {
			c.errs.add(it.Pos, "inline only applies to data headers")
		}
		if it.Suffix != nil {
			c.errs.add(it.Suffix.Pos, "suffix only applies to data headers")
		}
	}
	one := func(what string) bool {
		if len(it.Values) != 1 {
			c.errs.add(it.Values[1].Pos, "%s takes one %s", it.Key, what)
			return false
		}
		return true
	}
	switch it.Key {
	case "line_ending":
		if !one("string") {
			return
		}
		v := it.Values[0]
		if v.Text == nil || v.Text.HasExpr() {
			c.errs.add(v.Pos, `line_ending must be "\r", "\r\n" or "\n"`)
			return
		}
		switch v.Text.Value() {
		case "\r", "\r\n", "\n":
		default:
			c.errs.add(v.Pos, `line_ending must be "\r", "\r\n" or "\n", got %q`, v.Text.Value())
			return
		}
		if prev := c.lineEnding; prev != nil && prev.Values[0].Text.Value() != v.Text.Value() {
			c.errs.add(it.Pos, "line_ending %q contradicts %q declared at %s", v.Text.Value(), prev.Values[0].Text.Value(), shortPos(prev.Pos, it.Pos))
		} else if prev == nil {
			c.lineEnding = it
		}
	case "prompt":
		for _, v := range it.Values {
			if v.Regex != "" {
				c.errs.add(v.Pos, "a prompt is a string (it arrives without a line ending), not a regex")
			}
		}
	case "data":
		if !one("regex") {
			return
		}
		v := it.Values[0]
		if v.Regex == "" {
			c.errs.add(v.Pos, "a data header is a /regex/ with a group (?P<len>\\d+) for the byte count")
			return
		}
		if re, err := CompileRegex(v.Regex); err == nil && re.SubexpIndex("len") < 0 {
			c.errs.add(v.Pos, "data header %s has no group (?P<len>\\d+) for the byte count", v.Regex)
		}
		if it.Suffix != nil && !it.Suffix.HasExpr() && it.Suffix.Value() == "" {
			c.errs.add(it.Suffix.Pos, "empty suffix")
		}
	}
}
