// Package sim runs virtual modems: AT-command sessions that behave like a
// vendor's module on a serial line, over any io.ReadWriter (a pseudo-
// terminal, a TCP connection, a net.Pipe), with a real network behind them.
//
// # Using a modem
//
// Profiles register themselves from their package's init; import
// github.com/atrun/atrun/sim/all for every vendor. Then:
//
//	m, err := sim.New("sim7000", sim.Options{Broker: "127.0.0.1:1883"})
//	host := m.Pipe(ctx)                       // in-process: net.Pipe
//	addr, err := sim.ListenTCP(ctx, "sim7000", opts, "127.0.0.1:0")
//	dev, err := sim.ServePTY(ctx, "sim7000", opts, "/tmp/ttyV0")
//	err = m.Serve(ctx, rw)                    // any io.ReadWriter, blocking
//
// Options.TimeScale 0 (the zero value) answers as fast as possible, for
// tests; Realistic() gives real-time delays and boot lines. Options.Broker
// redirects every outbound TCP socket and MQTT session to one address, so a
// flow that names 127.0.0.1:1883 reaches a test broker on a random port.
// Identity values (IMEI, ICCID with Luhn digits, IMSI) have defaults
// derived from the profile and Seed.
//
// Fault knobs in Options: Latency (before each response), Baud (output
// paced at Baud/10 bytes per second), Chunk (output split into seeded
// random writes of 1..Chunk bytes), DropRate and GarbleRate (whole response
// lines; echo, prompts and binary data are spared), RemoteCloseAfter and
// RemoteCloseSends (the far end of sockets and MQTT sessions closes; the
// profile prints its URC), RebootAfter (one restart after the N-th command
// line), InjectURC/InjectEvery (a line before every K-th output line, never
// inside binary data). Seed makes all of them repeatable.
//
// # What the engine does for every profile
//
// Command lines end at CR (a following LF is ignored; ESP-AT profiles,
// Profile.CRLF, end them only at CR LF); characters are
// echoed as received while echo is on (ATE1, the default), so the host sees
// "AT+CSQ\r" then "\r\n+CSQ: 20,99\r\n\r\nOK\r\n". Lines are parsed per
// V.250 into commands ("AT+CIFSR;E0", "ATE0V1"), each with a Name
// ("+CSQ", "E", "&W"), a Kind (Action, Exec "=", Read "?", Test "=?") and
// arguments split at commas outside quotes. As on real modules
// (V.250 §5.6.1), a command line typed before the previous line's final
// result has gone out (after Latency, Baud and Chunk) is ignored and not
// echoed (ESP-AT answers "busy p...", Profile.BusyReply), and bytes typed
// before a data prompt has gone out are dropped. URCs after the final
// result, and data after the prompt, do not count. The engine quirks
// "busy-input"="queue", "early-data"="keep" and "line-end"="cr" bring back
// the old leniency (queue input, keep early data, end any line at CR) for
// hosts that rely on it; a flow should pass without them. Unknown
// commands answer ERROR. During a restart (BootTime) input is lost, then
// the profile's boot lines print and the modem registers (+CREG URCs when
// enabled). Common commands: AT, ATE, ATV1, ATQ0, ATZ, AT&F, AT&W, ATI,
// +CGMI/+GMI, +CGMM/+GMM, +CGMR/+GMR, +CGSN/+GSN, +CIMI, +CCID, +ICCID,
// +CPIN, +CSQ, +CREG/+CGREG/+CEREG (modes 0-2 with URCs), +CGATT, +CFUN
// (=1,1 restarts), +CMEE, +COPS, +CGDCONT, +CGACT, +CGPADDR.
//
// # Writing a profile
//
// A Profile is a name, identity strings, boot lines, defaults and a table
// of Handlers keyed by command name. A handler runs on the session
// goroutine, writes information lines with Session.Reply and returns its
// final result (nil is OK; see Handler for Done, Pending, ErrError,
// CMEError, Final). Everything asynchronous comes back to the session
// goroutine, so per-session state (Profile.NewState, Session.State or
// StateOf) needs no locks:
//
//	func cipstart(s *sim.Session, c *sim.Command) error {
//		st := sim.StateOf[*state](s)
//		s.Dial(sim.DialConfig{Host: c.Arg(1), Port: port, OnData: st.recv,
//			OnClose: st.closed}, func(conn *sim.Conn, err error) {
//			if err != nil { s.URC("CONNECT FAIL"); return }
//			st.conn = conn
//			s.URC("CONNECT OK")
//		})
//		return nil // OK now, CONNECT OK later
//	}
//
// Session tools: Reply/Replyf/URC (framed lines), Write (raw bytes: binary
// data, prompts), After/AfterURC (delays scaled by TimeScale; Between for a
// seeded random delay), Post (from other goroutines), Finish (the final
// result of a Pending command), ReadData (prompt, then exactly N bytes or
// until Ctrl-Z with ESC cancelling, optional echo and idle timeout),
// Dial (a real TCP or TLS socket), MQTTConnect (a real MQTT client session
// with publish, subscribe, unsubscribe, disconnect and loss reports),
// Restart, Echo/SetEcho, Attached/SetAttached, Registered, Track.
//
// Where real modules differ (a prompt with or without a space, the order
// of OK and a result URC), a profile declares Quirks; Options.Quirks picks
// a value and Session.Quirk reads it. A handler may wrap a common command
// through Common("+CGATT"). A panic in a profile ends the session with an
// error instead of taking the host process down.
//
// Package simtest drives a session from tests with exact-byte transcripts
// (Step{Send, Want}), any-order checks for racing lines, and Ready polling.
//
// This package must not import anything under github.com/atrun/atrun/
// runtime: it is an independent check of the host-side AT code.
package sim
