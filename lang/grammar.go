package lang

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// statements are the statement types, in the order the parser tries
// them. With their struct tags in ast.go they are the whole grammar: the
// parser, the statement keywords and where the lexer reads an expression
// are all derived from them, so a new statement is declared here and in
// ast.go only (and given a meaning in runtime).
//
// participle tries them in this order, each with an allocation, so the
// statements flows use most come first.
func statements() []Stmt {
	return []Stmt{
		&Send{}, &Let{}, &Call{}, &If{}, &Expect{}, &Fail{}, &Emit{}, &Log{},
		&Write{}, &Sleep{}, &RetryBlock{}, &Read{}, &Repeat{}, &Param{},
		&Include{}, &Flow{}, &TimeoutStmt{}, &Abort{}, &On{}, &Finally{}, &Dialect{},
	}
}

// exprContext is a point of a statement where an expression starts: after
// the statement's tokens so far match prefix, up to stop.
type exprContext struct {
	// prefix is the statement's tokens before the expression: keywords
	// and punctuation as written, anyIdent for a name, aLiteral for a
	// literal or an earlier expression.
	prefix []string
	stop   exprStop
}

const (
	anyIdent = "\x01"
	aLiteral = "\x00" // what scanner.emit records for a literal
)

// syntax is what the grammar tells the lexer.
type syntax struct {
	keywords []string // the words that start a statement
	exprs    []exprContext
	blocks   map[reflect.Type]bool // statements with a braced body
}

var grammarSyntax = sync.OnceValue(func() syntax {
	s := syntax{blocks: map[reflect.Type]bool{}}
	for _, st := range statements() {
		t := reflect.TypeOf(st).Elem()
		elems := tagElems(t)
		s.keywords = append(s.keywords, firstKeyword(elems))
		s.exprs = append(s.exprs, exprContexts(elems)...)
		for _, e := range elems {
			if e.kind == "block" || e.kind == "lit" && e.text == "{" {
				s.blocks[reflect.TypeOf(st)] = true
			}
		}
	}
	return s
})

func stmtKeywords() []string { return grammarSyntax().keywords }

// match reports whether an expression starts after the statement tokens
// st, and where it stops. In a comma list (call arguments) the prefix is
// followed by any number of "EXPR ,".
func (c exprContext) match(st []string) bool {
	if len(st) < len(c.prefix) {
		return false
	}
	for i, p := range c.prefix {
		switch p {
		case anyIdent:
			if st[i] == aLiteral || !isIdentStart(rune(st[i][0])) {
				return false
			}
		default:
			if st[i] != p {
				return false
			}
		}
	}
	if !c.stop.comma {
		return len(st) == len(c.prefix)
	}
	rest := st[len(c.prefix):]
	for i, t := range rest {
		if (i%2 == 0 && t != aLiteral) || (i%2 == 1 && t != ",") {
			return false
		}
	}
	return len(rest)%2 == 0
}

// elem is one item of a struct's grammar, its fields' tags in order.
type elem struct {
	kind string // "lit" ('x' or @'x'), "ident" (@Ident), "expr", "block", "node" (another @@), "token" (@Int...), "(", ")", "|", "?", "*", "+"
	text string
	typ  reflect.Type // for "node"
}

// tagElems flattens a struct's parser tags into elements.
func tagElems(t reflect.Type) []elem {
	var out []elem
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("parser")
		if !ok {
			if f.Anonymous {
				out = append(out, tagElems(f.Type)...)
			}
			continue
		}
		for _, tok := range tagTokens(tag) {
			switch {
			case tok == "@@":
				ft := f.Type
				for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
					ft = ft.Elem()
				}
				switch ft {
				case reflect.TypeFor[Expr]():
					out = append(out, elem{kind: "expr"})
				case reflect.TypeFor[Block]():
					out = append(out, elem{kind: "block"})
				default:
					out = append(out, elem{kind: "node", typ: ft})
				}
			case strings.HasPrefix(tok, "'"), strings.HasPrefix(tok, "@'"):
				out = append(out, elem{kind: "lit", text: strings.Trim(strings.TrimPrefix(tok, "@"), "'")})
			case tok == "@Ident":
				out = append(out, elem{kind: "ident"})
			case strings.HasPrefix(tok, "@"):
				out = append(out, elem{kind: "token", text: tok})
			case tok == "EOL":
			default:
				out = append(out, elem{kind: tok})
			}
		}
	}
	return out
}

