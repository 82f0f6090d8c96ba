package main

// Every virtual modem profile, for --sim and atrun sim.
import _ "github.com/atrun/atrun/sim/all"
