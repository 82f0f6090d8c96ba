package lang

// Files returns f and every file it includes, recursively, each once, in
// load order: the one walk of the include tree.
func Files(f *File) []*File {
	var out []*File
	seen := map[*File]bool{}
	var visit func(f *File)
	visit = func(f *File) {
		if f == nil || seen[f] {
			return
		}
		seen[f] = true
		out = append(out, f)
		Walk(f.Stmts, func(n any) {
			if inc, ok := n.(*Include); ok {
				visit(inc.File)
			}
		})
	}
	visit(f)
	return out
}

// Walk calls fn for every node under stmts in source order: statements,
// blocks, patterns, strings, expressions and durations. It does not enter
// included files.
func Walk(stmts []Stmt, fn func(node any)) {
	for _, s := range stmts {
		walkStmt(s, fn)
	}
}

func walkStmt(s Stmt, fn func(any)) {
	fn(s)
	switch s := s.(type) {
	case *Param:
		walkExpr(s.Default, fn)
	case *TimeoutStmt:
		fn(s.Duration)
	case *Abort:
		for _, p := range s.Patterns {
			walkPattern(p, fn)
		}
	case *Include:
		walkStr(s.Path, fn)
	case *Send:
		walkStr(s.Text, fn)
		walkBody(s.Expect, fn)
		walkMods(&s.Mods, fn)
	case *Write:
		walkExpr(s.Value, fn)
	case *Expect:
		walkBody(s.Body, fn)
		walkMods(&s.Mods, fn)
	case *RetryBlock:
		walkRetry(s.Retry, fn)
		walkBlock(s.Body, fn)
	case *Read:
		walkExpr(s.Count, fn)
		walkMods(&s.Mods, fn)
	case *On:
		walkPattern(s.Pattern, fn)
		walkBlock(s.Body, fn)
	case *Let:
		walkExpr(s.Value, fn)
	case *If:
		walkIf(s, fn)
	case *Repeat:
		walkExpr(s.Count, fn)
		walkExpr(s.While, fn)
		walkBlock(s.Body, fn)
	case *Flow:
		walkBlock(s.Body, fn)
	case *Call:
		for _, a := range s.Args {
			walkExpr(a, fn)
		}
	case *Sleep:
		fn(s.Duration)
	case *Log:
		walkExpr(s.Value, fn)
	case *Emit:
		walkExpr(s.Value, fn)
	case *Fail:
		walkExpr(s.Message, fn)
	case *Finally:
		walkBlock(s.Body, fn)
	case *Dialect:
		for _, it := range s.Items {
			fn(it)
			for _, v := range it.Values {
				fn(v)
				walkStr(v.Text, fn)
			}
			walkStr(it.Suffix, fn)
		}
	}
}

func walkIf(s *If, fn func(any)) {
	walkExpr(s.Cond, fn)
	walkBlock(s.Then, fn)
	if s.Else != nil {
		if s.Else.If != nil {
			fn(s.Else.If)
			walkIf(s.Else.If, fn)
		} else {
			walkBlock(s.Else.Block, fn)
		}
	}
}

func walkBlock(b *Block, fn func(any)) {
	if b == nil {
		return
	}
	fn(b)
	Walk(b.Stmts, fn)
}

func walkExpr(e *Expr, fn func(any)) {
	if e != nil {
		fn(e)
	}
}

func walkStr(s *Str, fn func(any)) {
	if s == nil {
		return
	}
	fn(s)
	for _, p := range s.Parts {
		if p.Expr != nil {
			fn(p.Expr)
		}
	}
}

func walkPattern(p *Pattern, fn func(any)) {
	if p == nil {
		return
	}
	fn(p)
	walkStr(p.Text, fn)
	walkStr(p.Prompt, fn)
}

func walkBody(b *ExpectBody, fn func(any)) {
	if b == nil {
		return
	}
	fn(b)
	walkPattern(b.Pattern, fn)
	for _, p := range b.All {
		walkPattern(p, fn)
	}
	for _, a := range b.Alts {
		fn(a)
		walkPattern(a.Pattern, fn)
		if a.Action.Fail != nil {
			walkExpr(a.Action.Fail, fn)
		}
		walkBlock(a.Action.Block, fn)
	}
}

func walkMods(m *Mods, fn func(any)) {
	if m.Timeout != nil {
		fn(m.Timeout)
	}
	walkRetry(m.Retry, fn)
}

func walkRetry(r *Retry, fn func(any)) {
	if r == nil {
		return
	}
	fn(r)
	fn(r.Count)
	if r.Every != nil {
		fn(r.Every)
	}
}
