package lang

import (
	"github.com/alecthomas/participle/v2/lexer"
)

// Pos is a position in a script: file, 1-based line, column in runes.
type Pos = lexer.Position

// File is one parsed .at file. Included files are parsed into their own
// File and reachable through Include.File after Load.
type File struct {
	Pos      Pos
	Stmts    []Stmt `parser:"EOL* ( @@ EOL* )*"`
	Path     string
	Source   string
	Comments []Comment
}

// Stmt is one statement.
type Stmt interface{ node() *stmtNode }

// stmtNode is what every statement has, filled in by the parser: where it
// starts and ends, and its tokens, from which the formatter prints a
// statement it has no layout of its own for.
type stmtNode struct {
	Pos    Pos
	EndPos Pos
	Tokens []lexer.Token
}

func (s *stmtNode) node() *stmtNode { return s }

// Block is a braced list of statements.
type Block struct {
	Pos    Pos
	EndPos Pos
	Stmts  []Stmt `parser:"'{' EOL* ( @@ EOL* )* '}'"`
}

// Param declares a script parameter, set with -D NAME=VALUE. A param with
// no default is required.
type Param struct {
	stmtNode
	Name    string `parser:"'param' @Ident"`
	Default *Expr  `parser:"( '=' @@ )?"`
	Secret  bool   `parser:"@'secret'?"`
}

// TimeoutStmt sets the default timeout of the steps that follow it.
type TimeoutStmt struct {
	stmtNode
	Duration *Duration `parser:"'timeout' @@"`
}

// Abort declares patterns that fail the run whenever they arrive.
type Abort struct {
	stmtNode
	Patterns []*Pattern `parser:"'abort' @@ ( ',' EOL* @@ )*"`
}

// Include runs another file's statements in place. The path is relative to
// the including file.
type Include struct {
	stmtNode
	Path *Str `parser:"'include' @@"`
	File *File
}

// Send writes a command followed by CR, optionally expecting an answer.
type Send struct {
	stmtNode
	Text   *Str        `parser:"'send' @@"`
	Expect *ExpectBody `parser:"( 'expect' @@ )?"`
	Mods   Mods        `parser:"@@"`
}

// Write writes raw bytes: no CR is appended.
type Write struct {
	stmtNode
	Value *Expr `parser:"'write' @@"`
}

// Expect waits for a pattern, a set of alternatives, or all of several
// patterns in any order.
type Expect struct {
	stmtNode
	Body *ExpectBody `parser:"'expect' @@"`
	Mods Mods        `parser:"@@"`
}

// ExpectBody is what follows "expect": exactly one field is set.
type ExpectBody struct {
	Pos     Pos
	All     []*Pattern     `parser:"(  'all' '{' EOL* ( @@ EOL* )+ '}'"`
	Alts    []*Alternative `parser:" | '{' EOL* ( @@ EOL* )+ '}'"`
	Pattern *Pattern       `parser:" | @@ )"`
}

// Alternative is one "PATTERN => ACTION" line of an expect block.
type Alternative struct {
	Pos     Pos
	EndPos  Pos
	Pattern *Pattern `parser:"@@ '=>'"`
	Action  *Action  `parser:"@@"`
}

// Action is what an alternative does when its pattern matches.
type Action struct {
	Pos   Pos
	OK    bool   `parser:"(  @'ok'"`
	Retry bool   `parser:" | @'retry'"`
	Fail  *Expr  `parser:" | 'fail' @@"`
	Block *Block `parser:" | @@ )"`
}

// Mods are the per-step modifiers: timeout and retry.
type Mods struct {
	Timeout *Duration `parser:"( 'timeout' @@"`
	Retry   *Retry    `parser:"| @@ )*"`
}

// Retry is "retry N [every D]".
type Retry struct {
	Pos   Pos
	Count *Count    `parser:"'retry' @@"`
	Every *Duration `parser:"( 'every' @@ )?"`
}

// RetryBlock retries a whole block.
type RetryBlock struct {
	stmtNode
	Retry *Retry `parser:"@@"`
	Body  *Block `parser:"@@"`
}

// Read reads exactly N bytes of counted binary data into a variable.
type Read struct {
	stmtNode
	Count *Expr  `parser:"'read' @@"`
	Bytes bool   `parser:"@'bytes'?"`
	Into  string `parser:"'into' @Ident"`
	Mods  Mods   `parser:"@@"`
}

// On declares a handler for unsolicited result codes.
type On struct {
	stmtNode
	Pattern *Pattern `parser:"'on' @@"`
	Body    *Block   `parser:"@@"`
}

// Let binds a variable.
type Let struct {
	stmtNode
	Name  string `parser:"'let' @Ident '='"`
	Value *Expr  `parser:"@@"`
}

