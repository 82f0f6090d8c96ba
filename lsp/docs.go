package lsp

// Hover and completion texts of the language's words. Builtins document
// themselves (builtins.Func); these are the words the grammar owns. A test
// checks that every statement keyword, dialect declaration and MQTT
// option a builtin accepts has its entry here.

// keywordDoc is one statement's syntax and meaning.
type keywordDoc struct {
	Syntax string
	Doc    string
}

var statementDocs = map[string]keywordDoc{
	"param":   {"param NAME [= EXPR] [secret]", "A parameter, set with `-D NAME=value`; required without a default. `-D` values are converted to the default's type (number, bool, string). A `secret` param is masked as `***` everywhere output shows it."},
	"timeout": {"timeout D", "The default timeout of the steps that follow (5s until set)."},
	"abort":   {"abort PATTERN, ...", "Patterns that fail the run whenever a line matches them."},
	"include": {`include "path.at"`, "Run another file's statements here (the path is relative to this file; cycles are an error)."},
	"send":    {"send STRING [expect PATTERN] [timeout D] [retry N [every D]]", "Write the string and the line ending (CR unless the dialect says otherwise); optionally wait for an answer."},
	"write":   {"write EXPR", "Write raw bytes, no line ending: a string, a byte value such as `0x1A`, a list of byte values, a builtin's result."},
	"expect":  {"expect PATTERN [timeout D] [retry N [every D]]\nexpect { PATTERN => ACTION ... }\nexpect all { PATTERN ... }", "Wait for a pattern; for the first of several alternatives (ACTION is `ok`, `retry`, `fail EXPR` or a block); or for every pattern, in any order."},
	"retry":   {"retry N [every D] { ... }", "Run a block again when it times out or the modem answers an error."},
	"read":    {"read N [bytes] into NAME", "Take the counted binary data that came with the matched line."},
	"on":      {"on PATTERN { ... }", "A handler for unsolicited result codes (URCs), active for the whole run; it may `let`, `log`, `emit` and `fail`."},
	"let":     {"let NAME = EXPR", "Bind a variable."},
	"if":      {"if EXPR { } else if EXPR { } else { }", "Run a block when a condition holds."},
	"repeat":  {"repeat N { }\nrepeat N while EXPR { }", "A bounded loop."},
	"flow":    {"flow NAME(a, b) { }", "A named, reusable sequence of steps; run it with `call NAME(x, y)`."},
	"call":    {"call NAME(x, y)", "Run a flow."},
	"sleep":   {"sleep D", "A fixed wait (rarely needed: expect waits for events)."},
	"log":     {"log EXPR", "Print a value in the step log."},
	"emit":    {"emit NAME [= EXPR]", "Record a result value of the run (for reports)."},
	"fail":    {"fail EXPR", "Stop the run with a message."},
	"finally": {"finally { }", "Cleanup that runs however the run ends: success, failure, timeout or Ctrl-C."},
	"dialect": {"dialect NAME { ... }", "How the modem speaks beyond V.250: line ending, extra final result codes, commands with no final result, counted-data headers, prompts. Every dialect block of a script and its includes adds to one dialect."},
}

var dialectDocs = map[string]keywordDoc{
	"line_ending": {`line_ending "\r"`, "What `send` appends: `\"\\r\"`, `\"\\r\\n\"` (ESP-AT) or `\"\\n\"`."},
	"final":       {"final PATTERN, ...", "Final result codes beyond `OK`, such as `\"SEND OK\"`: they end a command like OK."},
	"error":       {"error PATTERN, ...", "Error final result codes beyond `ERROR`, `+CME ERROR: n` ..."},
	"no_final":    {`no_final "AT+CMD", ...`, "Commands that answer without a final result code (a string matches a whole command, ignoring case)."},
	"data":        {"data /HEADER(?P<len>\\d+).../ [inline] [suffix STRING]", "Counted binary data follows a header line (or, `inline`, the header itself); the group `len` gives the count; `suffix` bytes after the data are skipped."},
	"prompt":      {`prompt ">", "@"`, "What a bare `expect prompt` waits for (`>` unless declared)."},
}

// mqttOptionDocs document the keys of the mqtt_* builtins' options maps.
var mqttOptionDocs = map[string]string{
	"version":             "MQTT protocol version: 4 (3.1.1, the default) or 5.",
	"qos":                 "Quality of service: 0, 1 or 2 (default 0).",
	"id":                  "Packet identifier, 1 to 65535; needed for QoS 1 and 2, subscribe and unsubscribe.",
	"retain":              "The retain flag (default false).",
	"dup":                 "The duplicate-delivery flag of a re-sent PUBLISH (default false).",
	"keepalive":           "Keep-alive interval in seconds, 0 to 65535 (default 60).",
	"clean":               "Clean session (3.1.1) or clean start (5.0) (default true).",
	"username":            "User name; empty means none.",
	"password":            "Password; empty means none.",
	"will_topic":          "Topic of the will message, published when the client vanishes.",
	"will_message":        "Payload of the will message.",
	"will_qos":            "QoS of the will message: 0, 1 or 2.",
	"will_retain":         "Retain flag of the will message.",
	"will_properties":     "MQTT 5.0: properties of the will message, a map of property names.",
	"session_expiry":      "MQTT 5.0: session expiry interval in seconds.",
	"properties":          "MQTT 5.0: a map of property names (content_type, user, message_expiry, ...) to values.",
	"no_local":            "MQTT 5.0 subscribe: do not receive one's own publications.",
	"retain_as_published": "MQTT 5.0 subscribe: keep the retain flag as published.",
	"retain_handling":     "MQTT 5.0 subscribe: 0 send retained messages, 1 only for a new subscription, 2 never.",
	"reason_code":         "MQTT 5.0: the packet's reason code (0 success).",
	"max_packet_size":     "Decode: the largest packet accepted, in bytes.",
	"topic":               "A filter map's topic filter.",
}
