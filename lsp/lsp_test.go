package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/atrun/atrun/builtins"
	"github.com/atrun/atrun/lang"
)

// TestDocsCoverTheLanguage keeps the hover texts in step with the grammar
// and the builtins: a new statement, dialect declaration or option needs
// its doc, and a doc for a word that is gone is an error too.
func TestDocsCoverTheLanguage(t *testing.T) {
	options := map[string]bool{}
	for _, f := range builtins.All() {
		if f.Options != nil {
			for _, k := range f.Options.Keys {
				options[k] = true
			}
		}
	}
	tables := []struct {
		name  string
		words []string
		has   func(string) bool
		all   []string
	}{
		{"statement", lang.StatementKeywords(), func(w string) bool { _, ok := statementDocs[w]; return ok }, keys(statementDocs)},
		{"dialect declaration", lang.DialectKeys, func(w string) bool { _, ok := dialectDocs[w]; return ok }, keys(dialectDocs)},
		{"MQTT option", keys(options), func(w string) bool { _, ok := mqttOptionDocs[w]; return ok }, keys(mqttOptionDocs)},
	}
	for _, tt := range tables {
		for _, w := range tt.words {
			if !tt.has(w) {
				t.Errorf("%s %q has no hover doc", tt.name, w)
			}
		}
		for _, w := range tt.all {
			if !strings.Contains(" "+strings.Join(tt.words, " ")+" ", " "+w+" ") && w != "topic" {
				t.Errorf("hover doc for %s %q, which the language does not have", tt.name, w)
			}
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestTextPositions(t *testing.T) {
	// é is 2 bytes and 1 UTF-16 unit; 😀 is 4 bytes and 2 units.
	src := "let a = \"é😀x\"\r\nlog a\rsend \"AT\"\n"
	tx := newText(src)
	tests := []struct {
		sub  string
		lang lang.Pos // the lexer's position of sub
		lsp  position
	}{
		{"x\"", lang.Pos{Line: 1, Column: 12}, position{0, 12}},
		{"log", lang.Pos{Line: 2, Column: 1}, position{1, 0}},
		{"a\rsend", lang.Pos{Line: 2, Column: 5}, position{1, 4}},
		{"\"AT\"", lang.Pos{Line: 3, Column: 6}, position{2, 5}},
	}
	for _, tt := range tests {
		off := strings.Index(src, tt.sub)
		if got := tx.positionOf(off); got != tt.lsp {
			t.Errorf("positionOf(%q) = %+v, want %+v", tt.sub, got, tt.lsp)
		}
		if got := tx.offsetOf(tt.lsp); got != off {
			t.Errorf("offsetOf(%+v) = %d, want %d", tt.lsp, got, off)
		}
		if got := tx.offsetOfPos(tt.lang); got != off {
			t.Errorf("offsetOfPos(%d:%d) = %d, want %d (%q)", tt.lang.Line, tt.lang.Column, got, off, tt.sub)
		}
	}
	// The lexer counts the same lines and columns.
	toks, err := lang.Lex("x.at", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range toks {
		if tk.Kind == lang.TokEOL {
			continue // a CR LF's token is at the LF, its column the CR's
		}
		if got := tx.offsetOfPos(tk.Pos); got != tk.Pos.Offset {
			t.Errorf("token %q at %d:%d: offset %d, lexer says %d", tk.Text, tk.Pos.Line, tk.Pos.Column, got, tk.Pos.Offset)
		}
	}
}

// TestDiagnosticRanges checks that each error's range covers what it is
// about. The script's «...» mark the expected range; they are removed
// before checking.
func TestDiagnosticRanges(t *testing.T) {
	tests := []string{
		"send \"AT+CSQ\" expect \"OK\" timeout «5»\n",
		"«sned» \"AT\"\n",
		"let x = «hexx»(\"a\")\n",
		"send \"AT\" expect «/(/»\n",
		"param a = 1\n«param» a = 2\n", // the checker points at the statement
		"let p = mqtt_connect(\"id\", {«keepalvie»: 60})\n",
		"send «\"AT»\n",
		"timeout «5x»\n",
	}
	for _, marked := range tests {
		a := strings.Index(marked, "«")
		b := strings.Index(marked, "»") - len("«")
		src := strings.NewReplacer("«", "", "»", "").Replace(marked)
		d := &document{uri: "file:///x.at", path: "/x.at"}
		d.analyse(src, func(string) ([]byte, error) { return []byte(src), nil }, nil)
		if len(d.diags) == 0 {
			t.Errorf("%q: no diagnostic", src)
			continue
		}
		got := d.diags[0].Range
		want := d.text.spanOf(a, b)
		if got != want {
			t.Errorf("%q: %s: range %+v, want %+v (%q)", src, d.diags[0].Message, got, want, src[a:b])
		}
	}
}

// serve runs a server on scripted input and returns what it wrote.
func serve(t *testing.T, msgs ...string) ([]map[string]any, error) {
	t.Helper()
	var in bytes.Buffer
	for _, m := range msgs {
		fmt.Fprintf(&in, "Content-Length: %d\r\n\r\n%s", len(m), m)
	}
	var out bytes.Buffer
	err := Serve(context.Background(), &in, &out, Options{Log: io.Discard})
	var got []map[string]any
	for out.Len() > 0 {
		hdr, _ := out.ReadString('\n')
		out.ReadString('\n')
		var n int
		fmt.Sscanf(hdr, "Content-Length: %d", &n)
		var m map[string]any
		if err := json.Unmarshal(out.Next(n), &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	return got, err
}

func TestProtocol(t *testing.T) {
	got, err := serve(t,
		`{"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":{}}`,
		`{"jsonrpc":"2.0","id":2,"method":"initialize","params":{}}`,
		`{"jsonrpc":"2.0","id":3,"method":"textDocument/rename","params":{}}`,
		`{not json`,
		`{"jsonrpc":"2.0","id":4,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///nothing.at"},"position":{"line":0,"character":0}}}`,
		`{"jsonrpc":"2.0","id":5,"method":"shutdown"}`,
		`{"jsonrpc":"2.0","method":"exit"}`,
	)
	if err != nil {
		t.Fatalf("Serve after shutdown and exit: %v", err)
	}
	wantCodes := []float64{codeNotInitialized, 0, codeMethodNotFound, codeParseError, 0, 0}
	if len(got) != len(wantCodes) {
		t.Fatalf("%d messages, want %d: %v", len(got), len(wantCodes), got)
	}
	for i, m := range got {
		code := 0.0
		if e, ok := m["error"].(map[string]any); ok {
			code = e["code"].(float64)
		}
		if code != wantCodes[i] {
			t.Errorf("reply %d: %v, want error code %v", i, m, wantCodes[i])
		}
	}
	if _, ok := got[4]["result"]; !ok || got[4]["result"] != nil {
		t.Errorf("hover on an unknown document: %v, want a null result", got[4])
	}

	if _, err := serve(t, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`, `{"jsonrpc":"2.0","method":"exit"}`); err == nil {
		t.Error("exit without shutdown: no error, want one (the process exits 1)")
	}
	if _, err := serve(t, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`); err == nil {
		t.Error("input closed without exit: no error")
	}
}

// TestImports: the server is a library; the CLI depends on it, not the
// other way round, and it needs no device, station or report code.
func TestImports(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/atrun/atrun/lsp").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v: %s", err, out) // another package may be mid-edit
	}
	for _, p := range strings.Fields(string(out)) {
		for _, bad := range []string{"cmd", "station", "report", "sim", "runtime/serialport"} {
			if p == "github.com/atrun/atrun/"+bad || strings.HasPrefix(p, "github.com/atrun/atrun/"+bad+"/") {
				t.Errorf("lsp depends on %s", p)
			}
		}
	}
}

// TestIncludes: definitions reach into included files, an error in an
// included file shows on the include, and the editor's unsaved text of an
// open included file is what is checked.
func TestIncludes(t *testing.T) {
	dir := t.TempDir()
	lib := dir + "/lib.at"
	main := "include \"lib.at\"\ncall hello(greeting)\n"
	libSrc := "param greeting = \"hi\"\nflow hello(x) {\n  log x\n}\n"
	if err := os.WriteFile(lib, []byte(libSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &server{docs: map[string]*document{}, conn: newConn(strings.NewReader(""), io.Discard)}
	s.open(pathToURI(dir+"/main.at"), 1, main)
	d := s.docs[pathToURI(dir+"/main.at")]
	if len(d.diags) != 0 {
		t.Fatalf("diagnostics %+v, want none", d.diags)
	}
	tx := newText(main)
	libText := newText(libSrc)
	tests := []struct {
		at   string // the cursor is at the start of this text in main
		uri  string
		want span
	}{
		{"lib.at", pathToURI(lib), span{}},
		{"hello(", pathToURI(lib), libText.spanOf(strings.Index(libSrc, "hello"), strings.Index(libSrc, "hello")+5)},
		{"greeting)", pathToURI(lib), libText.spanOf(strings.Index(libSrc, "greeting"), strings.Index(libSrc, "greeting")+8)},
	}
	for _, tt := range tests {
		loc := d.definition(tx.positionOf(strings.Index(main, tt.at) + 1))
		if loc == nil || loc.URI != tt.uri || loc.Range != tt.want {
			t.Errorf("definition at %q: %+v, want %s %+v", tt.at, loc, tt.uri, tt.want)
		}
	}

	// The included file, opened and broken in the editor: the includer is
	// checked again at once, with the editor's text, and shows the error
	// on its include.
	s.open(pathToURI(lib), 1, "param greeting = \"hi\"\nflow hello(x) {\n  log y\n}\n")
	d = s.docs[pathToURI(dir+"/main.at")]
	if len(d.diags) != 1 || !strings.Contains(d.diags[0].Message, `lib.at:3:7: unknown name "y"`) {
		t.Fatalf("diagnostics %+v, want lib.at's unknown name", d.diags)
	}
	if want := tx.spanOf(strings.Index(main, `"lib.at"`), strings.Index(main, `"lib.at"`)+8); d.diags[0].Range != want {
		t.Errorf("range %+v, want the include's path %+v", d.diags[0].Range, want)
	}
	// Fixed in the editor: the includer's error goes too.
	s.open(pathToURI(lib), 2, libSrc)
	if d = s.docs[pathToURI(dir+"/main.at")]; len(d.diags) != 0 {
		t.Errorf("after the fix in lib.at: %+v, want none", d.diags)
	}
}

// TestNoPanics asks for hover, completion and definition at every few
// characters of the shipped flows, whole and cut short as while typing.
func TestNoPanics(t *testing.T) {
	paths, _ := filepath.Glob("../scripts/*/*.at")
	if len(paths) == 0 {
		t.Skip("no shipped scripts")
	}
	if testing.Short() {
		paths = paths[:2]
	}
	for _, p := range paths[:min(len(paths), 6)] {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		abs, _ := filepath.Abs(p)
		for _, src := range []string{string(b), string(b[:len(b)*2/3])} {
			d := &document{uri: pathToURI(abs), path: abs}
			d.analyse(src, lang.ReadScript, nil)
			for off := 0; off <= len(src); off += 5 {
				pos := d.text.positionOf(off)
				d.hover(pos)
				d.complete(pos)
				d.definition(pos)
			}
			d.symbols()
			d.format()
		}
	}
}

// TestCompletionContexts: what is offered depends on where the cursor is;
// the cursor is at "|".
func TestCompletionContexts(t *testing.T) {
	const head = "param apn = \"iot\"\nflow attach(a) {\n  send \"AT\" expect \"OK\"\n}\n"
	tests := []struct {
		line       string
		want, deny []string
	}{
		{"|", []string{"send", "flow", "dialect"}, []string{"hex", "apn"}},
		{"  se|", []string{"send"}, []string{"hex"}},
		{"send |", nil, []string{"hex", "apn", "send"}},
		{"send \"AT+CGDCONT=1,${|", []string{"apn", "hex"}, []string{"send"}},
		{"send \"AT+C|", nil, []string{"hex", "apn"}},
		{"log \"x\" # a comment |", nil, []string{"hex", "apn"}},
		{"let x = |", []string{"apn", "hex", "mqtt_connect"}, []string{"send"}},
		{"if len(|", []string{"apn", "len"}, nil},
		{"call |", []string{"attach"}, []string{"hex", "send"}},
		{"let c = mqtt_connect(\"id\", {|", []string{"keepalive", "will_topic", "clean"}, []string{"qos", "hex"}},
		{"let c = mqtt_subscribe([\"a\"], {qos: 1, |", []string{"id", "no_local"}, []string{"qos", "keepalive"}},
		{"let m = {a: (|", []string{"apn"}, []string{"qos"}},
		{"dialect d {\n  |", lang.DialectKeys, []string{"send"}},
		{"expect \"OK\" tim|", nil, []string{"hex"}},
	}
	for _, tt := range tests {
		src := head + strings.Replace(tt.line, "|", "", 1)
		off := len(head) + strings.Index(tt.line, "|")
		d := &document{uri: "file:///x.at", path: "/x.at"}
		d.analyse(src, func(string) ([]byte, error) { return []byte(src), nil }, nil)
		var labels []string
		for _, it := range d.complete(d.text.positionOf(off)).Items {
			labels = append(labels, it.Label)
		}
		for _, w := range tt.want {
			if !slices.Contains(labels, w) {
				t.Errorf("%q: %v, want %q", tt.line, labels, w)
			}
		}
		for _, w := range tt.deny {
			if slices.Contains(labels, w) {
				t.Errorf("%q offers %q", tt.line, w)
			}
		}
	}
}

func TestNoHoverInCommentsAndText(t *testing.T) {
	src := "# hex and len are builtins\nsend \"hex\" expect \"OK\"\nlet x = hex(\"a\") # hex\n"
	d := &document{uri: "file:///x.at", path: "/x.at"}
	d.analyse(src, func(string) ([]byte, error) { return []byte(src), nil }, nil)
	for i, want := range []bool{false, false, true, false} {
		off := -1
		for range i + 1 {
			off += 1 + strings.Index(src[off+1:], "hex")
		}
		if got := d.hover(d.text.positionOf(off)) != nil; got != want {
			t.Errorf("hover on hex number %d (offset %d): %v, want %v", i+1, off, got, want)
		}
	}
}