// If runs a block when a condition holds.
type If struct {
	stmtNode
	Cond *Expr  `parser:"'if' @@"`
	Then *Block `parser:"@@"`
	Else *Else  `parser:"( 'else' @@ )?"`
}

// Else is an else branch: another if, or a block.
type Else struct {
	If    *If    `parser:"  @@"`
	Block *Block `parser:"| @@"`
}

// Repeat runs a block at most Count times, and only while While holds.
type Repeat struct {
	stmtNode
	Count *Expr  `parser:"'repeat' @@"`
	While *Expr  `parser:"( 'while' @@ )?"`
	Body  *Block `parser:"@@"`
}

// Flow declares a named, reusable sequence of statements.
type Flow struct {
	stmtNode
	Name   string   `parser:"'flow' @Ident '('"`
	Params []string `parser:"( @Ident ( ',' @Ident )* )? ')'"`
	Body   *Block   `parser:"@@"`
}

// Call runs a flow.
type Call struct {
	stmtNode
	Name string  `parser:"'call' @Ident '('"`
	Args []*Expr `parser:"( @@ ( ',' @@ )* )? ')'"`
}

// Sleep waits a fixed time. Scripts should rarely need it: expect waits
// for events.
type Sleep struct {
	stmtNode
	Duration *Duration `parser:"'sleep' @@"`
}

// Log prints a value in the step log.
type Log struct {
	stmtNode
	Value *Expr `parser:"'log' @@"`
}

// Emit records a named result value of the run.
type Emit struct {
	stmtNode
	Name  string `parser:"'emit' @Ident"`
	Value *Expr  `parser:"( '=' @@ )?"`
}

// Fail stops the run with a message.
type Fail struct {
	stmtNode
	Message *Expr `parser:"'fail' @@"`
}

// Finally is cleanup that runs however the run ends.
type Finally struct {
	stmtNode
	Body *Block `parser:"'finally' @@"`
}

// Dialect declares how a modem speaks, so that vendor knowledge lives in
// scripts: what send appends, final result codes beyond V.250's, commands
// with no final result, counted-data headers and the prompt. Every dialect
// block of a script and its includes adds to one dialect.
type Dialect struct {
	stmtNode
	Name  string         `parser:"'dialect' @Ident '{' EOL*"`
	Items []*DialectItem `parser:"( @@ EOL* )* '}'"`
}

// DialectItem is one declaration of a dialect block.
type DialectItem struct {
	Pos    Pos
	EndPos Pos
	Key    string     `parser:"@( 'line_ending' | 'final' | 'error' | 'no_final' | 'data' | 'prompt' )"`
	Values []*Literal `parser:"@@ ( ',' EOL* @@ )*"`
	Inline bool       `parser:"@'inline'?"`
	Suffix *Str       `parser:"( 'suffix' @@ )?"`
}

// DialectKeys are the declarations a dialect block may hold.
var DialectKeys = []string{"line_ending", "final", "error", "no_final", "data", "prompt"}

// Literal is a string or a regex fixed when the script is written.
type Literal struct {
	Pos   Pos
	Regex string `parser:"  @Regex"`
	Text  *Str   `parser:"| @@"`
}

// Expr is an expr-lang expression, kept as source and compiled by runtime.
type Expr struct {
	Pos    Pos
	Source string `parser:"@Expr"`
}

// Str is a string literal: "..." with escapes or `parser:"..."` raw, both with
// ${expr} interpolation.
type Str struct {
	Pos   Pos
	Token string `parser:"@( String | Raw )"`
	Parts []StrPart
}

// StrPart is a literal piece of a string or an interpolated expression.
type StrPart struct {
	Lit  string
	Expr *Expr
}

// Pattern is what an expect, abort or on matches. Exactly one form is set.
type Pattern struct {
	Pos      Pos
	Any      bool   `parser:"(  @'any'"`
	IsPrompt bool   `parser:" | @'prompt'"`
	Prompt   *Str   `parser:"   @@?"`
	Regex    string `parser:" | @Regex"`
	Text     *Str   `parser:" | @@ )"`
}

// Duration is a duration literal (30s) or a variable holding one.
type Duration struct {
	Pos     Pos
	Literal string `parser:"(  @Duration"`
	Var     string `parser:" | @Ident )"`
}

// Count is an integer literal or a variable holding one.
type Count struct {
	Pos     Pos
	Literal string `parser:"(  @Int"`
	Var     string `parser:" | @Ident )"`
}

// StmtPos returns where a statement starts.
func StmtPos(s Stmt) Pos { return s.node().Pos }

// StmtEnd returns where a statement ends.
func StmtEnd(s Stmt) Pos { return s.node().EndPos }
