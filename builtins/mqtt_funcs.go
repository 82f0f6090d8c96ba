package builtins

// mqttFuncs are the mqtt_* builtins. Placeholder until written.
func mqttFuncs() []Func { return nil }
