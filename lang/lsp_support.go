package lang

import (
	"slices"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// This file exports what an editor needs of the lexer and the grammar
// (package lsp): tokens with their ends, and the statement keywords.

// TokenKind says what a Token is.
type TokenKind string

// Token kinds, as the lexer tells them apart.
const (
	TokEOL      TokenKind = "eol"
	TokIdent    TokenKind = "ident" // a name or a keyword
	TokInt      TokenKind = "int"
	TokDuration TokenKind = "duration"
	TokString   TokenKind = "string" // "..." with escapes and ${...}
	TokRaw      TokenKind = "raw"    // `...` with ${...}
	TokRegex    TokenKind = "regex"  // /.../
	TokExpr     TokenKind = "expr"   // an expr-lang expression, as one token
	TokPunct    TokenKind = "punct"
)

var tokenKinds = map[lexer.TokenType]TokenKind{
	tokEOL: TokEOL, tokIdent: TokIdent, tokInt: TokInt, tokDuration: TokDuration,
	tokString: TokString, tokRaw: TokRaw, tokRegex: TokRegex, tokExpr: TokExpr, tokPunct: TokPunct,
}

// Token is one token of a script as Parse lexes it: its text exactly as
// written, where it starts and where it ends (just past its last rune).
type Token struct {
	Kind     TokenKind
	Text     string
	Pos, End Pos
}

// Lex returns the tokens of src as Parse sees them, without comments and
// end of file, up to the first lexing error, which it returns too: an
// editor still gets every token before a mistake.
func Lex(path, src string) ([]Token, error) {
	sc, _ := lexDef{}.LexString(path, src)
	s := sc.(*scanner)
	var out []Token
	for {
		t, err := s.Next()
		if err != nil {
			return out, err
		}
		if t.EOF() {
			return out, nil
		}
		out = append(out, Token{Kind: tokenKinds[t.Type], Text: t.Value, Pos: t.Pos, End: endOf(t.Pos, t.Value)})
	}
}

// endOf is the position just past text written at pos. A CR LF pair is
// one line end, as the lexer counts them.
func endOf(pos Pos, text string) Pos {
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		i += n
		switch {
		case r == '\n', r == '\r' && (i >= len(text) || text[i] != '\n'):
			pos.Line++
			pos.Column = 1
		case r == '\r':
		default:
			pos.Column++
		}
		pos.Offset += n
	}
	return pos
}

// StatementKeywords returns the words that start a statement, in the
// order the grammar declares the statements.
func StatementKeywords() []string { return slices.Clone(stmtKeywords()) }
