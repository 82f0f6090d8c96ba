// Package replay records a modem session byte for byte and plays it back
// as a fake modem, so a flow can be checked against yesterday's bench
// session without hardware.
//
// # Recording format, version 1
//
// A recording is UTF-8 text, one item per line:
//
//	# atrun recording v1
//	# script: scripts/sim7000/publish.at
//	# port: /dev/ttyUSB2
//	# date: 2025-03-14T09:26:53Z
//	+0.000000 TX "AT\r"
//	+0.000412 RX "AT\r\r\nOK\r\n"
//	+0.001030 TX "AT+CSQ\r"
//	+0.021877 RX "\r\n+CSQ: 21,99\r\n\r\nOK\r\n"
//
// The first line is exactly "# atrun recording v1". Lines of the form
// "# key: value" right after it are metadata (keys are free; script, port
// and date are the usual ones; a key has no spaces or colons). Every other
// line is one chunk:
//
//	+SECONDS.MICROS DIRECTION "BYTES"
//
// SECONDS.MICROS is the time since recording started (written with six
// decimals; up to nine are read). DIRECTION is TX (host to modem) or RX
// (modem to host). BYTES is a Go double-quoted string (strconv.Quote), so
// CR, LF, Ctrl-Z and binary bytes stay visible and exact. Times never go
// backwards. A chunk is what one Write or one Read carried; chunk
// boundaries are incidental and replay does not depend on them. Later
// lines starting with "#" are comments; blank lines are ignored. Version 1
// only ever gains new comment or metadata keys, never changes chunk lines.
//
// # Replay
//
// A Player is the modem of the recording: it checks that the host sends the
// recorded TX byte stream, in order, however the host splits its writes,
// and makes each RX chunk readable once the host has sent every TX byte
// that preceded it in the recording. By default RX comes as fast as
// possible; PlayerOptions.Speed reproduces the recorded gaps. Sending
// anything else fails the Write with a *Divergence naming the recording
// line.
package replay
