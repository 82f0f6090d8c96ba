package builtins

import (
	"testing"

	"github.com/expr-lang/expr"
)

// The table is built once; a caller changing its copy changes nothing.
func TestAllReturnsACopy(t *testing.T) {
	a := All()
	name := a[0].Name
	a[0].Name = "changed"
	if got := All()[0].Name; got != name {
		t.Fatalf("All()[0].Name = %q after a caller changed its copy, want %q", got, name)
	}
}

// BenchmarkCompile is what the runtime pays per expression of a script:
// expr.Compile with every builtin declared.
func BenchmarkCompile(b *testing.B) {
	env := map[string]any{"client_id": "", "topic": "", "message": ""}
	for b.Loop() {
		if _, err := expr.Compile(`mqtt_connect(client_id, {keepalive: 60}) + mqtt_publish(topic, message, {qos: 1})`,
			append([]expr.Option{expr.Env(env)}, ExprOptions()...)...); err != nil {
			b.Fatal(err)
		}
	}
}
