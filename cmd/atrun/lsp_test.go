package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atrun/atrun/lang"
)

// lspClient drives `atrun lsp` (the command's run function) over pipes,
// as an editor does over the server's stdin and stdout.
type lspClient struct {
	t      *testing.T
	in     io.WriteCloser
	out    *bufio.Reader
	nextID int
	// notes holds notifications read while waiting for a response.
	notes []lspMsg
	done  chan struct{} // closed when run returns, with code set
	code  int
}

type lspMsg struct {
	ID     *int            `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func startLsp(t *testing.T) *lspClient {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	c := &lspClient{t: t, in: inW, out: bufio.NewReader(outR), done: make(chan struct{})}
	var stderr strings.Builder
	go func() {
		c.code = run([]string{"lsp", "--stdio"}, inR, outW, &stderr)
		outW.Close()
		close(c.done)
	}()
	t.Cleanup(func() {
		inW.Close()
		select {
		case <-c.done:
		case <-time.After(5 * time.Second):
			t.Error("atrun lsp did not end when its input closed")
		}
	})
	return c
}

func (c *lspClient) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := fmt.Fprintf(c.in, "Content-Length: %d\r\n\r\n%s", len(b), b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *lspClient) read() lspMsg {
	c.t.Helper()
	type result struct {
		m   lspMsg
		err error
	}
	ch := make(chan result, 1)
	go func() {
		hdr, err := textproto.NewReader(c.out).ReadMIMEHeader()
		if err != nil {
			ch <- result{err: err}
			return
		}
		n, _ := strconv.Atoi(hdr.Get("Content-Length"))
		body := make([]byte, n)
		if _, err := io.ReadFull(c.out, body); err != nil {
			ch <- result{err: err}
			return
		}
		var m lspMsg
		err = json.Unmarshal(body, &m)
		ch <- result{m, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			c.t.Fatalf("reading from atrun lsp: %v", r.err)
		}
		return r.m
	case <-time.After(10 * time.Second):
		c.t.Fatal("atrun lsp sent nothing for 10s")
	}
	return lspMsg{}
}

// call sends a request and returns its result, decoded into out.
func (c *lspClient) call(method string, params, out any) {
	c.t.Helper()
	c.nextID++
	id := c.nextID
	c.send(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	for {
		m := c.read()
		if m.ID == nil {
			c.notes = append(c.notes, m)
			continue
		}
		if *m.ID != id {
			c.t.Fatalf("%s: response to request %d, want %d", method, *m.ID, id)
		}
		if m.Error != nil {
			c.t.Fatalf("%s: error %d: %s", method, m.Error.Code, m.Error.Message)
		}
		if out != nil {
			if err := json.Unmarshal(m.Result, out); err != nil {
				c.t.Fatalf("%s: result %s: %v", method, m.Result, err)
			}
		}
		return
	}
}

func (c *lspClient) notify(method string, params any) {
	c.send(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
}

type lspPos struct {
	Line      int `json:"line"`
	Character int `json:"character"`
}

type lspRange struct {
	Start lspPos `json:"start"`
	End   lspPos `json:"end"`
}

type lspDiag struct {
	Range   lspRange `json:"range"`
	Message string   `json:"message"`
}

// diagnostics waits for the next publishDiagnostics of uri.
func (c *lspClient) diagnostics(uri string) []lspDiag {
	c.t.Helper()
	for {
		var m lspMsg
		if len(c.notes) > 0 {
			m, c.notes = c.notes[0], c.notes[1:]
		} else {
			m = c.read()
		}
		if m.Method != "textDocument/publishDiagnostics" {
			continue
		}
		var p struct {
			URI         string    `json:"uri"`
			Diagnostics []lspDiag `json:"diagnostics"`
		}
		if err := json.Unmarshal(m.Params, &p); err != nil {
			c.t.Fatal(err)
		}
		if p.URI == uri {
			return p.Diagnostics
		}
	}
}

func (c *lspClient) initialize(root string) {
	c.t.Helper()
	var res struct {
		Capabilities map[string]any `json:"capabilities"`
	}
	c.call("initialize", map[string]any{"processId": nil, "rootUri": "file://" + root, "capabilities": map[string]any{}}, &res)
	for _, cap := range []string{"hoverProvider", "completionProvider", "definitionProvider", "documentSymbolProvider", "documentFormattingProvider"} {
		if res.Capabilities[cap] == nil {
			c.t.Errorf("initialize: capability %s missing", cap)
		}
	}
	c.notify("initialized", map[string]any{})
}

// posOf returns the LSP position of the n-th (0-based) occurrence of sub
// in src, plus delta characters; the test scripts are ASCII.
func posOf(t *testing.T, src, sub string, n, delta int) lspPos {
	t.Helper()
	off := -1
	for i := 0; i <= n; i++ {
		k := strings.Index(src[off+1:], sub)
		if k < 0 {
			t.Fatalf("%q not found %d times", sub, n+1)
		}
		off += 1 + k
	}
	off += delta
	line := strings.Count(src[:off], "\n")
	return lspPos{Line: line, Character: off - (strings.LastIndex(src[:off], "\n") + 1)}
}

const lspScript = `# publish through a raw socket
param topic
param password = "" secret
param broker = "127.0.0.1"

flow publish(t, p) {
  let packet = mqtt_publish(t, p, {qos: 0})
  send "AT+CIPSEND=${len(packet)}" expect prompt ">"
  write packet
}

send "AT" expect "OK"
call publish(topic, "hi")
`

// TestLspSession drives a whole editing session: every feature an editor
// uses, against the real checker, formatter and builtin table.
func TestLspSession(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flow.at")
	uri := "file://" + path
	if err := os.WriteFile(path, []byte(lspScript), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startLsp(t)
	c.initialize(dir)

	// Two errors: a misspelt MQTT option (found by compiling the
	// expression) and a misspelt param. Each must be reported where
	// `atrun check` reports it, its range covering the bad word.
	broken := strings.Replace(lspScript, "{qos: 0}", "{qso: 0}", 1)
	broken = strings.Replace(broken, "publish(topic", "publish(toppic", 1)
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "atrun", "version": 1, "text": broken}})
	diags := c.diagnostics(uri)
	want := checkErrors(t, path, broken)
	if len(diags) != len(want) || len(want) != 2 {
		t.Fatalf("diagnostics %+v, want as atrun check: %v", diags, want)
	}
	for i, d := range diags {
		w := want[i]
		if d.Message != w.Msg || d.Range.Start.Line != w.Pos.Line-1 || d.Range.Start.Character != w.Pos.Column-1 {
			t.Errorf("diagnostic %d: %d:%d %q, want %d:%d %q", i, d.Range.Start.Line+1, d.Range.Start.Character+1, d.Message, w.Pos.Line, w.Pos.Column, w.Msg)
		}
	}
	if got, want := diags[0].Range, (lspRange{posOf(t, broken, "qso", 0, 0), posOf(t, broken, "qso", 0, 3)}); got != want {
		t.Errorf("range of %q: %+v, want %+v (the option's name)", diags[0].Message, got, want)
	}
	if got, want := diags[1].Range, (lspRange{posOf(t, broken, "toppic", 0, 0), posOf(t, broken, "toppic", 0, 6)}); got != want {
		t.Errorf("range of %q: %+v, want %+v (the name)", diags[1].Message, got, want)
	}

	// A second, syntax error: the range covers the word the parser balked at.
	broken2 := broken + "sned \"AT\"\n"
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2}, "contentChanges": []any{map[string]any{"text": broken2}}})
	diags = c.diagnostics(uri)
	if len(diags) != 1 || !strings.Contains(diags[0].Message, `unknown statement "sned"`) {
		t.Fatalf("after a syntax error: %+v, want the unknown statement", diags)
	}
	if got, want := diags[0].Range, (lspRange{posOf(t, broken2, "sned", 0, 0), posOf(t, broken2, "sned", 0, 4)}); got != want {
		t.Errorf("range of %q: %+v, want %+v", diags[0].Message, got, want)
	}

	// Fixed: the server publishes an empty list, clearing the editor's.
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 3}, "contentChanges": []any{map[string]any{"text": lspScript}}})
	if diags := c.diagnostics(uri); len(diags) != 0 {
		t.Fatalf("after the fix: %+v, want none", diags)
	}

	t.Run("hover", func(t *testing.T) {
		tests := []struct {
			at   lspPos
			want []string
		}{
			{posOf(t, lspScript, "mqtt_publish", 0, 3), []string{"mqtt_publish(", "PUBLISH"}},
			{posOf(t, lspScript, "len(", 0, 1), []string{"len("}},
			{posOf(t, lspScript, "qos", 0, 1), []string{"Quality of service"}},
			{posOf(t, lspScript, "send", 0, 0), []string{"send STRING [expect PATTERN]"}},
			{posOf(t, lspScript, "topic", 1, 2), []string{"param topic", "Required"}},
			{posOf(t, lspScript, "password", 0, 0), []string{`param password = "" secret`, "masked"}},
			{posOf(t, lspScript, "publish(topic", 0, 0), []string{"flow publish(t, p)"}},
		}
		for _, tt := range tests {
			var h *struct {
				Contents struct {
					Value string `json:"value"`
				} `json:"contents"`
			}
			c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": tt.at}, &h)
			if h == nil {
				t.Errorf("hover at %+v: none, want %q", tt.at, tt.want)
				continue
			}
			for _, w := range tt.want {
				if !strings.Contains(h.Contents.Value, w) {
					t.Errorf("hover at %+v: %q, want it to contain %q", tt.at, h.Contents.Value, w)
				}
			}
		}
		// The builtin's hover is the table `atrun help builtins` prints.
		var help strings.Builder
		run([]string{"help", "builtins"}, nil, &help, io.Discard)
		var h struct {
			Contents struct {
				Value string `json:"value"`
			} `json:"contents"`
		}
		c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": posOf(t, lspScript, "mqtt_publish", 0, 0)}, &h)
		sig, _, _ := strings.Cut(strings.TrimPrefix(h.Contents.Value, "```at\n"), "\n")
		if !strings.Contains(help.String(), sig+"\n") {
			t.Errorf("hover signature %q is not in atrun help builtins", sig)
		}
	})

	t.Run("completion of MQTT options", func(t *testing.T) {
		src := lspScript + "let x = mqtt_publish(t, p, {"
		c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 4}, "contentChanges": []any{map[string]any{"text": src}}})
		c.diagnostics(uri)
		labels := completionLabels(c, uri, posOf(t, src, "{", strings.Count(src, "{")-1, 1))
		for _, w := range []string{"qos", "retain", "dup", "id", "version"} {
			if !slices.Contains(labels, w) {
				t.Errorf("completion after mqtt_publish(t, p, {: %v, want %q", labels, w)
			}
		}
		if slices.Contains(labels, "keepalive") || slices.Contains(labels, "send") {
			t.Errorf("completion after mqtt_publish(t, p, {: %v offers what mqtt_publish does not take", labels)
		}
		// A key already given is not offered again.
		src2 := src + "qos: 1, "
		c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 5}, "contentChanges": []any{map[string]any{"text": src2}}})
		c.diagnostics(uri)
		labels = completionLabels(c, uri, posOf(t, src2, ", ", strings.Count(src2, ", ")-1, 2))
		if slices.Contains(labels, "qos") || !slices.Contains(labels, "retain") {
			t.Errorf("completion after {qos: 1, : %v, want retain and not qos", labels)
		}
	})

	t.Run("completion of statements, flows and names", func(t *testing.T) {
		src := lspScript + "dialect d {\n  \n}\ncall \nlet y = \n"
		c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 6}, "contentChanges": []any{map[string]any{"text": src}}})
		c.diagnostics(uri)
		tests := []struct {
			at         lspPos
			want, deny []string
		}{
			{lspPos{Line: strings.Count(lspScript, "\n"), Character: 0}, []string{"send", "expect", "flow", "dialect"}, []string{"mqtt_publish"}},
			{posOf(t, src, "dialect d {\n  ", 0, len("dialect d {\n  ")), lang.DialectKeys, []string{"send"}},
			{posOf(t, src, "call \n", 0, 5), []string{"publish"}, []string{"send", "hex"}},
			{posOf(t, src, "let y = ", 0, 8), []string{"hex", "mqtt_connect", "topic", "broker", "password"}, []string{"send"}},
		}
		for _, tt := range tests {
			labels := completionLabels(c, uri, tt.at)
			for _, w := range tt.want {
				if !slices.Contains(labels, w) {
					t.Errorf("completion at %+v: %v, want %q", tt.at, labels, w)
				}
			}
			for _, w := range tt.deny {
				if slices.Contains(labels, w) {
					t.Errorf("completion at %+v offers %q", tt.at, w)
				}
			}
		}
		c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 7}, "contentChanges": []any{map[string]any{"text": lspScript}}})
		c.diagnostics(uri)
	})

	t.Run("definition", func(t *testing.T) {
		tests := []struct {
			name string
			at   lspPos
			want lspPos // where the name is declared
		}{
			{"flow", posOf(t, lspScript, "publish(topic", 0, 2), posOf(t, lspScript, "flow publish", 0, 5)},
			{"param", posOf(t, lspScript, "topic, ", 0, 1), posOf(t, lspScript, "topic", 0, 0)},
			{"let", posOf(t, lspScript, "packet)", 0, 0), posOf(t, lspScript, "packet", 0, 0)},
		}
		for _, tt := range tests {
			var loc struct {
				URI   string   `json:"uri"`
				Range lspRange `json:"range"`
			}
			c.call("textDocument/definition", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": tt.at}, &loc)
			if loc.URI != uri || loc.Range.Start != tt.want {
				t.Errorf("definition of the %s at %+v: %s %+v, want %+v", tt.name, tt.at, loc.URI, loc.Range.Start, tt.want)
			}
		}
	})

	t.Run("document symbols", func(t *testing.T) {
		var syms []struct {
			Name   string `json:"name"`
			Detail string `json:"detail"`
		}
		c.call("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": uri}}, &syms)
		var got []string
		for _, s := range syms {
			got = append(got, s.Name+" "+s.Detail)
		}
		want := []string{"topic required", `password = "" secret`, `broker = "127.0.0.1"`, "publish (t, p)"}
		if !slices.Equal(got, want) {
			t.Errorf("symbols %q, want %q", got, want)
		}
	})

	t.Run("formatting", func(t *testing.T) {
		messy := "param  topic\nsend \"AT\"   expect \"OK\"\nif true {\nlog \"x\"\n}\n"
		c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 8}, "contentChanges": []any{map[string]any{"text": messy}}})
		c.diagnostics(uri)
		var edits []struct {
			Range   lspRange `json:"range"`
			NewText string   `json:"newText"`
		}
		c.call("textDocument/formatting", map[string]any{"textDocument": map[string]any{"uri": uri}, "options": map[string]any{"tabSize": 2, "insertSpaces": true}}, &edits)
		var fmtOut strings.Builder
		os.WriteFile(path, []byte(messy), 0o644)
		if code := run([]string{"fmt", path}, nil, &fmtOut, io.Discard); code != 0 {
			t.Fatalf("atrun fmt exit %d", code)
		}
		if len(edits) != 1 || edits[0].NewText != fmtOut.String() || edits[0].NewText == messy {
			t.Fatalf("formatting edits %+v, want one edit to atrun fmt's %q", edits, fmtOut.String())
		}
		if r := edits[0].Range; r.Start != (lspPos{}) || r.End != (lspPos{Line: strings.Count(messy, "\n")}) {
			t.Errorf("formatting range %+v, want the whole text", r)
		}
	})

	c.call("shutdown", nil, nil)
	c.notify("exit", nil)
	select {
	case <-c.done:
		if c.code != exitOK {
			t.Errorf("exit after shutdown: code %d, want 0", c.code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("atrun lsp did not exit")
	}
}

// checkErrors is what `atrun check` reports for src at path.
func checkErrors(t *testing.T, path, src string) lang.ErrorList {
	t.Helper()
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	if code := run([]string{"check", path}, nil, io.Discard, &stderr); code != exitUsage {
		t.Fatalf("atrun check: exit %d, want 2", code)
	}
	var out lang.ErrorList
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		rest := strings.TrimPrefix(line, path+":")
		parts := strings.SplitN(rest, ":", 3)
		if len(parts) != 3 {
			t.Fatalf("atrun check printed %q", line)
		}
		l, _ := strconv.Atoi(parts[0])
		col, _ := strconv.Atoi(parts[1])
		out = append(out, &lang.Error{Pos: lang.Pos{Filename: path, Line: l, Column: col}, Msg: strings.TrimPrefix(parts[2], " ")})
	}
	return out
}

func completionLabels(c *lspClient, uri string, at lspPos) []string {
	c.t.Helper()
	var list struct {
		Items []struct {
			Label string `json:"label"`
		} `json:"items"`
	}
	c.call("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": at}, &list)
	var out []string
	for _, it := range list.Items {
		out = append(out, it.Label)
	}
	return out
}
