// Package all registers every virtual modem profile; import it for its
// side effect:
//
//	import _ "github.com/atrun/atrun/sim/all"
package all

import (
	_ "github.com/atrun/atrun/sim/air780"
	_ "github.com/atrun/atrun/sim/espat"
	_ "github.com/atrun/atrun/sim/quectel"
	_ "github.com/atrun/atrun/sim/sarar4"
	_ "github.com/atrun/atrun/sim/sim7000"
	_ "github.com/atrun/atrun/sim/sim8200"
)
