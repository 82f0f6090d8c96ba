package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
)

// Options configure a server.
type Options struct {
	// Log, if set, receives one line per malformed message or failed
	// write; the protocol stream itself is never used for logging.
	Log io.Writer
}

// Serve speaks the Language Server Protocol over r and w (an editor's pipe
// to the server's stdin and stdout) until the client sends exit, closes r,
// or ctx ends. It returns nil after a shutdown request and exit, as the
// protocol asks, and an error otherwise.
//
// Messages are handled one at a time in arrival order: a script is checked
// in milliseconds, and an edit's diagnostics are published before the next
// request is read, so a hover never sees an older text than the editor's.
func Serve(ctx context.Context, r io.Reader, w io.Writer, opts Options) error {
	s := &server{conn: newConn(r, w), opts: opts, docs: map[string]*document{}}
	type read struct {
		m   *message
		err error
	}
	msgs := make(chan read)
	go func() {
		for {
			m, err := s.conn.read()
			select {
			case msgs <- read{m, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		var in read
		select {
		case <-ctx.Done():
			return ctx.Err()
		case in = <-msgs:
		}
		if in.err != nil {
			if errors.Is(in.err, io.EOF) {
				return errors.New("the client closed the connection without exit")
			}
			return in.err
		}
		if done, err := s.handle(in.m); done {
			return err
		}
	}
}

type server struct {
	conn        *conn
	opts        Options
	initialized bool
	shutdown    bool
	docs        map[string]*document // by URI
}

func (s *server) logf(format string, args ...any) {
	if s.opts.Log != nil {
		fmt.Fprintf(s.opts.Log, "atrun lsp: "+format+"\n", args...)
	}
}

// handle handles one message; done reports that the client sent exit.
func (s *server) handle(m *message) (done bool, err error) {
	if m.Error != nil && m.Method == "" && len(m.ID) == 0 { // unparsable
		s.logf("%s", m.Error.Message)
		return false, s.conn.reply(json.RawMessage("null"), nil, m.Error)
	}
	if m.Method == "" {
		return false, nil // a response to nothing we asked
	}
	if m.Method == "exit" {
		if !s.shutdown {
			return true, errors.New("exit without shutdown")
		}
		return true, nil
	}
	result, rerr := s.dispatch(m)
	if !m.isRequest() {
		if rerr != nil {
			s.logf("%s: %s", m.Method, rerr.Message)
		}
		return false, nil
	}
	if err := s.conn.reply(m.ID, result, rerr); err != nil {
		s.logf("writing the reply to %s: %v", m.Method, err)
		return true, err
	}
	return false, nil
}

func (s *server) dispatch(m *message) (result any, rerr *rpcError) {
	defer func() {
		// A bug in a feature must cost one answer, not the editor's server.
		if r := recover(); r != nil {
			s.logf("internal error in %s: %v", m.Method, r)
			result, rerr = nil, &rpcError{Code: codeInternalError, Message: fmt.Sprintf("internal error: %v", r)}
		}
	}()
	if !s.initialized && m.Method != "initialize" {
		return nil, &rpcError{Code: codeNotInitialized, Message: "not initialized"}
	}
	decode := func(v any) *rpcError {
		if err := json.Unmarshal(m.Params, v); err != nil {
			return &rpcError{Code: codeInvalidParams, Message: err.Error()}
		}
		return nil
	}
	switch m.Method {
	case "initialize":
		s.initialized = true
		return initializeResult(), nil
	case "initialized", "$/cancelRequest", "$/setTrace", "workspace/didChangeConfiguration", "textDocument/didSave":
		return nil, nil
	case "shutdown":
		s.shutdown = true
		return nil, nil
	case "textDocument/didOpen":
		var p didOpenParams
		if e := decode(&p); e != nil {
			return nil, e
		}
		s.open(p.TextDocument.URI, p.TextDocument.Version, p.TextDocument.Text)
		return nil, nil
	case "textDocument/didChange":
		var p didChangeParams
		if e := decode(&p); e != nil {
			return nil, e
		}
		d := s.docs[p.TextDocument.URI]
		if d == nil || len(p.ContentChanges) == 0 {
			return nil, nil
		}
		src := d.text.src
		for _, c := range p.ContentChanges {
			if c.Range == nil {
				src = c.Text
				continue
			}
			t := newText(src) // incremental edits, should a client send them
			a, b := t.offsetOf(c.Range.Start), t.offsetOf(c.Range.End)
			src = src[:a] + c.Text + src[max(a, b):]
		}
		s.open(p.TextDocument.URI, p.TextDocument.Version, src)
		return nil, nil
	case "textDocument/didClose":
		var p didCloseParams
		if e := decode(&p); e != nil {
			return nil, e
		}
		delete(s.docs, p.TextDocument.URI)
		s.publish(p.TextDocument.URI, nil, nil)
		return nil, nil
	case "textDocument/hover", "textDocument/completion", "textDocument/definition":
		var p positionParams
		if e := decode(&p); e != nil {
			return nil, e
		}
		d := s.docs[p.TextDocument.URI]
		if d == nil {
			return nil, nil
		}
		switch m.Method {
		case "textDocument/hover":
			return nilIfEmpty(d.hover(p.Position)), nil
		case "textDocument/completion":
			return d.complete(p.Position), nil
		default:
			return nilIfEmpty(d.definition(p.Position)), nil
		}
	case "textDocument/documentSymbol":
		var p documentParams
		if e := decode(&p); e != nil {
			return nil, e
		}
		if d := s.docs[p.TextDocument.URI]; d != nil {
			return d.symbols(), nil
		}
		return []documentSymbol{}, nil
	case "textDocument/formatting":
		var p documentParams
		if e := decode(&p); e != nil {
			return nil, e
		}
		d := s.docs[p.TextDocument.URI]
		if d == nil {
			return nil, nil
		}
		edits, err := d.format()
		if err != nil {
			return nil, &rpcError{Code: codeRequestFailed, Message: err.Error()}
		}
		return edits, nil
	}
	return nil, &rpcError{Code: codeMethodNotFound, Message: fmt.Sprintf("method %q not supported", m.Method)}
}

// nilIfEmpty turns a typed nil pointer into an untyped nil, which
// marshals as JSON null: "no hover here".
func nilIfEmpty[T any](v *T) any {
	if v == nil {
		return nil
	}
	return v
}

func initializeResult() any {
	return map[string]any{
		"capabilities": map[string]any{
			"textDocumentSync": map[string]any{
				"openClose": true,
				"change":    1, // the full text on every change
				"save":      false,
			},
			"hoverProvider": true,
			"completionProvider": map[string]any{
				"triggerCharacters": []string{"{", ",", "("},
			},
			"definitionProvider":         true,
			"documentSymbolProvider":     true,
			"documentFormattingProvider": true,
		},
		"serverInfo": map[string]any{"name": "atrun"},
	}
}

// open records a document's new text, analyses it and publishes its
// diagnostics.
func (s *server) open(uri string, version int, src string) {
	prev := s.docs[uri]
	d := &document{uri: uri, path: filepath.Clean(uriToPath(uri)), version: version}
	s.docs[uri] = d
	d.analyse(src, s.read, prev)
	v := version
	s.publish(uri, &v, d.diags)
	// The open scripts that include this one are checked again with its
	// new text.
	for _, other := range s.sortedDocs() {
		if other != d && other.includes(d.path) {
			other.analyse(other.text.src, s.read, other)
			v := other.version
			s.publish(other.uri, &v, other.diags)
		}
	}
}

// sortedDocs returns the open documents in URI order, so that re-checks
// are published in a fixed order.
func (s *server) sortedDocs() []*document {
	out := make([]*document, 0, len(s.docs))
	for _, d := range s.docs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].uri < out[j].uri })
	return out
}

func (s *server) publish(uri string, version *int, diags []diagnostic) {
	if diags == nil {
		diags = []diagnostic{}
	}
	if err := s.conn.notify("textDocument/publishDiagnostics", publishDiagnosticsParams{URI: uri, Version: version, Diagnostics: diags}); err != nil {
		s.logf("publishing diagnostics: %v", err)
	}
}
