package runtime

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/atrun/atrun/lang"
	"github.com/expr-lang/expr/ast"
)

// dryStop ends a dry run where the script needs the modem's answer.
type dryStop struct {
	pos  lang.Pos
	name string
}

func (d *dryStop) Error() string {
	if d.name == "" {
		return fmt.Sprintf("%s: stops here: the next step depends on which answer the modem gives", d.pos)
	}
	return fmt.Sprintf("%s: stops here: %q comes from the modem's answer", d.pos, d.name)
}

// DryRun resolves params and expressions and returns what the script would
// send, secrets masked, without any port. It stops at the first step whose
// input depends on what the modem answers, and says so in stop.
func (p *Program) DryRun(params map[string]string) (sent []string, stop string, err error) {
	vars, err := p.ResolveParams(params)
	if err != nil {
		return nil, "", err
	}
	r := &run{p: p, vars: vars, res: &Result{}, timeout: DefaultTimeout, dry: true, unknown: map[string]bool{}, red: p.Redactor(vars)}
	r.opts.TimeoutScale = 1
	err = r.stmts(context.Background(), p.File.Stmts)
	var ds *dryStop
	if errors.As(err, &ds) {
		return r.drySent, r.red.String(ds.Error()), nil
	}
	return r.drySent, "", r.red.Error(err)
}

// dryStep records a send and marks what an expect would bind as unknown.
func (r *run) dryStep(pos lang.Pos, text *string, body *lang.ExpectBody) error {
	if text != nil {
		r.drySent = append(r.drySent, "send "+strconv.Quote(r.redact(*text)))
	}
	if body == nil {
		return nil
	}
	unknown := func(p *lang.Pattern) {
		if re := r.p.regexes[p]; re != nil {
			for _, n := range re.SubexpNames() {
				if n != "" {
					r.unknown[n] = true
				}
			}
		}
		r.unknown["data"] = true
	}
	if body.Pattern != nil {
		unknown(body.Pattern)
	}
	for _, p := range body.All {
		unknown(p)
	}
	for _, a := range body.Alts {
		if a.Action.OK { // follow the happy path
			unknown(a.Pattern)
			return nil
		}
	}
	if len(body.Alts) > 0 {
		return &dryStop{pos: pos}
	}
	return nil
}

func (r *run) dryWrite(b []byte) {
	if utf8.Valid(b) && len(b) > 1 {
		r.drySent = append(r.drySent, "write "+strconv.Quote(r.redact(string(b))))
		return
	}
	r.drySent = append(r.drySent, "write "+r.redact(fmt.Sprintf("% X", b)))
}

// identifiers lists the names an expression reads.
func identifiers(node ast.Node) []string {
	var v identVisitor
	ast.Walk(&node, &v)
	return v.names
}

type identVisitor struct{ names []string }

func (v *identVisitor) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		v.names = append(v.names, id.Value)
	}
}
