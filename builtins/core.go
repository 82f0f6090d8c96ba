package builtins

// coreFuncs are the non-MQTT builtins. Placeholder until written.
func coreFuncs() []Func { return nil }