// tagTokens splits a participle tag: quoted literals, @@, @Name, @'x',
// and the one-character operators.
func tagTokens(tag string) []string {
	var out []string
	for i := 0; i < len(tag); {
		c := tag[i]
		switch {
		case c == ' ':
			i++
		case c == '\'' || (c == '@' && i+1 < len(tag) && tag[i+1] == '\''):
			j := strings.IndexByte(tag[i+2:], '\'')
			out = append(out, tag[i:i+3+j])
			i += 3 + j
		case c == '@' && i+1 < len(tag) && tag[i+1] == '@':
			out = append(out, "@@")
			i += 2
		case c == '@' && i+1 < len(tag) && tag[i+1] == '(':
			out = append(out, "@(")
			i += 2
		case c == '@' || isIdentStart(rune(c)):
			j := i + 1
			for j < len(tag) && (isIdentStart(rune(tag[j])) || tag[j] >= '0' && tag[j] <= '9') {
				j++
			}
			out = append(out, tag[i:j])
			i = j
		default:
			out = append(out, string(c))
			i++
		}
	}
	return out
}

// firstKeyword is the literal a statement starts with.
func firstKeyword(elems []elem) string {
	for _, e := range elems {
		switch e.kind {
		case "lit":
			return e.text
		case "node":
			return firstKeyword(tagElems(e.typ))
		case "(":
			continue
		}
		break
	}
	panic(fmt.Sprintf("grammar: a statement must start with a keyword: %v", elems))
}

// exprContexts finds each expression of a statement: the tokens before it
// (optional groups taken as present) and what may follow it.
func exprContexts(elems []elem) []exprContext {
	var out []exprContext
	var prefix []string
	depth, commaGroup := 0, -1
	for i, e := range elems {
		switch e.kind {
		case "lit":
			prefix = append(prefix, e.text)
		case "ident":
			prefix = append(prefix, anyIdent)
		case "token", "node":
			prefix = append(prefix, aLiteral)
		case "(", "@(":
			depth++
		case ")":
			depth--
			if depth < commaGroup {
				commaGroup = -1
			}
		case "|":
			panic("grammar: an alternative before an expression is not supported by the lexer")
		case "expr":
			if commaGroup >= 0 {
				prefix = append(prefix, aLiteral)
				continue // the first expression of the list stands for all
			}
			stop := stopAfter(elems[i+1:])
			if depth > 0 && groupHasComma(elems[i+1:]) {
				stop = exprStop{comma: true}
				commaGroup = depth
			}
			out = append(out, exprContext{prefix: append([]string(nil), prefix...), stop: stop})
			prefix = append(prefix, aLiteral)
		}
	}
	return out
}

// stopAfter says where an expression ends from what may follow it: the
// keywords of the optional parts after it up to the first part that must
// be there, or a block's "{".
func stopAfter(rest []elem) exprStop {
	var stop exprStop
	optional := false // inside a group that may be absent
	for i := 0; i < len(rest); i++ {
		e := rest[i]
		switch e.kind {
		case ")":
			continue
		case "(":
			optional = groupOptional(rest[i:])
			continue
		case "lit":
			stop.words = append(stop.words, e.text)
			if optional || (i+1 < len(rest) && rest[i+1].kind == "?") {
				// skip the rest of the optional part
				for i+1 < len(rest) && rest[i+1].kind != ")" && rest[i+1].kind != "(" && rest[i+1].kind != "lit" && rest[i+1].kind != "block" {
					i++
				}
				continue
			}
			return stop
		case "block":
			stop.brace = true
			return stop
		case "?", "*", "+":
			continue
		default:
			return stop
		}
	}
	return stop
}

// groupOptional reports whether the group opening at rest[0] is followed
// by "?" or "*".
func groupOptional(rest []elem) bool {
	depth := 0
	for i, e := range rest {
		switch e.kind {
		case "(", "@(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				return i+1 < len(rest) && (rest[i+1].kind == "?" || rest[i+1].kind == "*")
			}
		}
	}
	return false
}

// groupHasComma reports whether a "," literal follows before the
// enclosing group closes: the expression is one of a list.
func groupHasComma(rest []elem) bool {
	depth := 0
	for _, e := range rest {
		switch e.kind {
		case "(", "@(":
			depth++
		case ")":
			if depth == 0 {
				return false
			}
			depth--
		case "lit":
			if e.text == "," {
				return true
			}
		}
	}
	return false
}
