package deps
import (
 _ "github.com/alecthomas/participle/v2"
 _ "github.com/expr-lang/expr"
 _ "go.bug.st/serial"
 _ "github.com/stretchr/testify/require"
 _ "github.com/creack/pty"
 _ "github.com/eclipse/paho.mqtt.golang"
 _ "github.com/mochi-mqtt/server/v2"
 _ "github.com/rogpeppe/go-internal/testscript"
)
