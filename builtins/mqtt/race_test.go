//go:build race

package mqtt_test

// raceEnabled: the race detector changes allocation counts.
const raceEnabled = true
