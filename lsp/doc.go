// Package lsp is atrun's language server: the Language Server Protocol
// over a reader and a writer (`atrun lsp` passes stdin and stdout), for
// editors editing .at scripts.
//
// What it answers, and where the answer comes from:
//
//   - diagnostics on open and on every change: runtime.Load's errors,
//     exactly what `atrun check` prints, each ranged over the token or
//     name it points at; an error in an included file is shown on the
//     include. Open files are read as the editor has them, saved or not;
//   - hover: statements and dialect declarations (docs.go), builtins
//     (builtins.Func's signature and doc, the table of `atrun help
//     builtins`), MQTT options (the keys builtins.Options accepts), and
//     the script's params, flows and variables;
//   - completion of statements, dialect declarations, builtins, variables,
//     flows after call, and option keys inside an mqtt_* options map;
//   - definition of flows, params, variables and included files;
//   - document symbols: params, flows, lets, includes, handlers, dialects;
//   - formatting: lang.Format, which is `atrun fmt`.
//
// Positions cross the wire as the protocol's default: 0-based lines and
// UTF-16 columns; lang's are 1-based lines and rune columns.
//
// The JSON-RPC framing and the dozen message types are written here
// rather than taken from an LSP library: the libraries would add their
// dependency trees and package initialisation to every atrun command's
// start-up, for a protocol subset this small.
package lsp
